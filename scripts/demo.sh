#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: the simulator on
# /sys (in a private mount namespace) with the default host, walking through
# step 2 of the upstream vfio-ap documentation's example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/mdevsim exec -- bash -c '
show() { echo "# $*"; eval "$@"; echo; }
show ls /sys/bus/ap/devices
show cat /sys/bus/ap/devices/card05/hwtype /sys/bus/ap/devices/card05/type /sys/bus/ap/devices/card06/type
show cat /sys/bus/ap/apmask /sys/bus/ap/aqmask
show "echo -5,-6 > /sys/bus/ap/apmask"
show "echo -4,-0x47,-0xab,-0xff > /sys/bus/ap/aqmask"
show cat /sys/bus/ap/apmask /sys/bus/ap/aqmask
show ls /sys/bus/ap/drivers/vfio_ap
show ls -l /sys/bus/ap/devices/05.0004/driver
show cat /sys/bus/ap/bindings /sys/bus/ap/devices/05.0004/status
show udevadm info -p /devices/ap/card05/05.0004
'
