// The vfio_ccw driver (drivers/s390/cio/vfio_ccw_drv.c, vfio_ccw_ops.c): it
// takes non-QDIO I/O subchannels away from the host and offers each as the
// parent of one mediated device of type vfio_ccw-io.
#pragma once

#include <map>

#include "ccw/css.h"
#include "mdev/mdev_core.h"

namespace ccw {

class VfioCcwDriver final : public CssDriver, public mdev::MdevDriverOps {
 public:
  explicit VfioCcwDriver(mdev::MdevCore& core) : m_core(core) {}
  const std::string& name() const override { return m_name; }
  const std::string& module() const override { return m_name; }

  // vfio_ccw_sch_probe(): ENODEV and a warning for a QDIO subchannel; else
  // the "parent" child device and the mdev parent on the subchannel.
  Result<void> probe(Subchannel& sch) override;
  // vfio_ccw_sch_remove(): the mdev parent (and its mdev) and "parent" go.
  void remove(Subchannel& sch) override;

  // The mdev driver vfio_ccw_mdev.
  Result<void> probe(mdev::MdevDevice& dev) override;
  void remove_attrs(mdev::MdevDevice&) override {}
  Result<void> remove(mdev::MdevDevice& dev) override;

 private:
  mdev::MdevCore& m_core;
  std::string m_name = "vfio_ccw";
  std::map<Subchannel*, mdev::MdevType*> m_types;
};

}  // namespace ccw
