#include "cli/system.h"

#include "apbus/zcrypt_cex4.h"
#include "mdev/vfio_ap_drv.h"

namespace mdevsim {

System::System(ap::HostConfig host) {
  for (const char* top : {"bus", "class", "devices", "module"}) m_tree.root().add_dir(top);
  m_ap_bus = std::make_unique<ap::ApBus>(m_tree, m_uevents, m_klog, std::move(host));
  m_ap_bus->register_driver(ap::make_cex4card_driver());
  m_ap_bus->register_driver(ap::make_cex4queue_driver());
  m_ap_bus->register_driver(vfio_ap::make_vfio_ap_driver());
  m_ap_bus->scan();
}

}  // namespace mdevsim
