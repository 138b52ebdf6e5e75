# The environment bin/millrace starts the server with (sourced, POSIX sh): glibc's malloc tuning
# and Node's helper threads, each unless the environment already has its own. Both are read once,
# when a process starts, so Node cannot set them for itself.
#
# Buffers of record data are malloc'ed and freed at a high rate, and by default glibc keeps what
# was freed. A fixed mmap threshold hands buffers of 128 KiB and more straight back to the kernel
# (by default the threshold climbs to the largest buffer freed so far, ~7 MB), and two arenas
# instead of one per thread leave fewer heaps to fragment. Measured on the bench, RSS after
# writing 5 GB: 276-290 MB started as plain `node dist/src/cli.js`, 207-235 MB through
# bin/millrace (README, "Benchmarks"). Other C libraries (musl, macOS) ignore these variables.
: "${MALLOC_ARENA_MAX:=2}"
: "${MALLOC_MMAP_THRESHOLD_:=131072}"
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

