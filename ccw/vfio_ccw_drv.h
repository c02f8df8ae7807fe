// The vfio_ccw driver (drivers/s390/cio/vfio_ccw_drv.c, vfio_ccw_ops.c): it
// takes non-QDIO I/O subchannels away from the host and offers each as the
// parent of one mediated device of type vfio_ccw-io, which QEMU opens as a
// VFIO device for its guest.
#pragma once

#include <array>
#include <deque>
#include <list>
#include <map>
#include <memory>

#include "ccw/css.h"
#include "ccw/vfio_ccw_cp.h"
#include "mdev/mdev_core.h"

namespace ccw {

// The uapi's eventfd indexes of a vfio-ccw device.
inline constexpr unsigned VFIO_CCW_IO_IRQ_INDEX = 0;
inline constexpr unsigned VFIO_CCW_CRW_IRQ_INDEX = 1;
inline constexpr unsigned VFIO_CCW_REQ_IRQ_INDEX = 2;

// The uapi's regions (vfio_ccw.h): the I/O region at index 0, then the
// capability regions open_device registers; offsets are index << 10.
inline constexpr unsigned VFIO_CCW_CONFIG_REGION_INDEX = 0, VFIO_CCW_NUM_REGIONS = 1, VFIO_CCW_NUM_IRQS = 3;
inline constexpr unsigned VFIO_CCW_OFFSET_SHIFT = 10;
inline constexpr size_t IO_REGION_SIZE = 12 + 12 + 96 + 4;  // orb, scsw, irb, ret_code
inline constexpr size_t IO_REGION_SCSW = 12, IO_REGION_IRB = 24, IO_REGION_RET_CODE = 120;
inline constexpr size_t CMD_REGION_SIZE = 8, SCHIB_REGION_SIZE = 52, CRW_REGION_SIZE = 8;
inline constexpr uint32_t VFIO_CCW_ASYNC_CMD_HSCH = 1, VFIO_CCW_ASYNC_CMD_CSCH = 2;
inline constexpr unsigned VFIO_CCW_ISC = 3;  // IO_SCH_ISC
// The CRW vfio_ccw queues for a channel-path event (asm/crw.h).
inline constexpr unsigned CRW_RSC_CPATH = 0x4, CRW_ERC_INIT = 0x02, CRW_ERC_PERRN = 0x06;

// struct vfio_ccw_private: one vfio_ccw-io mdev and its subchannel.
struct VfioCcwPrivate {
  // enum vfio_ccw_state and enum vfio_ccw_event (vfio_ccw_private.h).
  enum class State { NotOper, Standby, Idle, CpProcessing, CpPending };
  enum class Event { NotOper, IoReq, Interrupt, AsyncReq, Open, Close };
  Subchannel* sch = nullptr;
  mdev::MdevDevice* mdev = nullptr;
  State state = State::Standby;
  unsigned remove_requests = 0;  // vfio_ccw_mdev_request() calls so far

  std::array<uint8_t, IO_REGION_SIZE> io_region{};
  std::array<uint8_t, CMD_REGION_SIZE> cmd_region{};
  std::array<uint8_t, SCHIB_REGION_SIZE> schib_region{};
  std::array<uint8_t, CRW_REGION_SIZE> crw_region{};
  unsigned num_regions = 0;  // capability regions: async, schib, crw while open
  std::deque<uint32_t> crws;
  // The eventfds VFIO_DEVICE_SET_IRQS installed (io, crw, req) and how
  // often each was signalled (what reading the eventfd would return).
  std::array<bool, VFIO_CCW_NUM_IRQS> triggers{};
  std::array<uint64_t, VFIO_CCW_NUM_IRQS> signals{};
  std::unique_ptr<ChannelProgram> cp;  // while open: on the guest's memory
  Irb irb;                             // the last interrupt's
};

// VFIO_DEVICE_GET_REGION_INFO and _GET_IRQ_INFO replies.
struct RegionInfo {
  uint64_t offset = 0, size = 0;
  uint32_t flags = 0;      // VFIO_REGION_INFO_FLAG_READ 1, WRITE 2, CAPS 8
  uint32_t cap_type = 0;   // VFIO_REGION_TYPE_CCW (2) for capability regions
  uint32_t cap_subtype = 0;
};
struct IrqInfo {
  uint32_t flags = 0, count = 0;
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

  // vfio_ccw_sch_irq() and vfio_ccw_chp_event().
  void irq(Subchannel& sch, const Irb& irb) override;
  void chp_event(Subchannel& sch, uint8_t mask, unsigned chpid, ChpEvent event) override;

  // The VFIO device file (vfio_ccw_ops.c): read and write at an offset,
  // and the ioctls. Errors are the kernel's errnos.
  Result<size_t> read(VfioCcwPrivate& p, uint64_t pos, std::span<uint8_t> buf);
  Result<size_t> write(VfioCcwPrivate& p, uint64_t pos, std::span<const uint8_t> buf);
  unsigned get_info_num_regions(const VfioCcwPrivate& p) const { return VFIO_CCW_NUM_REGIONS + p.num_regions; }
  Result<RegionInfo> get_region_info(const VfioCcwPrivate& p, unsigned index) const;
  Result<IrqInfo> get_irq_info(unsigned index) const;
  // VFIO_DEVICE_SET_IRQS with ACTION_TRIGGER (else EINVAL): data "none"
  // and "bool" fire the eventfd, an fd (>= 0) installs one, -1 removes it.
  enum class IrqData { None, Bool, Eventfd };
  Result<void> set_irqs(VfioCcwPrivate& p, unsigned index, bool trigger_action, IrqData kind, int value);
  // VFIO_DEVICE_RESET: CLOSE, OPEN; EINVAL when it ends not operational.
  Result<void> reset(VfioCcwPrivate& p);

  // vfio_ccw_fsm_event().
  void fsm_event(VfioCcwPrivate& p, VfioCcwPrivate::Event event);

 private:
  // The FSM's actions (vfio_ccw_fsm.c).
  void fsm_notoper(VfioCcwPrivate& p);
  void fsm_io_request(VfioCcwPrivate& p);
  void fsm_async_request(VfioCcwPrivate& p);
  void fsm_irq(VfioCcwPrivate& p);
  void fsm_open(VfioCcwPrivate& p);
  void fsm_close(VfioCcwPrivate& p);
  int fsm_io_helper(VfioCcwPrivate& p);
  // vfio_ccw_sch_io_todo(): the IRB to the I/O region, the I/O eventfd.
  void io_todo(VfioCcwPrivate& p);
  void signal(VfioCcwPrivate& p, unsigned index);
  void queue_crw(VfioCcwPrivate& p, unsigned rsc, unsigned erc, unsigned rsid);

  mdev::MdevCore& m_core;
  std::string m_name = "vfio_ccw";
  std::map<Subchannel*, mdev::MdevType*> m_types;
  std::list<VfioCcwPrivate> m_privates;
};

}  // namespace ccw
