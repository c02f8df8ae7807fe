#!/usr/bin/env bash
# Live migration between two mounted simulators over TCP (`mdevsim guest
# migrate`): the success case and every failure case of seed 004 (missing
# mdev, queue not bound on the target, TAPQ failure on the target, each
# hardware-capability mismatch, control domain missing), with the kernel's
# lines on the destination, virsh's message on the source, and both hosts
# unchanged after a failure. Before each migration the offline check
# (`mdevsim migration check` on snapshots of both hosts) must foretell the
# same outcome, lines and message; then master-key warnings and the ranking.
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
"$MDEVSIM" snapshot --sys "$src" --name src > "$tmp/src-snap.json" || exit 1

# A fresh destination from host JSON $1, prepared by the command in $2.
candidates=0
dest() {
  candidates=$((candidates + 1))
  "$MDEVSIM" umount "$dst" 2>/dev/null
  echo "$1" > "$tmp/dst.json"
  "$MDEVSIM" mount --host "$tmp/dst.json" "$dst" || exit 1
  eval "$2"
  addr=$("$MDEVSIM" migration listen 127.0.0.1:0 --sys "$dst" | awk '{print $3}')
}
# The offline check on snapshots (report in $tmp/report, the destination's
# kept as $tmp/cand-N.json for the ranking), then the live migration.
migrate() {
  "$MDEVSIM" snapshot --sys "$dst" --name "dst$candidates" > "$tmp/cand-$candidates.json"
  "$MDEVSIM" migration check --from "$tmp/src-snap.json" --guest vm1 --to "$tmp/cand-$candidates.json" > "$tmp/report"
  echo $? > "$tmp/report.rc"
  "$MDEVSIM" guest migrate vm1 --to "$addr" --sys "$src" > "$tmp/live" 2>&1
  echo $? > "$tmp/live.rc"
  cat "$tmp/live"
  return "$(cat "$tmp/live.rc")"
}
dmesg_dst() { "$MDEVSIM" dmesg "$dst" | sed 's/^\[[ 0-9.]*\] //' | grep vfio_ap_mdev | grep -v "iommu group"; }
section() { sed -n "/^$1:\$/,/^[^ ]/{s/^  //p}" "$tmp/report"; }  # a section of the report, unindented
failing() { sed -n '3,/^$/p' "$tmp/report" | sed '/^ok  /d; /^$/d'; }  # the rules broken, with details
# The offline check foretold what the live migration did.
foretold() {
  expect "$1: offline check's status" 0 "$(cat "$tmp/live.rc")" -- cat "$tmp/report.rc"
  if [[ $(cat "$tmp/live.rc") != 0 ]]; then
    expect "$1: offline check's console line" 0 "$(cat "$tmp/live")" -- section "Source console"
  fi
  expect "$1: offline check's kernel lines" 0 "$(dmesg_dst)" -- section "Destination kernel log"
}
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
foretold "missing mdev"
expect "missing mdev: rules broken" 0 "FAIL  The destination host has a free mediated device with the same name (UUID) as the source's
        no mediated device $U on dst$candidates
FAIL  Each APQN in the guest's guest_matrix references a queue device bound to the vfio_ap driver on the destination host
        05.0004: bound to cex4queue
        05.0047: bound to cex4queue
        06.0004: bound to cex4queue
        06.0047: bound to cex4queue" -- failing

dest "$(host)" 'echo -4 > $dst/bus/ap/aqmask; create $dst'  # x.0047 stay with cex4queue
expect "queue not bound" 1 "$enodev" -- migrate
expect "queue not bound: kernel lines" 0 "vfio_ap_mdev $U: Queue 05.0047 not available to vfio_ap driver on target host
vfio_ap_mdev $U: Queue 06.0047 not available to vfio_ap driver on target host" -- dmesg_dst
unchanged "queue not bound"
foretold "queue not bound"
expect "queue not bound: rules broken" 0 "FAIL  Each APQN in the guest's guest_matrix references a queue device bound to the vfio_ap driver on the destination host
        05.0047: bound to cex4queue
        06.0047: bound to cex4queue" -- failing

