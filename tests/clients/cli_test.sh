#!/usr/bin/env bash
# The mdevsim CLI: mount/umount/exec, their errors (one line, non-zero exit)
# and that exec leaves the host untouched.
set -uo pipefail
: "${MDEVSIM:?}" "${MDEVSIM_SOURCE_DIR:?}"
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
tmp=$(mktemp -d)
trap 'umount -l "$tmp/mp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/mp"

expect "mount: missing mountpoint" 1 "mdevsim: mountpoint $tmp/none: No such file or directory" -- "$MDEVSIM" mount "$tmp/none"
touch "$tmp/file"
expect "mount: not a directory" 1 "mdevsim: mountpoint $tmp/file: not a directory" -- "$MDEVSIM" mount "$tmp/file"
echo '{"ap": {"cards": [{"id": 5, "type": "CEX9C"}]}}' > "$tmp/bad.json"
expect "mount: bad host file" 1 "mdevsim: host file $tmp/bad.json: ap.cards[0].type: \"CEX9C\" is not CEX4..CEX8 followed by A, C or P" -- "$MDEVSIM" mount --host "$tmp/bad.json" "$tmp/mp"
expect "mount: bad host file mounts nothing" 32 "" -- mountpoint -q "$tmp/mp"
echo '{"ap": {}, "css": {"chpids": [{"id": "1a", "type": "1a"}], "subchannels": [{"schid": "0.0.0313", "devno": "0.0.2b09", "cu": "3990/e9", "chpids": ["2a"]}]}}' > "$tmp/badcss.json"
expect "mount: bad css section" 1 "mdevsim: host file $tmp/badcss.json: css.subchannels[0].chpids[0]: CHPID 2a is not in css.chpids" -- "$MDEVSIM" mount --host "$tmp/badcss.json" "$tmp/mp"
expect "mount: bad css section mounts nothing" 32 "" -- mountpoint -q "$tmp/mp"
expect "mount: missing host file" 1 "mdevsim: host file $tmp/nope.json: No such file or directory" -- "$MDEVSIM" mount --host "$tmp/nope.json" "$tmp/mp"
expect "mount: host file is a directory" 1 "mdevsim: host file $tmp: Is a directory" -- "$MDEVSIM" mount --host "$tmp" "$tmp/mp"
expect "mount: endless host file" 1 "mdevsim: host file /dev/zero: larger than 64 MiB" -- timeout 20 "$MDEVSIM" mount --host /dev/zero "$tmp/mp"
python3 -c 'print("{\"ap\": {\"features\": [" + "[" * 100000 + "]" * 100000 + "]}}")' > "$tmp/deep.json"
expect "mount: deeply nested host file" 1 "mdevsim: host file $tmp/deep.json: JSON nested deeper than 32 levels" -- "$MDEVSIM" mount --host "$tmp/deep.json" "$tmp/mp"
expect "mount: refused host files mount nothing" 32 "" -- mountpoint -q "$tmp/mp"

expect "mount" 0 "" -- "$MDEVSIM" mount "$tmp/mp"
expect "mounted fs type" 0 "fuse.mdevsim" -- findmnt -n -o FSTYPE "$tmp/mp"
expect "read through the mount" 0 "8/8 (complete)" -- cat "$tmp/mp/bus/ap/bindings"
expect "mount: busy" 1 "mdevsim: mountpoint $tmp/mp: busy, something is already mounted there" -- "$MDEVSIM" mount "$tmp/mp"
# A process with its cwd inside keeps the mount busy.
(cd "$tmp/mp/bus/ap" && sleep 2) &
sleep 0.3
expect "umount: busy" 1 "mdevsim: $tmp/mp: busy (a process is using it)" -- "$MDEVSIM" umount "$tmp/mp"
wait
echo bad > "$tmp/mp/bus/ap/devices/card06/uevent" 2>/dev/null
expect "dmesg" 0 "vfio_ap matrix: MDEV: Registered
synth uevent: /devices/ap/card06: unknown uevent action string
cex4card card06: uevent: failed to send synthetic uevent: -22" -- sh -c "'$MDEVSIM' dmesg '$tmp/mp' | sed 's/^\[ *[0-9.]*\] //'"
echo -6 > "$tmp/mp/bus/ap/apmask"
expect "uevents" 0 "KERNEL change   /devices/ap (ap)
ACTION=change
DEVPATH=/devices/ap
SUBSYSTEM=ap
APMASK=0xfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
SEQNUM=52" -- sh -c "'$MDEVSIM' uevents '$tmp/mp' | tail -n 7 | head -n 6 | sed 's/^KERNEL\[[0-9.]*\]/KERNEL/'"
expect "dmesg: nothing mounted" 1 "mdevsim: $tmp: no simulator is mounted there" -- "$MDEVSIM" dmesg "$tmp"
expect "umount" 0 "" -- "$MDEVSIM" umount "$tmp/mp"
expect "umount: server gone" 1 "" -- pgrep -f "mdevsim mount $tmp/mp"
expect "umount: not mounted" 1 "mdevsim: $tmp/mp: not mounted" -- "$MDEVSIM" umount "$tmp/mp"
expect "mount with a host file" 0 "" -- "$MDEVSIM" mount --host "$MDEVSIM_SOURCE_DIR/testdata/hosts/legacy-no-apxa.json" "$tmp/mp"
expect "host file applied" 0 "63" -- cat "$tmp/mp/bus/ap/ap_max_adapter_id"
expect "umount again" 0 "" -- "$MDEVSIM" umount "$tmp/mp"

