#!/usr/bin/env bash
# Installs the Debian 12 packages mdevsim needs to build, test and run; only
# what is missing, with one `apt-get update` first.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libfuse3-dev fuse3 libudev-dev udev
  libfmt-dev nlohmann-json3-dev libcli11-dev libssl-dev
  libgtest-dev googletest libbenchmark-dev
  mdevctl driverctl kmod
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
