import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compileTimestampPattern, isKnownTimeZone, TimestampPatternError, zonedFields } from '../src/firehose/delivery/timestamp-format.js';
import {
  checkPrefixes, evaluateErrorPrefix, evaluatePrefix, partitionKeyNames, randomString, PrefixEvaluationError,
  ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE, ERROR_OUTPUT_TYPE_IN_PREFIX_MESSAGE, ERROR_OUTPUT_TYPE_REQUIRED_MESSAGE,
  INVALID_EXPRESSION_MESSAGE, PARTITION_KEY_IN_ERROR_PREFIX_MESSAGE, PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE,
  DYNAMIC_PARTITIONING_WITHOUT_PARTITION_KEYS_MESSAGE, PREFIX_TOO_LONG_MESSAGE, INVALID_TIMESTAMP_PATTERN_MESSAGE, REDSHIFT_PREFIX_MESSAGE, MAX_EVALUATED_PREFIX_LENGTH,
} from '../src/firehose/delivery/prefixes.js';
import { objectExtension, objectName } from '../src/firehose/delivery/object-key.js';
import { compress, decompress, COMPRESSION_FORMATS, DEFLATE_SEGMENT_BYTES, fallbackCrc32ForTests, type CompressionFormat } from '../src/firehose/delivery/compression.js';
import {
  HadoopSnappyWriter, SnappyJavaWriter, SNAPPY_JAVA_BLOCK_SIZE, HADOOP_SNAPPY_MAX_INPUT_SIZE, unframeSnappyJava, unframeHadoopSnappy, SnappyFramingError,
} from '../src/firehose/delivery/snappy-framing.js';

/** FIREHOSE-SPEC §8 (keys, prefixes, timestamps) and §9 (compression and framings). */

const exec = promisify(execFile);
const at = (iso: string) => Date.parse(iso);
/** The docs' instant: 10:30 AM UTC on Aug 27, 2018 (§8.3). */
const DOC_INSTANT = at('2018-08-27T10:30:00Z');
const UTC = { epochMs: DOC_INSTANT, timeZone: 'UTC' };

