// A simulated QEMU guest (qemu-system-s390x with KVM): its KVM, the vfio
// and virtio devices on its command line, and its virtual channel
// subsystem. What the guest's own lscss would show comes from here.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ccw/machine_subchannel.h"
#include "kvm/kvm.h"
#include "mdev/mdev_core.h"
#include "qemu/virtual_css.h"

namespace qemu {

struct GuestOptions {
  bool ap_facility = true;         // -cpu ...,ap=on
  bool unplug_on_request = false;  // the vfio-ap device goes when the kernel asks
  std::vector<std::string> devices{};  // -device arguments, in order
};

// The -device vfio-ap of a guest: the mdev it has open and the eventfd
// signals it has had.
struct VfioApDevice {
  std::string arg;  // as on the command line
  mdev::MdevDevice* mdev;
  uint64_t cfg_chg_count = 0;  // VFIO_AP_CFG_CHG_IRQ_INDEX
  uint64_t req_count = 0;      // VFIO_AP_REQ_IRQ_INDEX
};

// A ccw device of the guest: virtio-ccw, or vfio-ccw passing a host
// subchannel through. The ids are its dev_id and subch_id properties;
// the rest is what its SENSE ID and SCHIB give the guest.
struct CcwDevice {
  std::string driver{};  // "vfio-ccw", "virtio-net-ccw"
  std::string arg{};   // as on the command line
  CssDevId dev_id{}, subch_id{};
  mdev::MdevDevice* mdev = nullptr;  // vfio-ccw: the mdev it has open
  unsigned cu_type = 0, cu_model = 0, dev_type = 0, dev_model = 0;
  uint8_t pim = 0, pam = 0, pom = 0;
  std::array<uint8_t, 8> chpids{};
  bool online = false;  // in the guest: virtio_ccw sets its devices online
  // The virtual subchannel (SubchDev): its SCHIB, the ESW and sense bytes
  // of the status it holds for the guest's TEST SUBCHANNEL.
  ccw::Schib schib{};
  std::array<uint8_t, 20> esw{};
  std::array<uint8_t, 32> sense{};
};

struct Guest {
  uint64_t boot = 0;  // which start of this simulator made it (1, 2, ...)
  kvm::Kvm kvm;
  GuestOptions opts;
  std::optional<VfioApDevice> ap;
  std::vector<CcwDevice> ccw;  // in the order they were plugged
  VirtualCss css;
  // The machine's CRWs for the guest (STORE CHANNEL REPORT WORD), and the
  // I/O interrupts made pending, by subchannel, in the order they came.
  std::deque<uint32_t> crws;
  std::deque<CssDevId> io_interrupts;

  const std::string& name() const { return kvm.name; }
};

}  // namespace qemu
