#include "ccw/vfio_ccw_drv.h"

#include <fmt/format.h>

namespace ccw {

Result<void> VfioCcwDriver::probe(Subchannel& sch) {
  if (sch.cfg.qdio) {
    css->klog().log(base::LogLevel::WARNING,
                    fmt::format("vfio_ccw {}: vfio: ccw: does not support QDIO: {}", sch.name, sch.name));
    return Errno{ENODEV};
  }
  // A device on no bus: its events are filtered, it shows only uevent.
  sch.dir->add_dir("parent").add_attr(busless_uevent_attr, css);
  m_types[&sch] = &m_core.register_parent(*sch.dir, css->devpath(sch), m_name, "io", "I/O subchannel (Non-QDIO)",
                                          "vfio-ccw", 1, "vfio_ccw_mdev", "vfio_ccw", *this, "css", css->uevent_vars(sch));
  return base::ok();
}

void VfioCcwDriver::remove(Subchannel& sch) {
  m_core.unregister_parent(*m_types.at(&sch), "css", css->uevent_vars(sch));
  m_types.erase(&sch);
  sch.dir->remove("parent");
}

VfioCcwPrivate* VfioCcwDriver::private_of(const mdev::MdevDevice& dev) const {
  for (auto& [sch, type] : m_types)
    if (type == dev.type) return static_cast<VfioCcwPrivate*>(dev.driver_data);
  return nullptr;
}

Result<void> VfioCcwDriver::probe(mdev::MdevDevice& dev) {
  for (auto& [sch, type] : m_types) {
    if (type != dev.type) continue;
    dev.driver_data = &m_privates.emplace_back(VfioCcwPrivate{sch, &dev});
    return base::ok();
  }
  return Errno{ENODEV};
}

Result<void> VfioCcwDriver::remove(mdev::MdevDevice& dev) {
  auto& p = *static_cast<VfioCcwPrivate*>(dev.driver_data);
  if (dev.kvm) {
    if (p.remove_requests % 10 == 0)
      css->klog().log(base::LogLevel::NOTICE,
                      fmt::format("vfio_ccw_mdev {}: Relaying device request to user (#{})", dev.uuid, p.remove_requests));
    ++p.remove_requests;
    dev.signal_irq(VFIO_CCW_REQ_IRQ_INDEX);
    if (dev.kvm) return sysfs::WAIT_FOR_CHANGE;
  }
  m_privates.remove_if([&](const VfioCcwPrivate& x) { return &x == &p; });
  return base::ok();
}

Result<void> VfioCcwDriver::open_device(mdev::MdevDevice& dev) {
  auto& p = *static_cast<VfioCcwPrivate*>(dev.driver_data);
  if (p.state == VfioCcwPrivate::State::NotOper) return Errno{EINVAL};
  p.state = VfioCcwPrivate::State::Idle;
  p.remove_requests = 0;
  return base::ok();
}

void VfioCcwDriver::close_device(mdev::MdevDevice& dev) {
  static_cast<VfioCcwPrivate*>(dev.driver_data)->state = VfioCcwPrivate::State::Standby;
}

}  // namespace ccw
