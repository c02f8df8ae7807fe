#!/usr/bin/env bash
# The vfio-ccw document's host set-up with Debian's real driverctl and
# mdevctl inside `mdevsim exec`: the DASD's subchannel moves to vfio_ccw,
# mdevctl sees the vfio_ccw-io type, starts, lists, stops, defines and
# undefines the mdev. The host's /etc/driverctl.d stays as it was.
set -uo pipefail
: "${MDEVSIM:?}"
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
U=7e270a25-e163-4922-af60-757fc8ed48c6
in_sim() { "$MDEVSIM" exec -- sh -c "echo 0.0.0313 > /sys/bus/css/devices/0.0.0313/driver/unbind &&
  echo 0.0.0313 > /sys/bus/css/drivers/vfio_ccw/bind && $1"; }

expect "mdevctl types (the subchannel's type)" 0 "0.0.0313
  vfio_ccw-io
    Available instances: 1
    Device API: vfio-ccw
    Name: I/O subchannel (Non-QDIO)" -- in_sim "mdevctl types | sed -n 1,5p"
# mdevctl list ends with an empty line.
expect "mdevctl start, list, stop" 0 "$U 0.0.0313 vfio_ccw-io manual

0
--

1" -- in_sim "mdevctl start -u $U -p 0.0.0313 -t vfio_ccw-io && mdevctl list &&
  cat /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/available_instances &&
  echo -- && mdevctl stop -u $U && mdevctl list &&
  cat /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/available_instances"
expect "mdevctl define -a, start from the definition, undefine" 0 "$U 0.0.0313 vfio_ccw-io auto

$U 0.0.0313 vfio_ccw-io auto (active)

$U 0.0.0313 vfio_ccw-io auto" -- in_sim "mdevctl define -u $U -p 0.0.0313 -t vfio_ccw-io -a &&
  mdevctl list --defined && mdevctl start -u $U && mdevctl list --defined &&
  mdevctl stop -u $U && mdevctl list --defined && mdevctl undefine -u $U && mdevctl list --defined"
expect "a second mdev on the subchannel is refused" 0 "refused, 0 left" -- in_sim "
  echo $U > /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create &&
  ! (echo 11111111-2222-3333-4444-555555555555 > /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create) 2>/dev/null &&
  echo refused, \$(cat /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/available_instances) left"

# The document's recommended procedure, verbatim.
driverctl_dir() { find /etc/driverctl.d -printf '%p %M %s %T@\n' 2>&1 | sort; }
host_before=$(driverctl_dir)
expect "driverctl set-override, then mdevctl define -a" 0 "../../../bus/css/drivers/vfio_ccw
vfio_ccw
0.0.0313 vfio_ccw
$U 0.0.0313 vfio_ccw-io auto (active)" -- "$MDEVSIM" exec -- sh -c "
  driverctl -b css set-override 0.0.0313 vfio_ccw &&
  readlink /sys/bus/css/devices/0.0.0313/driver && cat /sys/bus/css/devices/0.0.0313/driver_override &&
  driverctl -b css list-overrides &&
  mdevctl define -u $U -p 0.0.0313 -t vfio_ccw-io -a && mdevctl start -u $U && mdevctl list --defined"
expect "the host's /etc/driverctl.d is untouched" 0 "$host_before" -- driverctl_dir

# Step 2: the mdev in a guest as -device vfio-ccw,devno=fe.0.1234,sysfsdev=...
# behind seven virtio devices, as the document's guest has it (the devices
# in command-line order); mdevctl stop while the guest runs makes QEMU
# unplug it.
expect "mdevsim guest start --ccw, guest show, mdevctl stop" 0 "vm1 $U
-device vfio-ccw,devno=fe.0.1234,sysfsdev=/sys/bus/mdev/devices/$U: dev_id = \"fe.0.1234\", subch_id = \"fe.0.0007\"
0.0.1234 0.0.0007  3390/0e 3990/e9      f0  f0  ff   1a2a3a0a 00000000
0.0.0008 0.0.0008  0000/00 3832/10 yes  80  80  ff   00000000 00000000
vm1 -
vfio_ccw_mdev $U: Relaying device request to user (#0)" -- in_sim "
  mdevctl start -u $U -p 0.0.0313 -t vfio_ccw-io &&
  \"$MDEVSIM\" guest start vm1 --device virtio-net-ccw --device virtio-blk-ccw --device virtio-blk-ccw \
    --device virtio-serial-ccw --device virtio-balloon-ccw --device virtio-rng-ccw --device virtio-scsi-ccw \
    --ccw $U,devno=fe.0.1234 --device virtio-gpu-ccw && \"$MDEVSIM\" guest list &&
  \"$MDEVSIM\" guest show vm1 | grep -e ^0.0.1234 -e ^0.0.0008 -e ^-device.vfio-ccw && mdevctl stop -u $U &&
  \"$MDEVSIM\" guest list && \"$MDEVSIM\" dmesg /sys | grep -o 'vfio_ccw_mdev.*Relaying.*'"
expect "an mdev in use by another guest" 1 "mdevsim: -device vfio-ccw,sysfsdev=/sys/bus/mdev/devices/$U: Could not open '/dev/vfio/0': Device or resource busy" -- in_sim "
  mdevctl start -u $U -p 0.0.0313 -t vfio_ccw-io && \"$MDEVSIM\" guest start vm1 --ccw /sys/bus/mdev/devices/$U &&
  \"$MDEVSIM\" guest start vm2 --ccw $U 2>&1"

[[ $fails == 0 ]] && echo "all vfio_ccw mdevctl checks passed"
exit $((fails > 0))
