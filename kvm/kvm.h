// struct kvm: what the host kernel keeps for one guest and offers the
// drivers between it and QEMU. vfio_ap sets the masks of the guest's CRYCB
// and hooks the PQAP instructions KVM intercepts; vfio_ccw's channel
// programs will copy through the guest's memory. It knows neither driver,
// only the machine's AP definitions (as the kernel's asm/ap.h).
#pragma once

#include <functional>
#include <string>

#include "apbus/ap_engine.h"
#include "kvm/guest_memory.h"

namespace kvm {

struct Kvm {
  std::string name;         // QEMU's -name
  bool ap_facility = true;  // the CPU model has the AP instructions (ap=on)
  // The CRYCB's masks: what the guest's AP instructions reach
  // (kvm_arch_crypto_set_masks(), kvm_arch_crypto_clear_masks()).
  ap::ApView crycb;
  GuestMemory memory;  // QEMU's -m, 128 MiB by default
  // kvm->arch.crypto.pqap_hook: set while vfio_ap has the guest; handle_pqap()
  // sends the intercepted PQAP(AQIC) there, answers rc 01 without it.
  std::function<ap::ApQueueStatus(unsigned apid, unsigned apqi, bool enable, uint64_t nib)> pqap_hook;

  ap::ApQueueStatus handle_pqap_aqic(unsigned apid, unsigned apqi, bool enable, uint64_t nib) const {
    if (!pqap_hook) return ap::ApQueueStatus{.response_code = ap::AP_RESPONSE_Q_NOT_AVAIL};
    return pqap_hook(apid, apqi, enable, nib);
  }
};

}  // namespace kvm