dest "$(host "" "4")" 'reserve $dst; create $dst'
expect "control domain missing" 1 "$enodev" -- migrate
expect "control domain missing: kernel line" 0 \
  "vfio_ap_mdev: $U: Control domain 0047 not available on the destination host" -- dmesg_dst
unchanged "control domain missing"
foretold "control domain missing"
expect "control domain missing: rules broken" 0 "FAIL  Each domain in the guest's control_domains is set in the destination host's ap_control_domain_mask
        0047: not set on the destination host" -- failing

dest "$(host)" 'reserve $dst; create $dst; "$MDEVSIM" ap fault 06.0004 lost=1 --sys $dst >/dev/null'
expect "TAPQ failure" 1 "$load_failed failed to get hardware information for queue device 06.0004" -- migrate
expect "TAPQ failure: kernel line" 0 "vfio_ap_mdev $U: Failed to get hwinfo for queue 06.0004: TAPQ rc=1" -- dmesg_dst
unchanged "TAPQ failure"
foretold "TAPQ failure"
expect "TAPQ failure: rules broken" 0 "FAIL  The hardware information of each queue can be read on the destination host (TAPQ)
        06.0004: TAPQ rc=1 on the destination" -- failing

# Each capability of the seed's table, on card 6 (queues 06.0004, 06.0047).
mismatch() {  # NAME CARD6_JSON DIFFERENCE LINES...: lines for 06.0004, the same follow for 06.0047
  local name=$1 card=$2 diff=$3
  shift 3
  dest "$(host "$card")" 'reserve $dst; create $dst'
  expect "$name" 1 "$einval" -- migrate
  local want="" q
  for q in 06.0004 06.0047; do
    want+="vfio_ap_mdev $U: Migration failed: Source and target queue ($q) not compatible"$'\n'
    for l in "$@"; do want+="vfio_ap_mdev $U: ${l//QQ/$q}"$'\n'; done
  done
  expect "$name: kernel lines" 0 "${want%$'\n'}" -- dmesg_dst
  unchanged "$name"
  foretold "$name"
  want=""
  for q in 06.0004 06.0047; do want+=$'\n'"        $q: ${diff//$'\n'/$'\n'        $q: }"; done
  expect "$name: rules broken" 0 "FAIL  Each APQN references a queue device with compatible hardware capabilities on both hosts (facilities, mode, APXA and command filtering equal; stateless functions may move to full native card function; AP type equal or newer; binding state 00)$want" -- failing
}
mismatch "APSC" '{"id": 6, "type": "CEX5A", "functions": "0x6A800000"}' \
  "AP special command facility (APSC) installed on the source, not on the destination" \
  "APSC facility installed in source queue QQ" "APSC facility not installed in target queue QQ"
mismatch "AP4KM" '{"id": 6, "type": "CEX5A", "functions": "0xAA800000"}' \
  "AP 4096-bit ME PKU commands facility (AP4KM) installed on the source, not on the destination" \
  "mex4k facility installed in source queue QQ" "mex4k facility not installed in target queue QQ"
mismatch "AP4KC" '{"id": 6, "type": "CEX5A", "functions": "0xCA800000"}' \
  "AP 4096-bit CRT PKU commands (AP4KC) installed on the source, not on the destination" \
  "crt4k facility installed in source queue QQ" "crt4k facility not installed in target queue QQ"
mismatch "mode" '{"id": 6, "type": "CEX5C", "functions": "0x92800000"}' \
  "AP 4096-bit ME PKU commands facility (AP4KM) installed on the source, not on the destination
AP 4096-bit CRT PKU commands (AP4KC) installed on the source, not on the destination
mode: Accelerator-mode on the source, CCA-mode on the destination" \
  "mex4k facility installed in source queue QQ" "mex4k facility not installed in target queue QQ" \
  "crt4k facility installed in source queue QQ" "crt4k facility not installed in target queue QQ" \
  "Coprocessor-mode facility not installed in source queue QQ" "Coprocessor-mode facility installed in target queue QQ" \
  "Accelerator-mode facility installed in source queue QQ" "Accelerator-mode facility not installed in target queue QQ"
