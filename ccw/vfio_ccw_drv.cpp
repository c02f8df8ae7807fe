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
    VfioCcwPrivate& p = m_privates.emplace_back();
    p.sch = sch;
    p.mdev = &dev;
    dev.driver_data = &p;
    return base::ok();
  }
  return Errno{ENODEV};
}

Result<void> VfioCcwDriver::remove(mdev::MdevDevice& dev) {
  auto& p = *static_cast<VfioCcwPrivate*>(dev.driver_data);
  if (dev.kvm) {
    // vfio_ccw_mdev_request(): the user is asked through its eventfd.
    if (p.triggers[VFIO_CCW_REQ_IRQ_INDEX]) {
      if (p.remove_requests % 10 == 0)
        css->klog().log(base::LogLevel::NOTICE, fmt::format("vfio_ccw_mdev {}: Relaying device request to user (#{})",
                                                            dev.uuid, p.remove_requests));
      signal(p, VFIO_CCW_REQ_IRQ_INDEX);
    } else if (p.remove_requests == 0) {
      css->klog().log(base::LogLevel::NOTICE,
                      fmt::format("vfio_ccw_mdev {}: No device request channel registered, blocked until released by user",
                                  dev.uuid));
    }
    ++p.remove_requests;
    if (dev.kvm) return sysfs::WAIT_FOR_CHANGE;
  }
  m_privates.remove_if([&](const VfioCcwPrivate& x) { return &x == &p; });
  return base::ok();
}

Result<void> VfioCcwDriver::open_device(mdev::MdevDevice& dev) {
  auto& p = *static_cast<VfioCcwPrivate*>(dev.driver_data);
  if (p.state == VfioCcwPrivate::State::NotOper) return Errno{EINVAL};
  // The capability regions (async, schib, crw), then the FSM's OPEN.
  p.num_regions = 3;
  p.cp = std::make_unique<ChannelProgram>(dev.kvm->memory);
  fsm_event(p, VfioCcwPrivate::Event::Open);
  if (p.state == VfioCcwPrivate::State::NotOper) {
    p.num_regions = 0;
    p.cp.reset();
    return Errno{EINVAL};
  }
  p.remove_requests = 0;
  return base::ok();
}

void VfioCcwDriver::close_device(mdev::MdevDevice& dev) {
  auto& p = *static_cast<VfioCcwPrivate*>(dev.driver_data);
  fsm_event(p, VfioCcwPrivate::Event::Close);
  p.num_regions = 0;
  p.cp.reset();
  p.triggers = {};
  p.crws.clear();
}

}  // namespace ccw
