# The environment bin/millrace starts the server with (sourced, POSIX sh): glibc's malloc tuning
# and Node's helper threads, each unless the environment already has its own. Both are read once,
# when a process starts, so Node cannot set them for itself.
#
# Buffers of record data are malloc'ed and freed at a high rate, and by default glibc keeps what
# was freed: its mmap threshold climbs to the largest buffer freed so far (~7 MB, a 5 MiB
# PutRecords body), and those bodies then sit in the heap among small buffers that outlive them.
# A fixed threshold of 2 MiB hands batch bodies and large responses straight back to the kernel,
# while the buffers of a single record (a 1 MiB record's 1.4 MB body, its data) are reused from
# the heap instead of being mapped, faulted in and unmapped per request. Two arenas instead of one
# per thread leave fewer heaps to fragment. Measured on the bench (README, "Benchmarks"), RSS
# after writing 5 GB: 276-290 MB as plain `node dist/src/cli.js`, 214-261 MB through bin/millrace;
# 1 MiB records in/out, run alone, 343-369/395-409 MB/s against 267-308/355 MB/s with a 128 KiB
# threshold (RSS 207-243 MB). Other C libraries (musl, macOS) ignore these variables.
: "${MALLOC_ARENA_MAX:=2}"
: "${MALLOC_MMAP_THRESHOLD_:=2097152}"
# One V8 helper thread instead of four. The server's heaps are small (tens of MB) and it collects
# often, mostly for the external memory of record buffers; four helpers contending with the main
# thread, the LMDB writer and the load for two cores cost more than they save. Measured on the
# 2-core bench: 1 MiB records in and out ~220/285 -> ~290/360 MB/s, PutRecords +5%, fan-out p99
# lower, the rest unchanged (README, "Benchmarks"). Added to NODE_OPTIONS unless that sets it.
case " ${NODE_OPTIONS-} " in
  *" --v8-pool-size"*) ;;
  *) NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--v8-pool-size=1" ;;
esac
export MALLOC_ARENA_MAX MALLOC_MMAP_THRESHOLD_ NODE_OPTIONS

