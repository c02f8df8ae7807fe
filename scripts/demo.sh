#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: the simulator on
# /sys (in a private mount namespace) with the default host, walking through
# the upstream vfio-ap documentation's example, then QEMU's vfio-ccw
# document: its DASD to vfio_ccw, an mdev, and a guest that has it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/mdevsim exec -- bash -c '
M='"$PWD"'/build/mdevsim
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
# Steps 3 to 5: three mediated devices, configured as the document shows, and Guest1.
cd /sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
uuid1=62177883-f1bb-47f0-914d-32a22e3a8804; uuid2=b5a1ef6c-3a4e-4bd4-9b5c-4e1a2ff1fd1a; uuid3=0c0c3d25-1f7a-4ea3-8a5c-c3b1e9a8a2c4
show "echo \$uuid1 > create; echo \$uuid2 > create; echo \$uuid3 > create"
cd /sys/devices/vfio_ap/matrix/$uuid1
show "echo 5 > assign_adapter; echo 6 > assign_adapter; echo 4 > assign_domain; echo 0xab > assign_domain"
show cat matrix
cd ../$uuid2; show "echo 5 > assign_adapter; echo 0x47 > assign_domain; echo 0xff > assign_domain"
cd ../$uuid3; show "echo 6 > assign_adapter; echo 0x47 > assign_domain; echo 0xff > assign_domain"
show "echo 0xab > assign_domain   # shares 06.00ab with Guest1"
show "\$M dmesg /sys | tail -n 1"
show "\$M guest start Guest1 --mdev /sys/devices/vfio_ap/matrix/\$uuid1"
show "\$M guest show Guest1"
show cat /sys/bus/ap/devices/05.0004/status
show "\$M matrix /sys"
# QEMU'"'"'s vfio-ccw document, host side: the DASD 0.0.2b09 goes to vfio_ccw.
show ls /sys/bus/css/devices
show cat /sys/bus/css/devices/0.0.0313/dev_busid /sys/bus/css/devices/0.0.0313/chpids
show "echo 0.0.0313 > /sys/bus/css/devices/0.0.0313/driver/unbind"
show "echo 0.0.0313 > /sys/bus/css/drivers/vfio_ccw/bind"
show ls /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io
show "echo 7e270a25-e163-4922-af60-757fc8ed48c6 > /sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create"
show ls -l /sys/bus/mdev/devices
show "mdevctl list"
show "\$M dmesg /sys | tail -n 2"
# Step 2: the mdev in a guest at devno fe.0.1234, behind seven virtio devices as in the document.
show "\$M guest start guest2 --device virtio-net-ccw --device virtio-blk-ccw --device virtio-blk-ccw --device virtio-serial-ccw \\
  --device virtio-balloon-ccw --device virtio-rng-ccw --device virtio-scsi-ccw --ccw 7e270a25-e163-4922-af60-757fc8ed48c6,devno=fe.0.1234"
show "\$M guest show guest2 | tail -n 10   # the guest'"'"'s lscss"
show "\$M css /sys"
# The guest'"'"'s chccwdev -e 0.0.1234: channel programs through vfio-ccw to the simulated 3390.
show "\$M guest ccw guest2 online 0.0.1234"
show "\$M guest ccw guest2 dmesg"
show "\$M guest ccw guest2 ssch 0.0.1234 '"'"'E4 20 0028'"'"'; \$M guest ccw guest2 tsch 0.0.1234"
'
