#!/usr/bin/env bash
# A channel subsystem with one subchannel set full: 65,536 I/O subchannels,
# each with a DASD (3390/0c on 3990/e9) on four paths.
#
#   benchmarks/mount_css.sh [MDEVSIM]
#
# Env: COUNT (subchannels, default 65536), RUNS (mounts timed, default 3),
#      S390_TOOLS (a build holding lscss or bin/lscss; without it the walk is
#      `grep -r` over the files lscss reads, on both trees).
#
# Reports the mount time (until ready) and the server's RSS, then the walk's
# wall time on the mount next to the same walk over a plain directory copy
# of the tree (cp -a of bus/css, bus/ccw and devices/css0 into tmpfs), and
# their ratio, measured in the same run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
MDEVSIM=${1:-${MDEVSIM:-$here/../build-bench/mdevsim}}
COUNT=${COUNT:-65536}
RUNS=${RUNS:-3}
[[ -x $MDEVSIM ]] || { echo "mount_css: no mdevsim binary at $MDEVSIM" >&2; exit 1; }
if [[ $(id -u) -ne 0 || ! -w /dev/fuse ]]; then
  echo "mount_css: skipped (needs root and /dev/fuse)"
  exit 0
fi
lscss=""
for c in "${S390_TOOLS:-}/lscss" "${S390_TOOLS:-}/bin/lscss"; do
  [[ -n ${S390_TOOLS:-} && -x $c ]] && lscss=$c && break
done

T=$(mktemp -d /tmp/mdevsim-css-bench-XXXXXX)
MP=$T/mp COPY=$T/copy
mkdir -p "$MP" "$COPY"
cleanup() {
  if grep -qs " $MP " /proc/self/mountinfo; then "$MDEVSIM" umount "$MP" || umount -l "$MP" || true; fi
  grep -qs " $COPY " /proc/self/mountinfo && umount -l "$COPY"
  rm -rf "$T"
}
trap cleanup EXIT

# The host file.
awk -v n="$COUNT" 'BEGIN {
  printf "{\"ap\": {}, \"css\": {\"chpids\": [{\"id\": \"10\", \"type\": \"1a\"}, {\"id\": \"11\", \"type\": \"1a\"}, "
  printf "{\"id\": \"12\", \"type\": \"1a\"}, {\"id\": \"13\", \"type\": \"1a\"}], \"subchannels\": [\n"
  for (i = 0; i < n; i++)
    printf "{\"schid\": \"0.0.%04x\", \"devno\": \"0.0.%04x\", \"cu\": \"3990/e9\", \"dev\": \"3390/0c\", \"chpids\": [\"10\", \"11\", \"12\", \"13\"]}%s\n", i, i, i + 1 < n ? "," : ""
  print "]}}"
}' > "$T/host.json"

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
walk() {
  if [[ -n $lscss ]]; then SYSFS_ROOT=$1 "$lscss" | wc -l
  else grep -rs --include={type,pimpampom,chpids,vpm,dev_busid,devtype,cutype,online,availability} . "$1/devices/css0" | wc -l
  fi
}
pidfile=/run/mdevsim/$(systemd-escape --path "$MP").pid

mount_s=() rss=()
for ((run = 1; run <= RUNS; run++)); do
  t0=$(now_ns)
  "$MDEVSIM" mount --host "$T/host.json" "$MP"
  t1=$(now_ns)
  mount_s+=("$(secs "$t0" "$t1")")
  rss+=("$(awk '$1 == "VmRSS:" { printf "%.1f", $2 / 1024 }' "/proc/$(head -n1 "$pidfile")/status")")
  ((run == RUNS)) || "$MDEVSIM" umount "$MP"
done

# The copy: what the walk reads, as plain files and links in tmpfs.
mount -t tmpfs none "$COPY"
t0=$(now_ns)
mkdir -p "$COPY/bus" "$COPY/devices"
# Write-only files cannot be read, on sysfs as here; they are left out.
cp -a "$MP/bus/css" "$MP/bus/ccw" "$COPY/bus/" 2>/dev/null || true
cp -a "$MP/devices/css0" "$COPY/devices/" 2>/dev/null || true
t1=$(now_ns)
copy_s=$(secs "$t0" "$t1")

sim_s=() copy_walk_s=()
for ((run = 1; run <= RUNS; run++)); do
  t0=$(now_ns); lines_sim=$(walk "$MP"); t1=$(now_ns); sim_s+=("$(secs "$t0" "$t1")")
  t0=$(now_ns); lines_copy=$(walk "$COPY"); t1=$(now_ns); copy_walk_s+=("$(secs "$t0" "$t1")")
done
[[ $lines_sim == "$lines_copy" ]] || echo "mount_css: the walks differ ($lines_sim vs $lines_copy lines)" >&2
what=$([[ -n $lscss ]] && echo lscss || echo "grep -r of lscss's files")
sim=$(median "${sim_s[@]}") plain=$(median "${copy_walk_s[@]}")
echo "mount css ($COUNT subchannels): mount median $(median "${mount_s[@]}") s (runs: ${mount_s[*]}); RSS $(median "${rss[@]}") MiB"
echo "walk ($what, $lines_sim lines): mount $sim s, plain copy $plain s, ratio $(awk -v a="$sim" -v b="$plain" 'BEGIN { printf "%.1f", a / b }')x the time (copying the tree took $copy_s s)"