mismatch "XCP mode" '{"id": 6, "type": "CEX5P", "functions": "0xE6800000"}' \
  "mode: Accelerator-mode on the source, XCP-mode (EP11) on the destination" \
  "Accelerator-mode facility installed in source queue QQ" "Accelerator-mode facility not installed in target queue QQ" \
  "XCP-mode facility not installed in source queue QQ" "XCP-mode facility installed in target queue QQ"
mismatch "APXA" '{"id": 6, "type": "CEX5A", "functions": "0xE8800000"}' \
  "AP extended addressing (APXA) installed on the source, not on the destination" \
  "AP-extended-addressing (APXA) facility installed in source queue QQ" \
  "AP-extended-addressing (APXA) facility not installed in target queue QQ"
mismatch "command filtering" '{"id": 6, "type": "CEX5A", "functions": "0xEB800000"}' \
  "command filtering available on the destination, not on the source" \
  "Stateless-command-filtering (SLCF) not available in source queue QQ" \
  "Stateless-command-filtering (SLCF) available in target queue QQ"
mismatch "functional capabilities" '{"id": 6, "type": "CEX5A", "functions": "0xEA400000"}' \
  "functional capabilities: full native card function on the source, only stateless functions on the destination" \
  "Full native card function available on source queue QQ" "Only stateless functions available on target queue QQ"
mismatch "AP type" '{"id": 6, "type": "CEX4A", "functions": "0xEA800000"}' \
  "AP type 11 (0x0b) on the source, older 10 (0x0a) on the destination" \
  "AP type of source (0b) not compatible with target (0a)"
mismatch "binding state" '{"id": 6, "type": "CEX5A", "functions": "0xEA804000"}' \
  "binding state 00 on the source and 01 on the destination, must be 00" \
  "Bind/associate state for source (0) and target (1) queue QQ must be 0"

# Another mdev holds 05.0004 on the destination: ap_config's validation
# refuses the configuration (the seed's note on lszcrypt's driver column).
U2=11111111-2222-3333-4444-555555555555
dest "$(host)" 'reserve $dst; create $dst; echo $U2 > $dst/$M/mdev_supported_types/vfio_ap-passthrough/create
  echo 5 > $dst/$M/$U2/assign_adapter; echo 4 > $dst/$M/$U2/assign_domain'
expect "queue assigned to another mdev" 1 \
  "$load_failed Address already in use: Failed to load vmstate version_id: 1, ret: -98" -- migrate
expect "queue assigned to another mdev: kernel line" 0 \
  "vfio_ap_mdev $U: Userspace may not assign queue 05.0004 to mdev: already assigned to $U2" -- dmesg_dst
foretold "queue assigned to another mdev"
expect "queue assigned to another mdev: rules broken" 0 \
  "FAIL  No APQN of the guest is assigned to a mediated device other than the one being migrated
        05.0004: assigned to $U2" -- failing

# Success to a newer adapter (CEX6A): the guest runs there with the
# source's configuration; the source's guest is gone and its mdev free.
dest "$(host '{"id": 6, "type": "CEX6A", "functions": "0xEA800000"}')" 'reserve $dst; create $dst'
expect "migration succeeds" 0 "Migration of vm1 (mdev $U) to $addr: completed" -- migrate
foretold "migration succeeds"
expect "migration succeeds: offline outcome" 0 "Outcome: the migration succeeds" -- grep ^Outcome "$tmp/report"
expect "guest runs on the destination" 0 "vm1 $U" -- "$MDEVSIM" guest list --sys "$dst"
expect "destination guest_matrix" 0 "05.0004
05.0047
06.0004
06.0047" -- cat "$dst/$M/$U/guest_matrix"
expect "destination control domains" 0 "0047" -- cat "$dst/$M/$U/control_domains"
expect "source guest gone" 0 "" -- "$MDEVSIM" guest list --sys "$src"
expect "source QEMU log" 0 "initiating migration
qemu-system-s390x: Sibling indicated error 1" -- sh -c "'$MDEVSIM' guest log vm1 --sys '$src' | head -n2"

