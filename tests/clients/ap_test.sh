#!/usr/bin/env bash
# `mdevsim ap` through a real mount: the self-test's mixed workload as the
# host and as a guest, RSA with a key from openssl(1) checked against
# openssl(1) itself, RNG, faults seen in sysfs, and one-line errors.
set -uo pipefail
: "${MDEVSIM:?}"
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
tmp=$(mktemp -d)
trap 'umount -l "$tmp/mp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/mp"
mp=$tmp/mp

check() {  # NAME COMMAND...: passes if the command succeeds
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

"$MDEVSIM" mount "$mp" || exit 1
ap() { "$MDEVSIM" ap "$@" --sys "$mp"; }

# The host's queues: every result checked against OpenSSL.
out=$(ap selftest --requests 48)
check "selftest as the host" grep -q "^selftest: 48 of 48 requests correct$" <<<"$out"
check "selftest covers RSA-4096 CRT" grep -q "RSA-4096 crt" <<<"$out"
check "selftest covers CCA RNG" grep -q "CCA random numbers" <<<"$out"
check "request counters follow" test "$(cat "$mp/bus/ap/devices/card06/request_count")" -gt 0

# RSA with a key made by openssl(1), and the same operation by openssl(1).
openssl genrsa -out "$tmp/key.pem" 2048 2>/dev/null
x=$(openssl rand -hex 200)
got=$(ap rsa 06.0004 --key "$tmp/key.pem" --crt --input "$x")
printf '%0512s' "$x" | xxd -r -p > "$tmp/x.bin"
want=$(openssl pkeyutl -decrypt -inkey "$tmp/key.pem" -pkeyopt rsa_padding_mode:none -in "$tmp/x.bin" | xxd -p | tr -d '\n')
expect "rsa crt = openssl pkeyutl" 0 "$want" -- echo "$got"
expect "rsa me --check" 0 "OpenSSL agrees" -- sh -c "'$MDEVSIM' ap rsa 06.0047 --sys '$mp' --key '$tmp/key.pem' --me --input '$x' --check | tail -n1"
check "rng gives 24 bytes" test "$(ap rng 05.0004 --bytes 24 | tr -d '\n' | wc -c)" = 48

# Faults from the CLI, seen in sysfs.
expect "fault: checkstop card06" 0 "card06 config=1 chkstop=1" -- ap fault card06 chkstop=1
expect "sysfs chkstop" 0 "1" -- cat "$mp/bus/ap/devices/card06/chkstop"
expect "checkstopped queue refuses" 1 "mdevsim: 06.0004 is checkstopped: its driver sends it no requests" -- ap rsa 06.0004 --key "$tmp/key.pem" --input 01
expect "fault: recover card06" 0 "card06 config=1 chkstop=0" -- ap fault card06 chkstop=0
expect "fault: hold a reset" 0 "06.0047 lost=0 deconfigured=0 checkstopped=0 busy=0 hold_reset=1 reset_polls=1 hold_irq=0 fail=0 stall=0" -- ap fault 06.0047 hold_reset=1
echo 1 > "$mp/bus/ap/devices/06.0047/reset"
expect "sysfs reset in progress" 0 "Reset in progress." -- cat "$mp/bus/ap/devices/06.0047/reset"
ap fault 06.0047 clear >/dev/null
expect "sysfs reset done" 0 "No Reset Timer set." -- cat "$mp/bus/ap/devices/06.0047/reset"

# A guest: only its CRYCB is reachable.
echo -5,-6 > "$mp/bus/ap/apmask"
echo -4,-0xab > "$mp/bus/ap/aqmask"
u=11111111-2222-3333-4444-555555555555
echo $u > "$mp/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
echo 0x06,0x08,0x08 > "$mp/devices/vfio_ap/matrix/$u/ap_config"
"$MDEVSIM" guest start vm1 --mdev $u --sys "$mp"
out=$(ap selftest --guest vm1 --requests 16)
check "selftest as a guest" grep -q "^selftest: 16 of 16 requests correct$" <<<"$out"
expect "guest: outside the CRYCB" 0 "cc=3 rc=0x01 status=0x00010000 E=0 R=0 F=0 I=0 hwinfo=0x0000000000000000" -- ap tapq 06.00ab --guest vm1
expect "host: not through vfio_ap's queues" 1 "mdevsim: 06.0004 is bound to vfio_ap: the host sends requests only through queues its default drivers run" -- ap rsa 06.0004 --key "$tmp/key.pem" --input 01

# Bad input: one line, non-zero exit.
expect "bad APQN" 1 "mdevsim: ap tapq: an APQN such as 05.0004 is needed" -- ap tapq 5.4
expect "unknown guest" 1 "mdevsim: no guest vm9" -- ap tapq 05.0004 --guest vm9
expect "unknown fault" 1 "mdevsim: ap fault: unknown queue fault hot=1" -- ap fault 05.0004 hot=1
expect "bad key file" 1 "mdevsim: $tmp/x.bin: not an RSA private key in PEM" -- ap rsa 06.0004 --key "$tmp/x.bin" --input 01
expect "aqic needs a choice" 1 "mdevsim: ap aqic: give either --nib ADDRESS or --off" -- ap aqic 05.0004

"$MDEVSIM" umount "$mp"
[[ $fails == 0 ]]
