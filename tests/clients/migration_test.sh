#!/usr/bin/env bash
# Live migration between two mounted simulators over TCP (`mdevsim guest
# migrate`): the success case and every failure case of seed 004 (missing
# mdev, queue not bound on the target, TAPQ failure on the target, each
# hardware-capability mismatch, control domain missing), with the kernel's
# lines on the destination, virsh's message on the source, and both hosts
# unchanged after a failure.
set -uo pipefail
: "${MDEVSIM:?}"
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
tmp=$(mktemp -d)
trap 'umount -l "$tmp/src" "$tmp/dst" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/dst"
src=$tmp/src dst=$tmp/dst
U=62177883-f1bb-47f0-914d-32a22e3a8804
M=devices/vfio_ap/matrix

# A host: adapters 5 (CCA) and 6 (accelerator, full native function),
# domains 4 and 0x47; $1 is card 6's JSON, $2 the control domains.
host() {
  local card6=${1:-'{"id": 6, "type": "CEX5A", "functions": "0xEA800000"}'} cdoms=${2:-4, 71}
  echo "{\"ap\": {\"usage_domains\": [4, 71], \"control_domains\": [$cdoms],"
  echo " \"cards\": [{\"id\": 5, \"type\": \"CEX5C\"}, $card6]}}"
}
reserve() {  # MOUNT: adapters 5 and 6, domains 4 and 0x47 for vfio_ap
  echo -5,-6 > "$1/bus/ap/apmask" && echo -4,-0x47 > "$1/bus/ap/aqmask"
}
create() { echo $U > "$1/$M/mdev_supported_types/vfio_ap-passthrough/create"; }

host > "$tmp/src.json"
"$MDEVSIM" mount --host "$tmp/src.json" "$src" || exit 1
reserve "$src" && create "$src"
for f in "assign_adapter 5" "assign_adapter 6" "assign_domain 4" "assign_domain 0x47" "assign_control_domain 0x47"; do
  echo "${f#* }" > "$src/$M/$U/${f% *}"
done
"$MDEVSIM" guest start vm1 --mdev $U --sys "$src" || exit 1
src_view=$("$MDEVSIM" guest show vm1 --sys "$src")

# A fresh destination from host JSON $1, prepared by the command in $2.
dest() {
  "$MDEVSIM" umount "$dst" 2>/dev/null
  echo "$1" > "$tmp/dst.json"
  "$MDEVSIM" mount --host "$tmp/dst.json" "$dst" || exit 1
  eval "$2"
  addr=$("$MDEVSIM" migration listen 127.0.0.1:0 --sys "$dst" | awk '{print $3}')
}
migrate() { "$MDEVSIM" guest migrate vm1 --to "$addr" --sys "$src"; }
dmesg_dst() { "$MDEVSIM" dmesg "$dst" | sed 's/^\[[ 0-9.]*\] //' | grep vfio_ap_mdev | grep -v "iommu group"; }
load_failed="error: operation failed: migration failed. Message from the source host: operation failed: job 'migration out' failed: Sibling indicated error 1. Message from the destination host: operation failed: job 'migration in' failed: load of migration failed:"
enodev="$load_failed No such device: Failed to load vmstate version_id: 1, ret: -19"
einval="$load_failed Invalid argument: Failed to load vmstate version_id: 1, ret: -22"

# After a failure: the source guest runs on with its view, the destination
# has no guest and an unassigned mdev.
unchanged() {
  expect "$1: source guest unchanged" 0 "$src_view" -- "$MDEVSIM" guest show vm1 --sys "$src"
  expect "$1: destination has no guest" 0 "" -- "$MDEVSIM" guest list --sys "$dst"
  if [[ -e $dst/$M/$U ]]; then expect "$1: destination mdev unassigned" 0 "" -- cat "$dst/$M/$U/matrix"; fi
}

dest "$(host)" ""
expect "missing mdev" 1 "error: device not found: mediated device '$U' not found" -- migrate
unchanged "missing mdev"

dest "$(host)" 'echo -4 > $dst/bus/ap/aqmask; create $dst'  # x.0047 stay with cex4queue
expect "queue not bound" 1 "$enodev" -- migrate
expect "queue not bound: kernel lines" 0 "vfio_ap_mdev $U: Queue 05.0047 not available to vfio_ap driver on target host
vfio_ap_mdev $U: Queue 06.0047 not available to vfio_ap driver on target host" -- dmesg_dst
unchanged "queue not bound"

dest "$(host "" "4")" 'reserve $dst; create $dst'
expect "control domain missing" 1 "$enodev" -- migrate
expect "control domain missing: kernel line" 0 \
  "vfio_ap_mdev: $U: Control domain 0047 not available on the destination host" -- dmesg_dst
unchanged "control domain missing"