# Beyond the kernel: card 5 of this destination holds other CCA master keys.
# The migration would succeed, with a warning per register of each queue.
dest "$(host)" 'reserve $dst; create $dst'
sed -i 's/"type": "CEX5C"}/"type": "CEX5C", "master_keys": "other"}/' "$tmp/dst.json"
"$MDEVSIM" umount "$dst" && "$MDEVSIM" mount --host "$tmp/dst.json" "$dst" && reserve "$dst" && create "$dst"
"$MDEVSIM" snapshot --sys "$dst" --name "dst$candidates" > "$tmp/cand-$candidates.json"
"$MDEVSIM" migration check --from "$tmp/src-snap.json" --guest vm1 --to "$tmp/cand-$candidates.json" > "$tmp/report"
expect "master keys differ: migrates" 0 "Outcome: the migration succeeds, with warnings" -- grep ^Outcome "$tmp/report"
mk() { failing | sed -E 's/ 0x[0-9a-f]+ on the source, 0x[0-9a-f]+ on/ differs from the source on/'; }
expect "master keys differ: warnings" 0 "warn  The CCA master keys of the source and destination AP devices are synchronized (the administrator's duty)
        05.0004: AES master key verification pattern differs from the source on the destination
        05.0004: APKA master key verification pattern differs from the source on the destination
        05.0004: ASYM master key verification pattern differs from the source on the destination
        05.0047: AES master key verification pattern differs from the source on the destination
        05.0047: APKA master key verification pattern differs from the source on the destination
        05.0047: ASYM master key verification pattern differs from the source on the destination" -- mk

# Every destination tried above, ranked.
rank() { (cd "$tmp" && eval "\"\$MDEVSIM\" migration rank --from src-snap.json --guest vm1 $1"); }  # a glob in $tmp
caps="incompatible: hardware capabilities"
expect "ranking" 0 "Destinations for guest vm1 (mdev $U) from src, best first:
 1  cand-16.json (dst16): migrates
 2  cand-17.json (dst17): migrates; warnings: master keys (6)
 3  cand-15.json (dst15): needs set-up: assignments (1)
 4  cand-2.json (dst2): needs set-up: vfio_ap bindings (2)
 5  cand-1.json (dst1): needs set-up: mediated device (1); vfio_ap bindings (4)
 6  cand-3.json (dst3): incompatible: control domains (1)
 7  cand-4.json (dst4): incompatible: hardware information (1)
 8  cand-10.json (dst10): $caps (2)
 9  cand-11.json (dst11): $caps (2)
10  cand-12.json (dst12): $caps (2)
11  cand-13.json (dst13): $caps (2)
12  cand-14.json (dst14): $caps (2)
13  cand-5.json (dst5): $caps (2)
14  cand-6.json (dst6): $caps (2)
15  cand-7.json (dst7): $caps (2)
16  cand-9.json (dst9): $caps (2)
17  cand-8.json (dst8): $caps (6)" -- rank 'cand-*.json'
expect "ranking: no destination takes the guest" 1 "Destinations for guest vm1 (mdev $U) from src, best first:
 1  cand-3.json (dst3): incompatible: control domains (1)" -- rank cand-3.json
expect "check: a bad snapshot is refused" 2 "mdevsim: snapshot $tmp/dst.json: mdevsim_snapshot: must be 1: this is not an mdevsim snapshot of this layout" -- \
  "$MDEVSIM" migration check --from "$tmp/src-snap.json" --guest vm1 --to "$tmp/dst.json"
expect "check: an endless snapshot is refused" 2 "mdevsim: snapshot /dev/zero: larger than 64 MiB" -- \
  timeout 20 "$MDEVSIM" migration check --from /dev/zero --guest vm1 --to "$tmp/dst.json"
expect "check: an unknown guest is refused" 2 "mdevsim: no guest vm9 on src" -- \
  "$MDEVSIM" migration check --from "$tmp/src-snap.json" --guest vm9 --to "$tmp/cand-16.json"
"$MDEVSIM" umount "$dst"
"$MDEVSIM" umount "$src"
echo "$fails failed"
exit $((fails > 0))
