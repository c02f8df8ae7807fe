// The vfio_ccw driver (drivers/s390/cio/vfio_ccw_drv.c, vfio_ccw_ops.c): it
// takes non-QDIO I/O subchannels away from the host and offers each as the
// parent of one mediated device of type vfio_ccw-io, which QEMU opens as a
// VFIO device for its guest.
#pragma once

#include <list>
#include <map>

#include "ccw/css.h"
#include "mdev/mdev_core.h"

namespace ccw {

// The uapi's eventfd indexes of a vfio-ccw device.
inline constexpr unsigned VFIO_CCW_IO_IRQ_INDEX = 0;
inline constexpr unsigned VFIO_CCW_CRW_IRQ_INDEX = 1;
inline constexpr unsigned VFIO_CCW_REQ_IRQ_INDEX = 2;

// struct vfio_ccw_private: one vfio_ccw-io mdev and its subchannel.
struct VfioCcwPrivate {
  // enum vfio_ccw_state (vfio_ccw_private.h).
  enum class State { NotOper, Standby, Idle, CpProcessing, CpPending };
  Subchannel* sch;
  mdev::MdevDevice* mdev;
  State state = State::Standby;
  unsigned remove_requests = 0;  // vfio_ccw_mdev_request() calls so far
};

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
  // vfio_ccw_mdev_remove(): an open device is asked to let go
  // (vfio_ccw_mdev_request()); QEMU unplugs it and closes.
  Result<void> remove(mdev::MdevDevice& dev) override;
  // vfio_ccw_mdev_open_device(): EINVAL when not operational; the FSM's
  // OPEN enables the subchannel (STANDBY -> IDLE).
  Result<void> open_device(mdev::MdevDevice& dev) override;
  // vfio_ccw_mdev_close_device(): CLOSE disables it (-> STANDBY).
  void close_device(mdev::MdevDevice& dev) override;

  // The mdev's private state, or null for another driver's mdev.
  VfioCcwPrivate* private_of(const mdev::MdevDevice& dev) const;

 private:
  mdev::MdevCore& m_core;
  std::string m_name = "vfio_ccw";
  std::map<Subchannel*, mdev::MdevType*> m_types;
  std::list<VfioCcwPrivate> m_privates;
};

}  // namespace ccw