# exec: the simulator on /sys, the exit status of the command, no trace on the host.
expect "exec: status" 3 "" -- "$MDEVSIM" exec -- sh -c 'exit 3'
expect "exec: /sys is simulated" 0 "card05 card06" -- "$MDEVSIM" exec -- sh -c 'cd /sys/bus/ap/devices && echo card*'
expect "exec: --host" 0 "15" -- "$MDEVSIM" exec --host "$MDEVSIM_SOURCE_DIR/testdata/hosts/legacy-no-apxa.json" -- cat /sys/bus/ap/ap_max_domain_id
expect "exec: private mdevctl dirs" 0 "callouts notifiers" -- "$MDEVSIM" exec -- sh -c 'echo $(ls /etc/mdevctl.d/scripts.d); ls /etc/mdevctl.d | grep -qv scripts.d && exit 1; exit 0'
before=$(ls -la /etc/mdevctl.d 2>&1; ls -la /run/lock 2>&1)
expect "exec: writes stay private" 0 "" -- "$MDEVSIM" exec -- sh -c 'mkdir /etc/mdevctl.d/matrix && touch /etc/mdevctl.d/matrix/x /run/lock/mdevsim-test'
after=$(ls -la /etc/mdevctl.d 2>&1; ls -la /run/lock 2>&1)
expect "exec: host untouched" 0 "" -- test "$before" == "$after"
expect "exec: dmesg of its own simulator" 0 "cex4queue 05.0004: uevent: failed to send synthetic uevent: -22" -- "$MDEVSIM" exec -- sh -c "echo x > /sys/bus/ap/devices/05.0004/uevent 2>/dev/null; '$MDEVSIM' dmesg /sys | tail -n 1 | sed 's/^\[ *[0-9.]*\] //'"
expect "exec: matrix picture" 0 "          0004  0047  00ab  00ff
05 CEX5C  A*    -     -     -
06 CEX5A  -     -     -     -" -- "$MDEVSIM" exec -- sh -c "echo -5,-6 > /sys/bus/ap/apmask; echo -4,-0x47,-0xab,-0xff > /sys/bus/ap/aqmask; echo 11111111-2222-3333-4444-555555555555 > /sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create; echo 5 > /sys/devices/vfio_ap/matrix/11111111-2222-3333-4444-555555555555/assign_adapter; echo 4 > /sys/devices/vfio_ap/matrix/11111111-2222-3333-4444-555555555555/assign_domain; '$MDEVSIM' guest start vm --mdev 11111111-2222-3333-4444-555555555555 && '$MDEVSIM' matrix /sys --color never | sed -n 7,9p && '$MDEVSIM' matrix /sys --svg /run/lock/m.svg && grep -c '<rect' /run/lock/m.svg >/dev/null"
expect "exec: css picture" 0 "0.0.0313          0.0.2b09          3390/0e 3990/e9 vfio_ccw        #  #  #  #  .        7e270a25-e163-4922-af60-757fc8ed48c6 vm
mdev 7e270a25-e163-4922-af60-757fc8ed48c6 on 0.0.0313: guest vm as fe.0.0000 on subchannel fe.0.0000
10" -- "$MDEVSIM" exec -- sh -c "echo 0.0.0313 > /sys/bus/css/devices/0.0.0313/driver/unbind; echo 0.0.0313 > /sys/bus/css/drivers/vfio_ccw/bind; echo 7e270a25-e163-4922-af60-757fc8ed48c6 > /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create; '$MDEVSIM' guest start vm --ccw 7e270a25-e163-4922-af60-757fc8ed48c6 && '$MDEVSIM' css /sys --color never | grep 0313 && '$MDEVSIM' css /sys --svg /run/lock/c.svg && grep -c '<rect' /run/lock/c.svg"
expect "guest start: no such mdev" 1 "mdevsim: -device vfio-ccw,sysfsdev=/sys/bus/mdev/devices/7e270a25-e163-4922-af60-757fc8ed48c6: Host device '/sys/bus/mdev/devices/7e270a25-e163-4922-af60-757fc8ed48c6' not found: No such file or directory" -- "$MDEVSIM" exec -- sh -c "'$MDEVSIM' guest start vm --ccw 7e270a25-e163-4922-af60-757fc8ed48c6 2>&1"
expect "guest start: a blank in a device argument" 2 'mdevsim: guest start: "virtio-net-ccw,id=a b": names and device arguments are single words' -- "$MDEVSIM" guest start vm --device "virtio-net-ccw,id=a b"
expect "exec: command not found" 127 "mdevsim: exec no-such-command: No such file or directory" -- "$MDEVSIM" exec -- no-such-command
expect "exec: no command" 1 "mdevsim: exec: no command given" -- "$MDEVSIM" exec --
expect "exec: not root" 1 "mdevsim: exec: cannot create a mount namespace: Operation not permitted (run as root)" -- setpriv --reuid=65534 --regid=65534 --clear-groups "$MDEVSIM" exec -- true

if ((fails)); then
  echo "$fails failed"
  exit 1
fi
