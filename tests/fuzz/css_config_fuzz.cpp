// libFuzzer: the host file's css section. Any input gives a configuration
// or one error naming a key; a configuration boots a channel subsystem
// with its io_subchannel and vfio_ccw drivers.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ccw/css.h"
#include "ccw/io_subchannel.h"
#include "ccw/vfio_ccw_drv.h"
#include "mdev/mdev_core.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size), error;
  auto config = ccw::parse_css_config(text, error);
  if (!config) {
    if (error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  sysfs::Tree tree;
  base::KernelLog klog;
  sysfs::UeventLog uevents{&klog};
  mdev::MdevCore core(tree, uevents, klog);
  ccw::Css css(tree, uevents, klog, *config);
  css.register_driver(std::make_unique<ccw::IoSubchannelDriver>());
  css.register_driver(std::make_unique<ccw::VfioCcwDriver>(core));
  if (css.subchannels().size() != config->subchannels.size()) std::abort();
  return 0;
}
