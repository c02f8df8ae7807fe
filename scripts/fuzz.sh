#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan and UBSan) into
# build-fuzz/ and runs each for SECONDS (default 60) from its committed
# corpus (tests/fuzz/corpus/<name>); new inputs go to build-fuzz/corpus/.
# A crash leaves its reproducer in build-fuzz/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMDEVSIM_SANITIZE=fuzzer \
  -DMDEVSIM_BUILD_TESTS=OFF -DMDEVSIM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target css_config_fuzz guest_start_fuzz css_view_fuzz channel_program_fuzz
for name in css_config guest_start css_view channel_program; do
  mkdir -p "build-fuzz/corpus/$name"
  echo "fuzz.sh: $name for ${seconds}s"
  (cd build-fuzz && "./tests/fuzz/${name}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    "corpus/$name" "../tests/fuzz/corpus/$name")
done