dest "$(host)" 'reserve $dst; create $dst; "$MDEVSIM" ap fault 06.0004 lost=1 --sys $dst >/dev/null'
expect "TAPQ failure" 1 "$load_failed failed to get hardware information for queue device 06.0004" -- migrate
expect "TAPQ failure: kernel line" 0 "vfio_ap_mdev $U: Failed to get hwinfo for queue 06.0004: TAPQ rc=1" -- dmesg_dst
unchanged "TAPQ failure"

# Each capability of the seed's table, on card 6 (queues 06.0004, 06.0047).
mismatch() {  # NAME CARD6_JSON LINES...: lines for 06.0004, the same follow for 06.0047
  local name=$1 card=$2
  shift 2
  dest "$(host "$card")" 'reserve $dst; create $dst'
  expect "$name" 1 "$einval" -- migrate
  local want="" q
  for q in 06.0004 06.0047; do
    want+="vfio_ap_mdev $U: Migration failed: Source and target queue ($q) not compatible"$'\n'
    for l in "$@"; do want+="vfio_ap_mdev $U: ${l//QQ/$q}"$'\n'; done
  done
  expect "$name: kernel lines" 0 "${want%$'\n'}" -- dmesg_dst
  unchanged "$name"
}
mismatch "APSC" '{"id": 6, "type": "CEX5A", "functions": "0x6A800000"}' \
  "APSC facility installed in source queue QQ" "APSC facility not installed in target queue QQ"
mismatch "AP4KM" '{"id": 6, "type": "CEX5A", "functions": "0xAA800000"}' \
  "mex4k facility installed in source queue QQ" "mex4k facility not installed in target queue QQ"
mismatch "AP4KC" '{"id": 6, "type": "CEX5A", "functions": "0xCA800000"}' \
  "crt4k facility installed in source queue QQ" "crt4k facility not installed in target queue QQ"
mismatch "mode" '{"id": 6, "type": "CEX5C", "functions": "0x92800000"}' \
  "mex4k facility installed in source queue QQ" "mex4k facility not installed in target queue QQ" \
  "crt4k facility installed in source queue QQ" "crt4k facility not installed in target queue QQ" \
  "Coprocessor-mode facility not installed in source queue QQ" "Coprocessor-mode facility installed in target queue QQ" \
  "Accelerator-mode facility installed in source queue QQ" "Accelerator-mode facility not installed in target queue QQ"
mismatch "XCP mode" '{"id": 6, "type": "CEX5P", "functions": "0xE6800000"}' \
  "Accelerator-mode facility installed in source queue QQ" "Accelerator-mode facility not installed in target queue QQ" \
  "XCP-mode facility not installed in source queue QQ" "XCP-mode facility installed in target queue QQ"
mismatch "APXA" '{"id": 6, "type": "CEX5A", "functions": "0xE8800000"}' \
  "AP-extended-addressing (APXA) facility installed in source queue QQ" \
  "AP-extended-addressing (APXA) facility not installed in target queue QQ"
mismatch "command filtering" '{"id": 6, "type": "CEX5A", "functions": "0xEB800000"}' \
  "Stateless-command-filtering (SLCF) not available in source queue QQ" \
  "Stateless-command-filtering (SLCF) available in target queue QQ"
mismatch "functional capabilities" '{"id": 6, "type": "CEX5A", "functions": "0xEA400000"}' \
  "Full native card function available on source queue QQ" "Only stateless functions available on target queue QQ"
mismatch "AP type" '{"id": 6, "type": "CEX4A", "functions": "0xEA800000"}' \
  "AP type of source (0b) not compatible with target (0a)"
mismatch "binding state" '{"id": 6, "type": "CEX5A", "functions": "0xEA804000"}' \
  "Bind/associate state for source (0) and target (1) queue QQ must be 0"

# Success to a newer adapter (CEX6A): the guest runs there with the
# source's configuration; the source's guest is gone and its mdev free.
dest "$(host '{"id": 6, "type": "CEX6A", "functions": "0xEA800000"}')" 'reserve $dst; create $dst'
expect "migration succeeds" 0 "Migration of vm1 (mdev $U) to $addr: completed" -- migrate
expect "guest runs on the destination" 0 "vm1 $U" -- "$MDEVSIM" guest list --sys "$dst"
expect "destination guest_matrix" 0 "05.0004
05.0047
06.0004
06.0047" -- cat "$dst/$M/$U/guest_matrix"
expect "destination control domains" 0 "0047" -- cat "$dst/$M/$U/control_domains"
expect "source guest gone" 0 "" -- "$MDEVSIM" guest list --sys "$src"
expect "source QEMU log" 0 "initiating migration
qemu-system-s390x: Sibling indicated error 1" -- sh -c "'$MDEVSIM' guest log vm1 --sys '$src' | head -n2"

"$MDEVSIM" umount "$dst"
"$MDEVSIM" umount "$src"
echo "$fails failed"
exit $((fails > 0))
