#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them all, printing the figures.
#
#   benchmarks/run.sh [extra attr_io_benchmark arguments...]
#
# Env:
#   BUILD_DIR    build directory (default: build-bench next to benchmarks/)
#   BUILD_TYPE   Release (default) or RelWithDebInfo (for perf)
#   BENCHES      which to run, any of "attr_io assign engine migration mount_256x256 mount_css"
#                (default: all)
#   REPS         repetitions of each attr_io, assign and engine benchmark (default 5;
#                medians are reported; the runs are interleaved to spread out
#                noise)
#   MIN_TIME     --benchmark_min_time per repetition, seconds (default 0.5)
#   ASSIGN_ARGS  extra assign_benchmark arguments (e.g. --benchmark_filter=mount/)
#   ENGINE_ARGS  extra engine_benchmark arguments (e.g. --benchmark_filter=crt/)
#   ASSIGN_CPUS  run assign_benchmark under `taskset -c ASSIGN_CPUS` (e.g. 1:
#                client and FUSE server threads share one CPU, which takes
#                cross-CPU wake-ups out of the FUSE round trips; see README)
#   RUNS, WALK   passed to mount_256x256.sh (RUNS, COUNT and S390_TOOLS to mount_css.sh)
#
# Needs root and /dev/fuse for everything FUSE; without them only the
# native sysfs and tmpfs figures are measured. Nothing here is a ctest test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$src/build-bench}
BUILD_TYPE=${BUILD_TYPE:-Release}
REPS=${REPS:-5}
MIN_TIME=${MIN_TIME:-0.5}
BENCHES=${BENCHES:-attr_io assign engine migration mount_256x256 mount_css}
ASSIGN_ARGS=${ASSIGN_ARGS:-}
ENGINE_ARGS=${ENGINE_ARGS:-}
ASSIGN_CPUS=${ASSIGN_CPUS:-}
wants() { [[ " $BENCHES " == *" $1 "* ]]; }
# run_bench NAME ARGS...: REPS interleaved repetitions, medians only;
# under the command in the array `pin` if any (taskset).
pin=()
run_bench() {
  local name=$1
  shift
  "${pin[@]}" "$BUILD_DIR/benchmarks/$name" \
    --benchmark_repetitions="$REPS" \
    --benchmark_min_time="$MIN_TIME" \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    "$@"
}

echo "== Building ($BUILD_TYPE) in $BUILD_DIR"
# The benchmarks need no test sources; keep the build independent of them.
cmake -S "$src" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
  -DMDEVSIM_BUILD_TESTS=OFF -DMDEVSIM_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target mdevsim attr_io_benchmark assign_benchmark engine_benchmark \
  migration_check_benchmark

echo
echo "== Machine: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"

if wants attr_io; then
  echo
  echo "== attr_io_benchmark (REPS=$REPS, MIN_TIME=$MIN_TIME s)"
  run_bench attr_io_benchmark "$@"
fi

if wants assign; then
  echo
  echo "== assign_benchmark (REPS=$REPS, MIN_TIME=$MIN_TIME s${ASSIGN_CPUS:+, CPUs $ASSIGN_CPUS})"
  [[ -n $ASSIGN_CPUS ]] && pin=(taskset -c "$ASSIGN_CPUS")
  # shellcheck disable=SC2086  # ASSIGN_ARGS: several words on purpose
  run_bench assign_benchmark $ASSIGN_ARGS
  pin=()
fi

if wants engine; then
  echo
  echo "== engine_benchmark (REPS=$REPS, MIN_TIME=$MIN_TIME s); ends with the ratio tables"
  # shellcheck disable=SC2086  # ENGINE_ARGS: several words on purpose
  run_bench engine_benchmark $ENGINE_ARGS
fi

if wants migration; then
  echo
  echo "== migration_check_benchmark (REPS=$REPS, MIN_TIME=$MIN_TIME s)"
  run_bench migration_check_benchmark
fi

if wants mount_256x256; then
  echo
  echo "== mount_256x256"
  "$here/mount_256x256.sh" "$BUILD_DIR/mdevsim" "$src/testdata/hosts/full-256x256.json"
fi

if wants mount_css; then
  echo
  echo "== mount_css"
  "$here/mount_css.sh" "$BUILD_DIR/mdevsim"
fi
