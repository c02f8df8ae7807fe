#!/usr/bin/env bash
# udevadm (Debian's systemd 252) on the channel subsystem inside `mdevsim
# exec`: the properties of a subchannel, its ccw device and a vfio_ccw mdev,
# and enumeration by subsystem as `udevadm trigger` does it.
set -uo pipefail
: "${MDEVSIM:?}"
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
U=7e270a25-e163-4922-af60-757fc8ed48c6

expect "subchannel on io_subchannel" 0 "P: /devices/css0/0.0.0313
M: 0.0.0313
R: 0313
U: css
V: io_subchannel
E: DEVPATH=/devices/css0/0.0.0313
E: SUBSYSTEM=css
E: DRIVER=io_subchannel
E: ST=0
E: MODALIAS=css:t0" -- "$MDEVSIM" exec -- udevadm info -p /devices/css0/0.0.0313
expect "its ccw device" 0 "P: /devices/css0/0.0.0313/0.0.2b09
M: 0.0.2b09
R: 09
U: ccw
E: DEVPATH=/devices/css0/0.0.0313/0.0.2b09
E: SUBSYSTEM=ccw
E: CU_TYPE=3990
E: CU_MODEL=E9
E: DEV_TYPE=3390
E: DEV_MODEL=0E
E: MODALIAS=ccw:t3990mE9dt3390dm0E" -- "$MDEVSIM" exec -- udevadm info -p /devices/css0/0.0.0313/0.0.2b09
expect "css and ccw devices by subsystem" 0 "/sys/devices/css0/0.0.0313
/sys/devices/css0/0.0.0314
/sys/devices/css0/0.0.0a00
/sys/devices/css0/0.0.0a01
/sys/devices/css0/0.0.0a02
/sys/devices/css0/0.1.0000
--
/sys/devices/css0/0.0.0313/0.0.2b09
/sys/devices/css0/0.0.0314/0.0.2b0a
/sys/devices/css0/0.0.0a00/0.0.f500
/sys/devices/css0/0.0.0a01/0.0.f501
/sys/devices/css0/0.0.0a02/0.0.f502
/sys/devices/css0/0.1.0000/0.1.0100" -- "$MDEVSIM" exec -- sh -c \
  "udevadm trigger --dry-run --verbose --subsystem-match=css && echo -- && udevadm trigger --dry-run --verbose --subsystem-match=ccw"
expect "a vfio_ccw subchannel and its mdev" 0 "P: /devices/css0/0.0.0313/$U
M: $U
R: 6
U: mdev
V: vfio_ccw_mdev
E: DEVPATH=/devices/css0/0.0.0313/$U
E: SUBSYSTEM=mdev
E: DRIVER=vfio_ccw_mdev

V: vfio_ccw
/sys/devices/css0/0.0.0313/$U" -- "$MDEVSIM" exec -- sh -c "
  echo 0.0.0313 > /sys/bus/css/devices/0.0.0313/driver/unbind && echo 0.0.0313 > /sys/bus/css/drivers/vfio_ccw/bind &&
  echo $U > /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create &&
  udevadm info -p /devices/css0/0.0.0313/$U && udevadm info -p /devices/css0/0.0.0313 | grep '^V:' &&
  udevadm trigger --dry-run --verbose --subsystem-match=mdev"

[[ $fails == 0 ]] && echo "all css udev checks passed"
exit $((fails > 0))
