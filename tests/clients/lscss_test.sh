#!/usr/bin/env bash
# IBM's lscss (s390-tools), unmodified, against the simulator's default host:
# every table the vfio-ccw document and a 2026 host would print, byte for
# byte (headings keep lscss's trailing blanks). s390-tools has no Debian package
# for this architecture: S390_TOOLS names a build (a directory holding lscss,
# or bin/lscss); without it the test is skipped.
set -uo pipefail
: "${MDEVSIM:?}"
lscss=""
for c in "${S390_TOOLS:-}/lscss" "${S390_TOOLS:-}/bin/lscss"; do
  [[ -n ${S390_TOOLS:-} && -x $c ]] && lscss=$c && break
done
if [[ -z $lscss ]]; then
  echo "SKIP: lscss not available (set S390_TOOLS to a build of s390-tools; it is not packaged for this architecture)"
  exit 77
fi
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
tmp=$(mktemp -d)
trap '"$MDEVSIM" umount "$tmp/mp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/mp"
"$MDEVSIM" mount "$tmp/mp"
ls() { SYSFS_ROOT="$tmp/mp" "$lscss" "$@"; }
U=7e270a25-e163-4922-af60-757fc8ed48c6
H1='Device   Subchan.  DevType CU Type Use  PIM PAM POM  CHPIDs           '
RULE=----------------------------------------------------------------------

expect "the document's first step" 0 "0.0.0313" -- sh -c "SYSFS_ROOT='$tmp/mp' '$lscss' | grep 0.0.2b09 | awk '{print \$2}'"
expect "lscss" 0 "$H1
$RULE
0.0.2b09 0.0.0313  3390/0e 3990/e9      f0  f0  ff   1a2a3a0a 00000000
0.0.2b0a 0.0.0314  3390/0c 3990/e9      f0  f0  ff   1a2a3a0a 00000000
0.0.f500 0.0.0a00  1732/01 1731/01      80  80  ff   e0000000 00000000
0.0.f501 0.0.0a01  1732/01 1731/01      80  80  ff   e0000000 00000000
0.0.f502 0.0.0a02  1732/01 1731/01      80  80  ff   e0000000 00000000
0.1.0100 0.1.0000  3390/0c 3990/e9      80  80  ff   0a000000 00000000" -- ls
expect "lscss -s -t 3390" 0 "$H1
$RULE
2b09     0313      3390/0e 3990/e9      f0  f0  ff   1a2a3a0a 00000000
2b0a     0314      3390/0c 3990/e9      f0  f0  ff   1a2a3a0a 00000000" -- ls -s -t 3390
expect "lscss -d 0.0.2b09 --avail -u" 0 "Device   Subchan.  DevType CU Type Use  PIM PAM POM  CHPIDs            Avail.
-----------------------------------------------------------------------------
0.0.2B09 0.0.0313  3390/0E 3990/E9      F0  F0  FF   1A2A3A0A 00000000 GOOD  " -- ls -d 0.0.2b09 --avail -u
expect "lscss --vpm 0.0.0a00" 0 "Device   Subchan.  DevType CU Type Use  PIM PAM POM VPM CHPIDs           
-------------------------------------------------------------------------
0.0.f500 0.0.0a00  1732/01 1731/01      80  80  ff  80  e0000000 00000000" -- ls --vpm 0.0.0a00
echo 0.0.0313 > "$tmp/mp/bus/css/devices/0.0.0313/driver/unbind"
echo 0.0.0313 > "$tmp/mp/bus/css/drivers/vfio_ccw/bind"
echo $U > "$tmp/mp/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create"
expect "lscss --vfio" 0 "MDEV                                  Subchan.  PIM PAM POM  CHPIDs           
------------------------------------------------------------------------------
$U  0.0.0313  f0  f0  ff   1a2a3a0a 00000000" -- ls --vfio
# Without its ccw device the subchannel shows its dev_busid and no types.
expect "the vfio_ccw subchannel in the I/O table" 0 "0.0.2b09 0.0.0313                       f0  f0  ff   1a2a3a0a 00000000" -- \
  sh -c "SYSFS_ROOT='$tmp/mp' '$lscss' | grep 0.0.0313"

[[ $fails == 0 ]] && echo "all lscss checks passed"
exit $((fails > 0))
