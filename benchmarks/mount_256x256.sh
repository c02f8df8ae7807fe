#!/usr/bin/env bash
# Mount time and memory of the simulator with a full 256 x 256 AP
# configuration (256 cards, 256 usage domains: 65536 queues).
#
#   benchmarks/mount_256x256.sh [MDEVSIM [HOST_FILE]]
#
# Env: RUNS (mounts timed, default 5), WALK=0 skips the `find` walk.
#
# Per run: the wall time of `mdevsim mount --host HOST MP` (it returns once
# the mount is ready), VmRSS/VmHWM of the server right after, and the wall
# time of `mdevsim umount MP`. On the last run the whole tree is walked once
# with `find MP | wc -l` and the server's VmRSS/VmHWM are read again.
# The server's pid is in /run/mdevsim/<systemd-escape --path of the mount point>.pid.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
MDEVSIM=${1:-${MDEVSIM:-$here/../build-bench/mdevsim}}
HOST=${2:-$here/../testdata/hosts/full-256x256.json}
RUNS=${RUNS:-5}
WALK=${WALK:-1}

[[ -x $MDEVSIM ]] || { echo "mount_256x256: no mdevsim binary at $MDEVSIM" >&2; exit 1; }
[[ -r $HOST ]] || { echo "mount_256x256: no host file $HOST" >&2; exit 1; }
if [[ $(id -u) -ne 0 || ! -w /dev/fuse ]]; then
  echo "mount_256x256: skipped (needs root and /dev/fuse)"
  exit 0
fi

MP=$(mktemp -d /tmp/mdevsim-mount-bench-XXXXXX)
cleanup() {
  if grep -qs " $MP " /proc/self/mountinfo; then "$MDEVSIM" umount "$MP" || umount -l "$MP" || true; fi
  rmdir "$MP" 2>/dev/null || true
}
trap cleanup EXIT

# The run directory of a root mount; names as systemd-escape --path makes them.
pidfile=/run/mdevsim/$(systemd-escape --path "$MP").pid

now_ns() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

mount_ms=() umount_ms=() rss0=() hwm0=()
entries=- walk_s=- rss1=- hwm1=-
for ((run = 1; run <= RUNS; run++)); do
  sync
  t0=$(now_ns)
  "$MDEVSIM" mount --host "$HOST" "$MP"
  t1=$(now_ns)
  mount_ms+=("$(ms "$t0" "$t1")")
  pid=$(head -n1 "$pidfile")
  rss0+=("$(kib "$pid" VmRSS)") hwm0+=("$(kib "$pid" VmHWM)")
  if ((run == RUNS)) && [[ $WALK != 0 ]]; then
    t0=$(now_ns)
    entries=$(find "$MP" | wc -l)
    t1=$(now_ns)
    walk_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    rss1=$(kib "$pid" VmRSS) hwm1=$(kib "$pid" VmHWM)
  fi
  t0=$(now_ns)
  "$MDEVSIM" umount "$MP"
  t1=$(now_ns)
  umount_ms+=("$(ms "$t0" "$t1")")
  echo "  run $run: mount ${mount_ms[-1]} ms, RSS $(mib "${rss0[-1]}") MiB (HWM $(mib "${hwm0[-1]}") MiB), umount ${umount_ms[-1]} ms" >&2
done

cards=$(grep -o '"type"' "$HOST" | wc -l)
summary="mount 256x256 ($cards cards): mount median $(median "${mount_ms[@]}") ms (runs: ${mount_ms[*]} ms);"
summary+=" RSS after mount $(mib "$(median "${rss0[@]}")") MiB (HWM $(mib "$(median "${hwm0[@]}")") MiB);"
if [[ $rss1 != - ]]; then
  summary+=" after find walk ($entries entries, $walk_s s): RSS $(mib "$rss1") MiB, HWM $(mib "$hwm1") MiB;"
fi
summary+=" umount median $(median "${umount_ms[@]}") ms"
echo "$summary"
