# Sourced by the client tests: they mount FUSE file systems and create mount
# namespaces, so they need root and /dev/fuse; MDEVSIM_SKIP_FUSE=1 skips them.
if [[ $(id -u) != 0 || ! -w /dev/fuse ]]; then
  if [[ ${MDEVSIM_SKIP_FUSE:-0} == 1 ]]; then
    echo "SKIP: needs root and /dev/fuse (MDEVSIM_SKIP_FUSE=1)"
    exit 0
  fi
  echo "FAIL: this test needs root and a writable /dev/fuse (set MDEVSIM_SKIP_FUSE=1 to skip)" >&2
  exit 1
fi
