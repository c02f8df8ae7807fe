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

Result<void> VfioCcwDriver::probe(mdev::MdevDevice&) { return base::ok(); }
Result<void> VfioCcwDriver::remove(mdev::MdevDevice&) { return base::ok(); }

}  // namespace ccw
