#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, golden,
# fuse, clients). Needs root: the tests mount FUSE file systems and create
# mount namespaces. --sanitize=address runs them all built with ASan and
# UBSan (leak detection on, any report fails), --sanitize=thread with TSan;
# other arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
build_args=()
if [[ ${1:-} == --sanitize=* ]]; then
  build_args=("$1")
  dir=build-${1#--sanitize=}
  dir=${dir/address/asan}
  dir=${dir/thread/tsan}
  shift
  # verify_asan_link_order=0: the client tests run sanitized test programs
  # under `mdevsim exec`, which preloads its (unsanitized) f_type library
  # ahead of the ASan runtime; that library only wraps statfs.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:verify_asan_link_order=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
fi
scripts/install-deps.sh
scripts/build.sh "${build_args[@]}"
cd "$dir"
ctest --output-on-failure -j"$(nproc)" "$@"