function available(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

// ---------------------------------------------------------------------------------------------
// timestamp patterns (§8.2)

test('timestamp patterns: the documented examples and every supported letter', () => {
  const f = (p: string, ms = DOC_INSTANT, zone = 'UTC') => compileTimestampPattern(p)(ms, zone);
  assert.equal(f('yyyy'), '2018');
  assert.equal(f('yyyy-MM-dd'), '2018-08-27');
  assert.equal(f("yyyy'-'MM'-'dd"), '2018-08-27');
  assert.equal(f('yyyy/MM/dd/HH/'), '2018/08/27/10/');
  assert.equal(f("'year='yyyy'/month='MM'/day='dd'/hour='HH"), 'year=2018/month=08/day=27/hour=10');
  assert.equal(f('y yy yyy yyyyy u uu uuuu'), '2018 18 2018 02018 2018 18 2018');
  assert.equal(f('M MM MMM MMMM MMMMM'), '8 08 Aug August A');
  assert.equal(f('d dd D DD DDD', at('2018-02-05T00:00:00Z')), '5 05 36 36 036');
  assert.equal(f('H HH h hh m mm s ss a', at('2018-08-27T00:05:09Z')), '0 00 12 12 5 05 9 09 AM');
  assert.equal(f('hh a', at('2018-08-27T13:00:00Z')), '01 PM');
  assert.equal(f('S SS SSS SSSSSS SSSSSSSSS', at('2018-08-27T10:30:00.078Z')), '0 07 078 078000 078000000');
  assert.equal(f('E EE EEE EEEE EEEEE'), 'Mon Mon Mon Monday M');
  assert.equal(f('w ww'), '35 35');
  assert.equal(f("''"), "'");
  assert.equal(f("'it''s' HH"), "it's 10");
  assert.equal(f('[yyyy]-[MM]'), '2018-08', 'optional sections always print when formatting an instant');
  assert.equal(f('yyyy.MM.dd_HH:mm:ss,SSS+'), '2018.08.27_10:30:00,000+');
});

test('timestamp patterns: every other Java DateTimeFormatter letter (week-based year, quarters, offsets, …)', () => {
  const f = (p: string, ms = DOC_INSTANT, zone = 'UTC') => compileTimestampPattern(p)(ms, zone);
  // Values printed by Java 17's DateTimeFormatter.ofPattern(p, Locale.US) for the same instants.
  assert.equal(f('F W e ee eee c G Q QQ QQQ QQQQ QQQQQ K k A n N VV O OOOO X XX XXX x xxx Z ZZZZ ZZZZZ YYYY Y YY'),
    '6 5 2 02 Mon 2 AD 3 03 Q3 3rd quarter 3 10 10 37800000 0 37800000000000 UTC GMT GMT Z Z Z +00 +00:00 +0000 GMT Z 2018 2018 18');
  assert.equal(f('O OOOO X XX XXX XXXX XXXXX x xx xxx xxxx xxxxx Z ZZZZ ZZZZZ VV', DOC_INSTANT, 'Asia/Kolkata'),
    'GMT+5:30 GMT+05:30 +0530 +0530 +05:30 +0530 +05:30 +0530 +0530 +05:30 +0530 +05:30 +0530 GMT+05:30 +05:30 Asia/Kolkata');
  // 2018-12-30 is a Sunday in the week holding 2019-01-01: week-based year 2019, week 1.
  assert.equal(f('YYYY ww W e', at('2018-12-30T00:00:00Z')), '2019 01 6 1');
  assert.equal(f("'year='YYYY/'week='ww/", at('2018-12-30T00:00:00Z')), 'year=2019/week=01/');
});

test('timestamp patterns: what Java prints, letter by letter, across instants and zones (when a java is installed)', { skip: !available('java', ['-version']) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-jfmt-'));
  try {
    writeFileSync(
      join(dir, 'Fmt.java'),
      `import java.time.*; import java.time.format.*; import java.util.*;
       public class Fmt { public static void main(String[] a) { Scanner sc = new Scanner(System.in);
         while (sc.hasNextLine()) { String[] p = sc.nextLine().split("\t", 3);
           try { System.out.println(DateTimeFormatter.ofPattern(p[2], Locale.US).format(ZonedDateTime.ofInstant(Instant.ofEpochMilli(Long.parseLong(p[0])), ZoneId.of(p[1])))); }
           catch (Exception e) { System.out.println("ERR " + e.getMessage()); } } } }`,
    );
    const patterns = [
      'G GGGG GGGGG u uu uuu uuuu y yy yyyy Y YY YYY YYYY', 'Q QQ QQQ QQQQ QQQQQ q qq qqq qqqq qqqqq', 'M MM MMM MMMM MMMMM L LL LLL LLLL LLLLL',
      'w ww W d dd D DD DDD F', 'E EE EEE EEEE EEEEE e ee eee eeee eeeee c ccc cccc ccccc', 'a h hh K KK k kk H HH m mm s ss',
      'S SSS SSSSSS A AAAAAAAA n nnnnnnnnnn N NNNNNNNNNNNNNNNN', 'VV O OOOO X XX XXX XXXX XXXXX x xx xxx xxxx xxxxx Z ZZ ZZZ ZZZZ ZZZZZ',
      "yyyy/MM/dd/HH/'w'ww", "[yyyy]''''", 'YYYY-ww-e',
    ];
    const instants = ['2018-08-27T10:30:00.078Z', '2018-12-30T23:59:59.999Z', '2021-01-01T00:00:00Z', '2020-12-31T12:00:00Z', '2024-02-29T05:06:07.008Z', '2016-01-03T00:00:00Z'].map(at);
    const zones = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Eucla', 'Pacific/Chatham', 'America/St_Johns'];
    const cases: Array<[number, string, string]> = [];
    for (const ms of instants) for (const zone of zones) for (const pattern of patterns) cases.push([ms, zone, pattern]);
    const input = cases.map(([ms, zone, pattern]) => `${ms}\t${zone}\t${pattern}`).join('\n') + '\n';
    const result = spawnSync('java', [join(dir, 'Fmt.java')], { input, encoding: 'utf8', timeout: 120_000 });
    const lines = result.stdout.split('\n');
    cases.forEach(([ms, zone, pattern], i) => {
      assert.equal(compileTimestampPattern(pattern)(ms, zone), lines[i], `${pattern} at ${new Date(ms).toISOString()} in ${zone}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timestamp patterns: letters outside the subset and Java-invalid patterns are refused with a reason', () => {
  for (const [pattern, reason] of [
    ['yyyy-MM-dd zzz', /Unsupported pattern letter: z/], ['ppH', /Unsupported pattern letter: p/], ['b', /^Unknown pattern letter: b$/],
    ['yyyy-MM-dd T', /^Unknown pattern letter: T$/], ['WW', /Too many pattern letters: W/], ['FF', /Too many pattern letters: F/],
    ['V', /Pattern letter count must be 2: V/], ['OO', /Pattern letter count must be 1 or 4: O/], ['cc', /Invalid pattern "cc"/],
    ['XXXXXX', /Too many pattern letters: X/], ['kkk', /Too many pattern letters: k/], ['QQQQQQ', /Too many pattern letters: Q/],
    ['ddd', /Too many pattern letters: d/], ['HHH', /Too many pattern letters: H/],
    ['MMMMMM', /Too many pattern letters: M/], ['EEEEEE', /Too many pattern letters: E/], ['aa', /Too many pattern letters: a/],
    ['SSSSSSSSSS', /Too many pattern letters: S/], ['DDDD', /Too many pattern letters: D/], ['www', /Too many pattern letters: w/],
    ["yyyy'abc", /incomplete string literal/], ['yyyy]', /\] without previous \[/], ['yyyy#', /reserved character: '#'/],
  ] as const) {
    assert.throws(() => compileTimestampPattern(pattern), (err: unknown) => err instanceof TimestampPatternError && reason.test(err.message), pattern);
  }
});

test('timestamp patterns: IANA time zones, across daylight-saving changes', () => {
  const f = compileTimestampPattern('yyyy-MM-dd HH:mm:ss');
  // New York springs forward at 2018-03-11 07:00 UTC (01:59:59 EST → 03:00:00 EDT).
  assert.equal(f(at('2018-03-11T06:59:59Z'), 'America/New_York'), '2018-03-11 01:59:59');
  assert.equal(f(at('2018-03-11T07:00:00Z'), 'America/New_York'), '2018-03-11 03:00:00');
  // Berlin falls back at 2018-10-28 01:00 UTC: 02:59:59 CEST, then 02:00:00 CET.
  assert.equal(f(at('2018-10-28T00:59:59Z'), 'Europe/Berlin'), '2018-10-28 02:59:59');
  assert.equal(f(at('2018-10-28T01:00:00Z'), 'Europe/Berlin'), '2018-10-28 02:00:00');
  assert.equal(f(DOC_INSTANT, 'Asia/Kolkata'), '2018-08-27 16:00:00');
  assert.equal(f(DOC_INSTANT, 'Asia/Tokyo'), '2018-08-27 19:30:00');
  // The date changes with the zone, and so do the day of week and the day of year.
  const g = compileTimestampPattern('yyyy/MM/dd/HH EEE DDD');
  assert.equal(g(at('2018-12-31T20:00:00Z'), 'Asia/Tokyo'), '2019/01/01/05 Tue 001');
  assert.equal(g(at('2019-01-01T03:00:00Z'), 'America/Los_Angeles'), '2018/12/31/19 Mon 365');
  assert.throws(() => f(DOC_INSTANT, 'Mars/Olympus_Mons'), RangeError);
  assert.equal(isKnownTimeZone('Mars/Olympus_Mons'), false);
  assert.equal(isKnownTimeZone('America/New_York'), true);
  assert.equal(zonedFields(at('2018-03-11T07:00:00.250Z'), 'America/New_York').millisecond, 250);
});

/** Java's own DateTimeFormatter (Locale.US, as Millrace assumes for `w`, `E`, `MMM`, `a`) as the oracle. */
const JAVA_ORACLE = `
import java.time.*; import java.time.format.*; import java.util.*; import java.nio.file.*;
public class Oracle {
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      String[] f = line.split("\\u0001", -1);
      try {
        DateTimeFormatter formatter = DateTimeFormatter.ofPattern(f[0], Locale.US);
        out.append(formatter.format(ZonedDateTime.ofInstant(Instant.ofEpochMilli(Long.parseLong(f[2])), ZoneId.of(f[1]))));
      } catch (IllegalArgumentException e) { out.append("\\u0002ERROR"); }
      out.append('\\n');
    }
    System.out.print(out);
  }
}`;

test('timestamp patterns print what Java DateTimeFormatter prints (skipped without a JDK)', async (t) => {
  if (!available('java', ['-version'])) return t.skip('no `java` here to compare with');
  const patterns = [
    'yyyy/MM/dd/HH/', "yyyy'-'MM'-'dd", 'y yy yyy yyyy yyyyy', 'u uu uuuu', 'M MM MMM MMMM MMMMM', 'd dd', 'D DD DDD', 'H HH h hh a',
    'm mm s ss', 'S SS SSS SSSS SSSSSS', 'E EE EEE EEEE EEEEE', 'w ww', "'quoted ''text''' yyyy", '[yyyy][MM]', 'yyyy-MM-dd-HH-mm-ss',
    'ddd', 'HHH', 'aa', 'MMMMMM', "yyyy'open", 'yyyy{', '#', '[yyyy', 'yyyy]', '[[yyyy]MM]dd', 'yyyy|MM~dd!HH@mm$ss%^&*()_+=;,<>?',
    'yyyy年MM月dd日', "''''", "'''yyyy'''", 'SSSSSSSSS', 'SSSSSSSSSS', 'uuuuuu', 'yyyyyy',
  ];
  const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Tokyo', 'America/Sao_Paulo'];
  const instants = [DOC_INSTANT, at('2018-03-11T06:59:59.999Z'), at('2018-03-11T07:00:00Z'), at('2018-10-28T01:00:00Z')];
  // Year ends and starts exercise the week-based year of `w`; the rest spread over 1970–2099.
  for (let year = 2010; year <= 2030; year++) for (const day of ['-01-01T00:00:00Z', '-01-03T12:00:00Z', '-12-28T12:00:00Z', '-12-31T23:30:00Z']) instants.push(at(year + day));
  let seed = 7;
  for (let i = 0; i < 150; i++) instants.push(Math.floor(((seed = (seed * 48271) % 2147483647) / 2147483647) * 4_102_444_800_000));
  const cases: Array<[string, string, number]> = [];
  for (const p of patterns) for (const z of zones) for (const ms of instants) cases.push([p, z, ms]);
  const dir = mkdtempSync(join(tmpdir(), 'millrace-format-java-'));
  try {
    writeFileSync(join(dir, 'Oracle.java'), JAVA_ORACLE);
    writeFileSync(join(dir, 'cases.txt'), cases.map((c) => c.join('\u0001')).join('\n') + '\n');
    const { stdout } = await exec('java', [join(dir, 'Oracle.java'), join(dir, 'cases.txt')], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    const expected = stdout.split('\n');
    let compared = 0;
    cases.forEach(([pattern, zone, ms], i) => {
      let actual: string;
      try {
        actual = compileTimestampPattern(pattern)(ms, zone);
      } catch (err) {
        assert.ok(err instanceof TimestampPatternError);
        actual = '\u0002ERROR';
      }
      assert.equal(actual, expected[i], `${pattern} in ${zone} at ${new Date(ms).toISOString()}`);
      compared++;
    });
    assert.equal(compared, cases.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// prefixes (§8.2, §8.3)

test('prefixes: the examples of the developer guide (10:30 UTC 2018-08-27)', () => {
  // Prefix unspecified → the default yyyy/MM/dd/HH/.
  assert.equal(evaluatePrefix(undefined, UTC), '2018/08/27/10/');
  assert.equal(evaluatePrefix('', UTC), '2018/08/27/10/');
  assert.equal(evaluateErrorPrefix('myFirehoseFailures/!{firehose:error-output-type}/', undefined, 'processing-failed', UTC), 'myFirehoseFailures/processing-failed/');
  const random = evaluatePrefix('myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}', UTC);
  assert.match(random, /^myFirehose\/DeliveredYear=2018\/anyMonth\/rand=[0-9a-f-]{11}$/);
  assert.equal(
    evaluateErrorPrefix('myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}', undefined, 'processing-failed', UTC),
    'myFirehoseFailures/processing-failed/2018/anyMonth/27',
  );
  const july = { epochMs: at('2018-07-06T23:10:00Z'), timeZone: 'UTC' };
  assert.equal(
    evaluatePrefix('myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/', july),
    'myPrefix/year=2018/month=07/day=06/hour=23/',
  );
  assert.equal(
    evaluateErrorPrefix("myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}", undefined, 'processing-failed', july),
    'myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed',
  );
  assert.equal(evaluateErrorPrefix("x/!{firehose:error-output-type}/!{firehose:error-output-type}", undefined, 'splunk-failed', UTC), 'x/splunk-failed/splunk-failed');
  // Invalid input: ErrorOutputPrefix can't be null when Prefix contains expressions.
  assert.equal(checkPrefixes({ prefix: '!{timestamp:yyyy/MM/dd}', dynamicPartitioning: false }), ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE);
});

test('prefixes: yyyy/MM/dd/HH/ is appended by literal concatenation unless a timestamp or partition key is there', () => {
  assert.equal(evaluatePrefix('legacy', UTC), 'legacy2018/08/27/10/', 'no slash inserted (§1 fact 8)');
  assert.equal(evaluatePrefix('logs/', UTC), 'logs/2018/08/27/10/');
  assert.equal(evaluatePrefix('logs/!{timestamp:yyyy}/', UTC), 'logs/2018/');
  assert.match(evaluatePrefix('r/!{firehose:random-string}/', UTC), /^r\/[0-9a-f-]{11}\/2018\/08\/27\/10\/$/, 'random-string alone: the documented rule appends');
  assert.equal(evaluatePrefix('c=!{partitionKeyFromQuery:customer}/', { ...UTC, partitionKeys: { customer: 'acme' } }), 'c=acme/');
  assert.equal(evaluatePrefix('c=!{partitionKeyFromLambda:customer}/', { ...UTC, partitionKeysFromLambda: { customer: 'z' } }), 'c=z/');
  // CustomTimeZone applies to the appended timestamp too.
  assert.equal(evaluatePrefix('legacy/', { epochMs: DOC_INSTANT, timeZone: 'Asia/Tokyo' }), 'legacy/2018/08/27/19/');
  assert.equal(evaluatePrefix('t/!{timestamp:yyyy-MM-dd HH}/', { epochMs: at('2018-12-31T20:00:00Z'), timeZone: 'Asia/Tokyo' }), 't/2019-01-01 05/');
});

test('prefixes: the error fallback of rule 4 is <prefix><type>/yyyy/MM/dd/HH/', () => {
  assert.equal(evaluateErrorPrefix(undefined, 'myFirehosePrefix/', 'processing-failed', UTC), 'myFirehosePrefix/processing-failed/2018/08/27/10/');
  assert.equal(evaluateErrorPrefix(undefined, undefined, 'http-endpoint-failed', UTC), 'http-endpoint-failed/2018/08/27/10/');
  assert.equal(evaluateErrorPrefix('', 'legacy', 'splunk-failed', UTC), 'legacysplunk-failed/2018/08/27/10/');
  assert.equal(evaluateErrorPrefix('errors/', 'data/', 'format-conversion-failed', UTC), 'errors/format-conversion-failed/2018/08/27/10/');
  assert.equal(evaluateErrorPrefix(undefined, 'p/', 'activePartitionExceeded', { epochMs: DOC_INSTANT, timeZone: 'America/New_York' }), 'p/activePartitionExceeded/2018/08/27/06/');
});

test('prefixes: every Create/Update-time rule answers with its text', () => {
  const check = (prefix: string | undefined, errorOutputPrefix: string | undefined, dynamicPartitioning = false, redshift = false) =>
    checkPrefixes({ prefix, errorOutputPrefix, dynamicPartitioning, redshift });
  // Accepted.
  assert.equal(check(undefined, undefined), undefined);
  assert.equal(check('static/', undefined), undefined);
  assert.equal(check('static/', 'errors/'), undefined);
  assert.equal(check('a/!{timestamp:yyyy}/', 'e/!{firehose:error-output-type}/'), undefined);
  assert.equal(check('a/!{firehose:random-string}/', 'e/!{firehose:error-output-type}/!{firehose:random-string}'), undefined);
  assert.equal(check('c=!{partitionKeyFromQuery:c}/!{partitionKeyFromLambda:d}/', 'e/!{firehose:error-output-type}/', true), undefined);
  // Rule 4, recorded text with AWS's typo.
  assert.equal(ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE, 'Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains expressions');
  assert.equal(check('a/!{timestamp:yyyy}/', undefined), ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE);
  assert.equal(check('a/!{timestamp:yyyy}/', ''), ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE);
  assert.equal(check('a/!{firehose:random-string}/', undefined), ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE);
  assert.equal(check('c=!{partitionKeyFromQuery:c}/', undefined, true), ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE, 'rule 7: dynamic partitioning needs an ErrorOutputPrefix');
  // Rule 3: `!{` only as an expression opener, with a known namespace and value.
  for (const bad of ['a/!{timestamp:yyyy', 'a/!{}/', 'a/!{timestamp}/', 'a/!{timestamp:}/', 'a/!{foo:bar}/', 'a/!{firehose:nope}/', 'a/!{timestamp:!{x}/']) {
    assert.match(check(bad, 'e/!{firehose:error-output-type}') ?? '', /^Ths supplied prefix\(es\) do not satisfy the following constraint: The sequence !\{ can only appear/, bad);
  }
  assert.equal(check('a/!{foo:bar}/', 'e/!{firehose:error-output-type}'), INVALID_EXPRESSION_MESSAGE('!{foo:bar}'));
  assert.equal(check('a/', 'e/!{firehose:error-output-type}/!{oops'), INVALID_EXPRESSION_MESSAGE('!{oops'));
  // A timestamp pattern outside the subset.
  assert.equal(check('a/!{timestamp:YYYY}/', 'e/!{firehose:error-output-type}'), undefined, 'any Java DateTimeFormatter letter AWS accepts');
  assert.equal(check('a/!{timestamp:zzz}/', 'e/!{firehose:error-output-type}'), INVALID_TIMESTAMP_PATTERN_MESSAGE('zzz', 'Unsupported pattern letter: z'));
  assert.equal(check('a/!{timestamp:bb}/', 'e/!{firehose:error-output-type}'), INVALID_TIMESTAMP_PATTERN_MESSAGE('bb', 'Unknown pattern letter: b'));
  assert.equal(check('a/!{timestamp:yyyy}/', 'e/!{firehose:error-output-type}/!{timestamp:ddd}'), INVALID_TIMESTAMP_PATTERN_MESSAGE('ddd', 'Too many pattern letters: d'));
  // Rule 5.
  assert.equal(check('a/!{firehose:error-output-type}/', 'e/!{firehose:error-output-type}'), ERROR_OUTPUT_TYPE_IN_PREFIX_MESSAGE);
  assert.equal(check('a/!{timestamp:yyyy}/', 'e/!{timestamp:yyyy}/'), ERROR_OUTPUT_TYPE_REQUIRED_MESSAGE);
  // Dynamic partitioning namespaces: only with dynamic partitioning, never in ErrorOutputPrefix.
  assert.equal(check('c=!{partitionKeyFromQuery:c}/', 'e/!{firehose:error-output-type}'), PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE);
  assert.equal(PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE, 'Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic Partitioning is enabled.');
  assert.equal(check('a/', 'e/!{firehose:error-output-type}/!{partitionKeyFromLambda:c}'), PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE);
  assert.equal(check('c=!{partitionKeyFromQuery:c}/', 'e/!{firehose:error-output-type}/!{partitionKeyFromQuery:c}', true), PARTITION_KEY_IN_ERROR_PREFIX_MESSAGE);
  assert.equal(check('a/!{timestamp:yyyy}/', 'e/!{firehose:error-output-type}', true), DYNAMIC_PARTITIONING_WITHOUT_PARTITION_KEYS_MESSAGE);
  assert.equal(check(undefined, undefined, true), DYNAMIC_PARTITIONING_WITHOUT_PARTITION_KEYS_MESSAGE);
  // Rule 6: 512 characters after evaluation; what is literal is known at create.
  // (A static prefix gets yyyy/MM/dd/HH/ — 14 characters — appended.)
  assert.equal(check('x'.repeat(MAX_EVALUATED_PREFIX_LENGTH - 14), undefined), undefined);
  assert.equal(check('x'.repeat(MAX_EVALUATED_PREFIX_LENGTH - 13), undefined), PREFIX_TOO_LONG_MESSAGE);
  assert.equal(check('x'.repeat(MAX_EVALUATED_PREFIX_LENGTH - 12) + '!{timestamp:yyyy}', 'e/!{firehose:error-output-type}'), undefined);
  assert.equal(check('x'.repeat(501) + '!{firehose:random-string}!{timestamp:yyyy}', 'e/!{firehose:error-output-type}'), undefined);
  assert.equal(check('x'.repeat(502) + '!{firehose:random-string}!{timestamp:yyyy}', 'e/!{firehose:error-output-type}'), PREFIX_TOO_LONG_MESSAGE);
  assert.equal(check('x'.repeat(487) + '!{firehose:random-string}', 'e/!{firehose:error-output-type}'), undefined, '487 + 11 + 14 appended = 512');
  assert.equal(check('x'.repeat(488) + '!{firehose:random-string}', 'e/!{firehose:error-output-type}'), PREFIX_TOO_LONG_MESSAGE);
  assert.equal(check('a/', 'e'.repeat(600)), PREFIX_TOO_LONG_MESSAGE);
  assert.equal(check('a/!{timestamp:yyyy}', 'e/!{firehose:error-output-type}' + 'e'.repeat(510)), undefined);
  assert.equal(check('a/!{timestamp:yyyy}', 'e/!{firehose:error-output-type}' + 'e'.repeat(511)), PREFIX_TOO_LONG_MESSAGE);
  assert.equal(check('a/', 'e'.repeat(512 - 28)), undefined, 'static error prefix + splunk-failed/ + yyyy/MM/dd/HH/');
  assert.equal(check('a/', 'e'.repeat(512 - 27)), PREFIX_TOO_LONG_MESSAGE);
  // Redshift's intermediate S3: no expressions, no ErrorOutputPrefix.
  assert.equal(check('static/', undefined, false, true), undefined);
  assert.equal(check('a/!{timestamp:yyyy}/', 'e/!{firehose:error-output-type}', false, true), REDSHIFT_PREFIX_MESSAGE);
  assert.equal(check('static/', 'errors/', false, true), REDSHIFT_PREFIX_MESSAGE);
  for (const message of [INVALID_TIMESTAMP_PATTERN_MESSAGE('x', 'y'), ERROR_OUTPUT_TYPE_IN_PREFIX_MESSAGE, ERROR_OUTPUT_TYPE_REQUIRED_MESSAGE, PARTITION_KEY_IN_ERROR_PREFIX_MESSAGE, PREFIX_TOO_LONG_MESSAGE, REDSHIFT_PREFIX_MESSAGE]) {
    assert.match(message, /^Ths supplied prefix\(es\) do not satisfy the following constraint: /);
  }
});

test('prefixes: evaluation fails for a missing partition key or a result over 512 characters', () => {
  const prefix = 'c=!{partitionKeyFromQuery:customer}/d=!{partitionKeyFromLambda:day}/';
  assert.throws(() => evaluatePrefix(prefix, { ...UTC, partitionKeys: { customer: 'a' } }), (e: unknown) => e instanceof PrefixEvaluationError && e.reason === 'missing-partition-key');
  assert.throws(() => evaluatePrefix(prefix, { ...UTC, partitionKeys: { customer: 'a' }, partitionKeysFromLambda: { toString: 'x' } }), PrefixEvaluationError, 'inherited names are not keys');
  assert.equal(evaluatePrefix(prefix, { ...UTC, partitionKeys: { customer: 'a' }, partitionKeysFromLambda: { day: '27' } }), 'c=a/d=27/');
  assert.throws(
    () => evaluatePrefix(prefix, { ...UTC, partitionKeys: { customer: 'a'.repeat(600) }, partitionKeysFromLambda: { day: '1' } }),
    (e: unknown) => e instanceof PrefixEvaluationError && e.reason === 'too-long' && e.message === PREFIX_TOO_LONG_MESSAGE,
  );
  assert.deepEqual(partitionKeyNames(prefix + '!{partitionKeyFromQuery:customer}'), { fromQuery: ['customer'], fromLambda: ['day'] });
  assert.deepEqual(partitionKeyNames('static/'), { fromQuery: [], fromLambda: [] });
});

test('prefixes: !{firehose:random-string} is 11 lowercase hex-or-dash characters, new for every instance', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const s = randomString();
    assert.match(s, /^[0-9a-f-]{11}$/);
    seen.add(s);
  }
  assert.ok(seen.size > 1990, 'random');
  const [a, b] = evaluatePrefix('!{firehose:random-string}/!{firehose:random-string}/!{timestamp:yyyy}', UTC).split('/');
  assert.notEqual(a, b);
});

// ---------------------------------------------------------------------------------------------
// object names (§8.1)

test('object names: <name>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext> in the stream time zone', () => {
  // The shape of a real key (§1 fact 7).
  const real = 'CloudWatchLogs/2021/11/09/05/ASEA-Firehose-Delivery-Stream-1-2021-11-09-05-00-50-a023088c-2ed6-4c6b-89e6-aa649a5bd690';
  const when = at('2021-11-09T05:00:50.400Z');
  const key = evaluatePrefix('CloudWatchLogs/', { epochMs: when, timeZone: 'UTC' }) + objectName('ASEA-Firehose-Delivery-Stream', 1, when, 'UTC', '', 'a023088c-2ed6-4c6b-89e6-aa649a5bd690');
  assert.equal(key, real);
  const generated = objectName('my-stream', 3, DOC_INSTANT, 'UTC', '.gz');
  assert.match(generated, /^my-stream-3-2018-08-27-10-30-00-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.gz$/);
  assert.notEqual(objectName('s', 1, DOC_INSTANT, 'UTC', ''), objectName('s', 1, DOC_INSTANT, 'UTC', ''), 'a new UUID each time');
  assert.equal(objectName('s', 1, DOC_INSTANT, 'Asia/Tokyo', '.snappy', 'u'), 's-1-2018-08-27-19-30-00-u.snappy');
  assert.equal(objectName('s', 12, at('2018-03-11T07:00:00Z'), 'America/New_York', '', 'u'), 's-12-2018-03-11-03-00-00-u');
  // FileExtension replaces the default; empty means unset.
  assert.equal(objectExtension('.gz', '.json.gz'), '.json.gz');
  assert.equal(objectExtension('.gz', ''), '.gz');
  assert.equal(objectExtension('', undefined), '');
});

// ---------------------------------------------------------------------------------------------
// compression (§9)

/** JSON lines, some long, as records (one chunk each). */
function records(count: number, seed = 1): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    seed = (seed * 48271) % 2147483647;
    const body = { id: i, seed, text: 'x'.repeat(seed % 300), nested: { a: [i, seed % 7, 'é'] } };
    out.push(Buffer.from(JSON.stringify(body) + '\n'));
  }
  return out;
}

const EXPECTED_METADATA: Record<CompressionFormat, { extension: string; contentEncoding?: string }> = {
  UNCOMPRESSED: { extension: '' },
  GZIP: { extension: '.gz', contentEncoding: 'gzip' },
  ZIP: { extension: '.zip', contentEncoding: 'zip' },
  Snappy: { extension: '.snappy', contentEncoding: 'snappy-java' },
  HADOOP_SNAPPY: { extension: '.snappy', contentEncoding: 'hadoop-snappy' },
};

test('compression: every format round-trips, with its extension and Content-Encoding', async () => {
  const big = records(30_000); // ~5.5 MB: several deflate segments, snappy blocks and hadoop blocks
  const inputs: Buffer[][] = [[], [Buffer.alloc(0)], [Buffer.from('one record')], records(10), big, [Buffer.alloc(HADOOP_SNAPPY_MAX_INPUT_SIZE * 2 + 5, 'a'), Buffer.from('tail')]];
  for (const format of COMPRESSION_FORMATS) {
    for (const chunks of inputs) {
      const result = await compress(format, chunks);
      assert.equal(result.extension, EXPECTED_METADATA[format].extension);
      assert.equal(result.contentEncoding, EXPECTED_METADATA[format].contentEncoding);
      assert.equal('contentEncoding' in result, format !== 'UNCOMPRESSED');
      assert.deepEqual(await decompress(format, result.body), Buffer.concat(chunks), `${format} of ${chunks.length} chunks`);
    }
  }
  assert.ok(Buffer.concat(big).length > DEFLATE_SEGMENT_BYTES, 'the large input spans deflate segments');
});

test('compression: GZIP is one member with the header Java writes; ZIP one deflated entry named by a UUID', async () => {
  const input = records(40_000);
  const whole = Buffer.concat(input);
  assert.ok(whole.length > DEFLATE_SEGMENT_BYTES, 'spans deflate segments');
  const { body } = await compress('GZIP', input);
  assert.deepEqual([...body.subarray(0, 10)], [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
  // One member: the deflate stream ends exactly before the 8-byte trailer.
  const inflated = inflateRawSync(body.subarray(10, body.length - 8));
  assert.deepEqual(inflated, whole);
  assert.equal(body.readUInt32LE(body.length - 4), whole.length);
  assert.deepEqual(gunzipSync(body), whole);
  assert.equal(fallbackCrc32ForTests(whole), body.readUInt32LE(body.length - 8), 'the CRC-32 for Node releases without zlib.crc32');

  const zip = (await compress('ZIP', input, { modifiedMs: at('2018-08-27T10:30:00Z') })).body;
  assert.equal(zip.readUInt32LE(0), 0x04034b50, 'local file header');
  assert.equal(zip.readUInt16LE(8), 8, 'deflated');
  const nameLength = zip.readUInt16LE(26);
  assert.match(zip.subarray(30, 30 + nameLength).toString(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(zip.readUInt16LE(zip.length - 22 + 10), 1, 'one entry in the central directory');
  assert.deepEqual(await decompress('ZIP', zip), whole);
});

test('compression: snappy-java framing byte for byte (header, one [length][block] per 32 KiB)', async () => {
  const input = records(3000);
  const whole = Buffer.concat(input);
  const { body } = await compress('Snappy', input);
  assert.deepEqual([...body.subarray(0, 16)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  // Walk the blocks: each is a raw snappy block of exactly 32 KiB of input, the last one the rest.
  const blocks: Buffer[] = [];
  for (let offset = 16; offset < body.length; ) {
    const length = body.readInt32BE(offset);
    blocks.push(snappyUncompress(body.subarray(offset + 4, offset + 4 + length), { asBuffer: true }) as Buffer);
    offset += 4 + length;
    assert.ok(offset <= body.length);
  }
  assert.equal(blocks.length, Math.ceil(whole.length / SNAPPY_JAVA_BLOCK_SIZE));
  blocks.slice(0, -1).forEach((b) => assert.equal(b.length, SNAPPY_JAVA_BLOCK_SIZE));
  assert.deepEqual(Buffer.concat(blocks), whole);
  // The exact bytes: the header, then each 32 KiB slice compressed alone — whatever the chunking.
  const expected = [body.subarray(0, 16)];
  for (let i = 0; i < whole.length; i += SNAPPY_JAVA_BLOCK_SIZE) {
    const block = snappyCompress(whole.subarray(i, i + SNAPPY_JAVA_BLOCK_SIZE));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    expected.push(length, block);
  }
  assert.deepEqual(body, Buffer.concat(expected));
  assert.deepEqual((await compress('Snappy', [whole])).body, body, 'chunking does not change snappy-java output');
  // An empty object is the header alone.
  assert.deepEqual((await compress('Snappy', [])).body, body.subarray(0, 16));
  // Concatenated streams read as one, as SnappyInputStream does; damage is reported.
  assert.deepEqual(unframeSnappyJava(Buffer.concat([body, body]), rawUncompress), Buffer.concat([whole, whole]));
  assert.throws(() => unframeSnappyJava(body.subarray(0, body.length - 1), rawUncompress), SnappyFramingError);
  assert.throws(() => unframeSnappyJava(Buffer.from('not snappy at all'), rawUncompress), SnappyFramingError);
});

function rawUncompress(block: Uint8Array): Buffer {
  return snappyUncompress(block, { asBuffer: true }) as Buffer;
}

/** Reads Hadoop framing into its structure: [{ raw, chunks: [compressed length…] }]. */
function hadoopBlocks(body: Buffer): Array<{ raw: number; chunks: number[] }> {
  const blocks: Array<{ raw: number; chunks: number[] }> = [];
  let offset = 0;
  while (offset < body.length) {
    const raw = body.readInt32BE(offset);
    offset += 4;
    const block = { raw, chunks: [] as number[] };
    let produced = 0;
    while (produced < raw) {
      const length = body.readInt32BE(offset);
      produced += (snappyUncompress(body.subarray(offset + 4, offset + 4 + length), { asBuffer: true }) as Buffer).length;
      block.chunks.push(length);
      offset += 4 + length;
    }
    blocks.push(block);
  }
  return blocks;
}

test('compression: Hadoop BlockCompressorStream framing byte for byte', async () => {
  assert.equal(HADOOP_SNAPPY_MAX_INPUT_SIZE, 262144 - (Math.floor(262144 / 6) + 32));
  // Small writes accumulate until the next one would pass MAX_INPUT_SIZE: blocks end on record boundaries.
  const input = records(5000);
  const whole = Buffer.concat(input);
  const { body } = await compress('HADOOP_SNAPPY', input);
  const blocks = hadoopBlocks(body);
  let expectedRaw: number[] = [];
  let pending = 0;
  for (const r of input) {
    if (pending + r.length > HADOOP_SNAPPY_MAX_INPUT_SIZE && pending > 0) { expectedRaw.push(pending); pending = 0; }
    pending += r.length;
  }
  expectedRaw.push(pending);
  assert.deepEqual(blocks.map((b) => b.raw), expectedRaw);
  assert.ok(blocks.every((b) => b.chunks.length === 1));
  // The exact bytes: [raw length][compressed length][snappy of the block's records].
  const expected: Buffer[] = [];
  let cursor = 0;
  for (const raw of expectedRaw) {
    const compressed = snappyCompress(whole.subarray(cursor, cursor + raw));
    const head = Buffer.alloc(8);
    head.writeInt32BE(raw, 0);
    head.writeInt32BE(compressed.length, 4);
    expected.push(head, compressed);
    cursor += raw;
  }
  assert.deepEqual(body, Buffer.concat(expected));
  assert.deepEqual(await decompress('HADOOP_SNAPPY', body), whole);

  // A write larger than MAX_INPUT_SIZE: the pending block first, then one raw length and a chunk per
  // MAX_INPUT_SIZE segment; close() then ends an empty block (4 zero bytes).
  const large = Buffer.alloc(HADOOP_SNAPPY_MAX_INPUT_SIZE * 2 + 100, 'b');
  const mixed = hadoopBlocks((await compress('HADOOP_SNAPPY', [Buffer.from('head'), large])).body);
  assert.deepEqual(mixed, [
    { raw: 4, chunks: [snappyCompress(Buffer.from('head')).length] },
    { raw: large.length, chunks: [snappyCompress(large.subarray(0, HADOOP_SNAPPY_MAX_INPUT_SIZE)).length, snappyCompress(large.subarray(0, HADOOP_SNAPPY_MAX_INPUT_SIZE)).length, snappyCompress(large.subarray(0, 100)).length] },
    { raw: 0, chunks: [] },
  ]);
  // After a large write, small writes start a new block.
  assert.deepEqual(hadoopBlocks((await compress('HADOOP_SNAPPY', [large, Buffer.from('x'), Buffer.from('yz')])).body).map((b) => b.raw), [large.length, 3]);
  // Nothing written: one empty block, as BlockCompressorStream.close() writes it.
  assert.deepEqual((await compress('HADOOP_SNAPPY', [])).body, Buffer.alloc(4));
  assert.deepEqual(await decompress('HADOOP_SNAPPY', Buffer.alloc(4)), Buffer.alloc(0));
  // Damage is reported, not silently truncated.
  assert.throws(() => unframeHadoopSnappy(body.subarray(0, body.length - 3), rawUncompress), SnappyFramingError);
  const lying = Buffer.from(body);
  lying.writeInt32BE(expectedRaw[0]! - 1, 0);
  assert.throws(() => unframeHadoopSnappy(lying, rawUncompress), SnappyFramingError);
  // The writers directly, with a custom block compressor, to pin the calls Java would make.
  const calls: number[] = [];
  const writer = new HadoopSnappyWriter((b) => { calls.push(b.length); return Buffer.from(b); }, 10);
  for (const n of [4, 4, 4, 25, 1]) writer.write(Buffer.alloc(n));
  writer.end();
  assert.deepEqual(calls, [8, 4, 10, 10, 5, 1]);
  const javaCalls: number[] = [];
  const java = new SnappyJavaWriter((b) => { javaCalls.push(b.length); return Buffer.from(b); }, 10);
  for (const n of [4, 4, 4, 25, 1]) java.write(Buffer.alloc(n));
  java.end();
  assert.deepEqual(javaCalls, [10, 10, 10, 8]);
});

test('decompression of a damaged body rejects, for every format', async () => {
  const input = records(2000);
  for (const format of COMPRESSION_FORMATS.filter((f) => f !== 'UNCOMPRESSED')) {
    const { body } = await compress(format, input);
    await assert.rejects(decompress(format, body.subarray(0, body.length - 7)), `${format}: truncated`);
    await assert.rejects(decompress(format, Buffer.from('definitely not compressed data, not even close')), `${format}: garbage`);
  }
});

/** An independent reader of all five bodies in Python: gzip, zipfile, and both Snappy framings over cramjam's raw blocks. */
const PYTHON_CHECK = `
import sys, gzip, zipfile, io, json, struct
have_cramjam = True
try:
    import cramjam
except ImportError:
    have_cramjam = False
d = sys.argv[1]
expected = open(d + '/plain', 'rb').read()
out = {}
out['gzip'] = gzip.decompress(open(d + '/gz', 'rb').read()) == expected
z = zipfile.ZipFile(d + '/zip')
infos = z.infolist()
out['zip'] = len(infos) == 1 and infos[0].compress_type == zipfile.ZIP_DEFLATED and z.read(infos[0]) == expected and z.testzip() is None
out['zip_name'] = infos[0].filename
if have_cramjam:
    raw = lambda b: bytes(cramjam.snappy.decompress_raw(b))
    b = open(d + '/snappy', 'rb').read()
    assert b[:16] == bytes([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])
    i, parts = 16, []
    while i < len(b):
        (n,) = struct.unpack('>i', b[i:i + 4]); parts.append(raw(b[i + 4:i + 4 + n])); i += 4 + n
    out['snappy'] = b''.join(parts) == expected and all(len(p) == 32768 for p in parts[:-1])
    b = open(d + '/hsnappy', 'rb').read()
    i, parts = 0, []
    while i < len(b):
        (total,) = struct.unpack('>i', b[i:i + 4]); i += 4; got = 0
        while got < total:
            (n,) = struct.unpack('>i', b[i:i + 4]); p = raw(b[i + 4:i + 4 + n]); parts.append(p); got += len(p); i += 4 + n
        assert got == total
    out['hadoop_snappy'] = b''.join(parts) == expected
print(json.dumps(out))
`;

test('compression: Python reads every body (gzip, zipfile; snappy framings via cramjam, skipped without it)', async (t) => {
  if (!available('python3', ['-c', 'import gzip, zipfile'])) return t.skip('no python3 here');
  const input = records(20_000);
  const dir = mkdtempSync(join(tmpdir(), 'millrace-format-python-'));
  try {
    writeFileSync(join(dir, 'plain'), Buffer.concat(input));
    writeFileSync(join(dir, 'gz'), (await compress('GZIP', input)).body);
    writeFileSync(join(dir, 'zip'), (await compress('ZIP', input)).body);
    writeFileSync(join(dir, 'snappy'), (await compress('Snappy', input)).body);
    writeFileSync(join(dir, 'hsnappy'), (await compress('HADOOP_SNAPPY', input)).body);
    const { stdout } = await exec('python3', ['-c', PYTHON_CHECK, dir], { timeout: 60_000 });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(result.gzip, true);
    assert.equal(result.zip, true);
    assert.match(String(result.zip_name), /^[0-9a-f-]{36}$/);
    if (!('snappy' in result)) return t.skip('python3 has no cramjam (pip install cramjam) to read the Snappy framings; gzip and zip checked');
    assert.equal(result.snappy, true);
    assert.equal(result.hadoop_snappy, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** C++ snappy (python-snappy, as Debian's python3-snappy packages it) — the library inside snappy-java. */
const CPP_SNAPPY_CHECK = `
import sys, io, json, struct, snappy
from snappy import hadoop_snappy
d = sys.argv[1]
plain = open(d + '/plain', 'rb').read()
body = open(d + '/snappy', 'rb').read()
# snappy-java: the header, then each 32 KiB slice as C++ snappy compresses it, byte for byte.
expected = bytearray(body[:16])
for i in range(0, len(plain), 32768):
    block = snappy.compress(plain[i:i + 32768])
    expected += struct.pack('>i', len(block)) + block
out = {'snappy_identical': bytes(expected) == body}
sink = io.BytesIO()
hadoop_snappy.stream_decompress(io.BytesIO(open(d + '/hsnappy', 'rb').read()), sink)
out['hadoop_snappy_reads'] = sink.getvalue() == plain
print(json.dumps(out))
`;

async function pythonWithSnappy(): Promise<string | undefined> {
  for (const python of ['python3', '/usr/bin/python3']) if (available(python, ['-c', 'import snappy.hadoop_snappy'])) return python;
  return undefined;
}

test('compression: Snappy bodies equal C++ snappy\'s blocks byte for byte, and python-snappy reads the Hadoop framing (skipped without python-snappy)', async (t) => {
  const python = await pythonWithSnappy();
  if (!python) return t.skip('no python-snappy here (Debian: apt-get install python3-snappy)');
  const input = records(25_000);
  const dir = mkdtempSync(join(tmpdir(), 'millrace-format-cppsnappy-'));
  try {
    writeFileSync(join(dir, 'plain'), Buffer.concat(input));
    writeFileSync(join(dir, 'snappy'), (await compress('Snappy', input)).body);
    writeFileSync(join(dir, 'hsnappy'), (await compress('HADOOP_SNAPPY', input)).body);
    const { stdout } = await exec(python, ['-c', CPP_SNAPPY_CHECK, dir], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { snappy_identical: true, hadoop_snappy_reads: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const JAVA_GZIP = `
import java.io.*; import java.util.Arrays; import java.util.zip.*; import java.nio.file.*;
public class Gz { public static void main(String[] a) throws Exception {
  byte[] gz = Files.readAllBytes(Path.of(a[0]));
  try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) { Files.write(Path.of(a[1]), in.readAllBytes()); }
  ByteArrayOutputStream bo = new ByteArrayOutputStream();
  try (GZIPOutputStream g = new GZIPOutputStream(bo)) { g.write(1); }
  Files.write(Path.of(a[2]), Arrays.copyOf(bo.toByteArray(), 10));
  try (ZipInputStream z = new ZipInputStream(new FileInputStream(a[3]))) { ZipEntry e = z.getNextEntry(); Files.write(Path.of(a[4]), z.readAllBytes()); if (z.getNextEntry() != null) throw new Error("two entries"); }
} }`;

test('compression: Java reads GZIP and ZIP, and its GZIPOutputStream header is ours (skipped without a JDK)', async (t) => {
  if (!available('java', ['-version'])) return t.skip('no `java` here to compare with');
  const input = records(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'millrace-format-javagz-'));
  try {
    writeFileSync(join(dir, 'Gz.java'), JAVA_GZIP);
    const gz = (await compress('GZIP', input)).body;
    writeFileSync(join(dir, 'in.gz'), gz);
    writeFileSync(join(dir, 'in.zip'), (await compress('ZIP', input)).body);
    await exec('java', [join(dir, 'Gz.java'), join(dir, 'in.gz'), join(dir, 'out'), join(dir, 'header'), join(dir, 'in.zip'), join(dir, 'zip-out')], { timeout: 120_000 });
    assert.deepEqual(readFileSync(join(dir, 'out')), Buffer.concat(input));
    assert.deepEqual(readFileSync(join(dir, 'zip-out')), Buffer.concat(input));
    assert.deepEqual(readFileSync(join(dir, 'header')), gz.subarray(0, 10));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
