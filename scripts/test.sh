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
  # Reports go to files as well as they can: a background server's stderr
  # is /dev/null, and its report must not go unseen.
  logs=$PWD/$dir/sanitizer-logs
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:verify_asan_link_order=0:log_path=$logs/asan
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:log_path=$logs/tsan
fi
scripts/install-deps.sh
scripts/build.sh "${build_args[@]}"
cd "$dir"
if [[ -n ${logs:-} ]]; then
  rm -rf "$logs"
  mkdir -p "$logs"
  chmod 1777 "$logs"  # servers run as nobody write there too
fi
status=0
ctest --output-on-failure -j"$(nproc)" "$@" || status=$?
if [[ -n ${logs:-} ]] && compgen -G "$logs/*" >/dev/null; then
  echo "test.sh: sanitizer reports (from $logs):" >&2
  cat "$logs"/* >&2
  status=1
fi
exit $status
