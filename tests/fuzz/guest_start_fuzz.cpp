// libFuzzer: `guest start` words (QEMU -device arguments, devnos, sysfs
// paths) against the default host with a vfio_ccw mdev and a vfio_ap mdev.
// Each line of the input starts a guest; a start either succeeds (and the
// guest has its devices open) or leaves nothing behind: no guest, no
// device open, no subchannel of the virtual css taken.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/guest_text.h"
#include "cli/system.h"

namespace {

mdevsim::System& host() {
  static mdevsim::System* sys = [] {
    auto* s = new mdevsim::System(mdevsim::default_host());
    for (auto [path, value] : {std::pair{"bus/css/devices/0.0.0313/driver/unbind", "0.0.0313"},
                               {"bus/css/drivers/vfio_ccw/bind", "0.0.0313"},
                               {"bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create",
                                "7e270a25-e163-4922-af60-757fc8ed48c6"},
                               {"devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create",
                                "11111111-2222-3333-4444-555555555555"}})
      if (!s->tree().write(path, value)) std::abort();
    return s;
  }();
  return *sys;
}

bool nothing_open(mdevsim::System& sys) {
  for (auto& [uuid, dev] : sys.mdev_core().devices())
    if (dev->kvm) return false;
  return sys.guests().all().empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mdevsim::System& sys = host();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<std::string> started;
  int n = 0;
  for (std::string line; std::getline(in, line) && n < 8; ++n) {
    std::istringstream words(line);
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    std::string name = "g" + std::to_string(n), error;
    size_t before = sys.guests().all().size();
    if (sys.guests().start(name, mdevsim::guest_start_args(args), error)) {
      const qemu::Guest* g = sys.guests().find(name);
      if (!g) std::abort();
      (void)mdevsim::guest_text(*g);
      started.push_back(name);
    } else if (error.empty() || sys.guests().all().size() != before) {
      std::abort();
    }
  }
  std::string error;
  for (auto& name : started)
    if (!sys.guests().stop(name, error)) std::abort();
  if (!nothing_open(sys)) std::abort();
  return 0;
}
