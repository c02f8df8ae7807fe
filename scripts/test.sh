#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, golden,
# fuse, clients). Needs root: the tests mount FUSE file systems and create
# mount namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
