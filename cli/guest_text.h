// The words of `mdevsim guest start` and what `mdevsim guest show` prints.
#pragma once

#include <string>
#include <vector>

#include "qemu/guest.h"

namespace mdevsim {

// A device option of `mdevsim guest start`: --mdev UUID|PATH, --ccw
// UUID|PATH[,PROPS], --device QEMU-ARG.
struct GuestDeviceOption {
  enum Kind { Mdev, Ccw, Device } kind;
  std::string value;
};
// The control request for `mdevsim guest start`: QEMU -device words in the
// options' order, paths under `sysdir` (the mount point) as the simulated
// host's /sys. False with `error` for a word that is empty or holds a blank
// (the request is one line of words).
bool guest_start_request(const std::string& name, const std::vector<GuestDeviceOption>& opts, bool no_ap,
                         bool unplug_on_request, const std::string& sysdir, std::string& request, std::string& error);

// "guest start NAME ARGS...": "ap=off", "unplug-on-request", -device
// arguments ("vfio-ccw,devno=fe.0.1234,sysfsdev=...") in order, and a bare
// UUID for "vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/UUID".
qemu::GuestOptions guest_start_args(const std::vector<std::string>& args);

// The guest's CRYCB masks with the APQNs and control domains in them, its
// vfio-ap eventfd counts and, with ccw devices, each one's ids and the
// guest's lscss.
std::string guest_text(const qemu::Guest& g);

// What lscss prints in the guest: the devices of the default css image,
// as 0.<ssid>.<devno> on subchannel 0.<ssid>.<schid>.
std::string guest_lscss(const qemu::Guest& g);

}  // namespace mdevsim
