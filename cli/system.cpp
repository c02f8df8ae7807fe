#include "cli/system.h"

#include "apbus/zcrypt_cex4.h"
#include "mdev/vfio_ap_drv.h"

namespace mdevsim {

System::System(ap::HostConfig host) {
  for (const char* top : {"bus", "class", "devices", "kernel", "module"}) m_tree.root().add_dir(top);
  m_ap_bus = std::make_unique<ap::ApBus>(m_tree, m_uevents, m_klog, std::move(host));
  m_ap_bus->register_driver(ap::make_cex4card_driver());
  m_ap_bus->register_driver(ap::make_cex4queue_driver());
  m_mdev_core = std::make_unique<mdev::MdevCore>(m_tree, m_uevents, m_klog);
  m_matrix_dev = std::make_unique<vfio_ap::MatrixDev>(*m_ap_bus, *m_mdev_core, m_tree);
  m_ap_bus->register_driver(vfio_ap::make_vfio_ap_driver(*m_matrix_dev));
  m_ap_bus->scan();
}

}  // namespace mdevsim
