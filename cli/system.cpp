#include "cli/system.h"

#include <fmt/format.h>

#include "apbus/zcrypt_cex4.h"
#include "base/json_input.h"
#include "ccw/device_models.h"
#include "ccw/io_subchannel.h"
#include "ccw/vfio_ccw_drv.h"
#include "mdev/vfio_ap_drv.h"

namespace mdevsim {

base::Result<Host> load_host_file(const std::string& path, std::string& error) {
  auto text = base::read_input_file(path, error);
  if (!text) {
    error = fmt::format("host file {}: {}", path, error);
    return text.error();
  }
  auto ap = ap::parse_host_config(*text, error);
  auto css = ap ? ccw::parse_css_config(*text, error) : base::Result<ccw::CssConfig>(ap.error());
  if (!css) {
    error = fmt::format("host file {}: {}", path, error);
    return css.error();
  }
  // The volumes of DASDs with an image file are opened now: a bad image is
  // the host file's error.
  ccw::DeviceModels devices;
  for (const auto& sch : css->subchannels) {
    if (!sch.dev || sch.dev->image.empty()) continue;
    auto model = ccw::make_device_model(*sch.dev, error);
    if (!model) {
      error = fmt::format("host file {}: css.subchannels {}: {}", path, ccw::format_bus_id(sch.schid), error);
      return model.error();
    }
    devices.emplace(sch.schid, std::move(*model));
  }
  return Host{std::move(*ap), std::move(*css), std::move(devices)};
}

Host default_host() {
  std::string error;
  return Host{ap::default_host(), *ccw::parse_css_config(ccw::DEFAULT_CSS_JSON, error)};
}

System::System(ap::HostConfig host, ccw::CssConfig css, ccw::DeviceModels devices) {
  for (const char* top : {"bus", "class", "devices", "kernel", "module"}) m_tree.root().add_dir(top);
  m_ap_bus = std::make_unique<ap::ApBus>(m_tree, m_uevents, m_klog, std::move(host));
  m_ap_bus->register_driver(ap::make_cex4card_driver());
  m_ap_bus->register_driver(ap::make_cex4queue_driver());
  m_mdev_core = std::make_unique<mdev::MdevCore>(m_tree, m_uevents, m_klog);
  m_matrix_dev = std::make_unique<vfio_ap::MatrixDev>(*m_ap_bus, *m_mdev_core, m_tree);
  m_ap_bus->register_driver(vfio_ap::make_vfio_ap_driver(*m_matrix_dev));
  m_ap_bus->scan();
  m_css = std::make_unique<ccw::Css>(m_tree, m_uevents, m_klog, std::move(css), std::move(devices));
  m_css->register_driver(std::make_unique<ccw::IoSubchannelDriver>());
  m_vfio_ccw = &static_cast<ccw::VfioCcwDriver&>(m_css->register_driver(std::make_unique<ccw::VfioCcwDriver>(*m_mdev_core)));
  m_guests = std::make_unique<qemu::Guests>(m_tree, *m_mdev_core, *m_vfio_ccw);
}

}  // namespace mdevsim
