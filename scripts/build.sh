#!/usr/bin/env bash
# Configures and builds mdevsim (RelWithDebInfo, warnings are errors):
# into build/, or with --sanitize=address|thread into build-asan/ or
# build-tsan/ with those sanitizers (and without the benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "${1:-}" in
  "") ;;
  --sanitize=address) dir=build-asan args+=(-DMDEVSIM_SANITIZE=address -DMDEVSIM_BUILD_BENCHMARKS=OFF) ;;
  --sanitize=thread) dir=build-tsan args+=(-DMDEVSIM_SANITIZE=thread -DMDEVSIM_BUILD_BENCHMARKS=OFF) ;;
  *) echo "usage: $0 [--sanitize=address|thread]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
