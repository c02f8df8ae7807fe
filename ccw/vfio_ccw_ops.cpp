// The VFIO device file of a vfio_ccw mdev (drivers/s390/cio/vfio_ccw_ops.c,
// vfio_ccw_async.c, vfio_ccw_chp.c): the regions, read and written at
// index << 10, and the ioctls QEMU uses.
#include <algorithm>

#include "base/big_endian.h"
#include "ccw/vfio_ccw_drv.h"

namespace ccw {
namespace {

constexpr uint32_t READ = 1, WRITE = 2, CAPS = 8;
constexpr uint32_t VFIO_REGION_TYPE_CCW = 2;
constexpr uint32_t VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD = 1, VFIO_REGION_SUBTYPE_CCW_SCHIB = 2,
                   VFIO_REGION_SUBTYPE_CCW_CRW = 3;
constexpr uint32_t VFIO_IRQ_INFO_EVENTFD = 1;

unsigned index_of(uint64_t pos) { return static_cast<unsigned>(pos >> VFIO_CCW_OFFSET_SHIFT); }
uint64_t offset_in(uint64_t pos) { return pos & ((1u << VFIO_CCW_OFFSET_SHIFT) - 1); }

// Each region's bounds check: the whole access inside the region.
bool inside(uint64_t pos, size_t count, size_t size) { return offset_in(pos) + count <= size; }

template <size_t N>
size_t copy_out(const std::array<uint8_t, N>& region, uint64_t pos, std::span<uint8_t> buf) {
  std::copy_n(region.begin() + static_cast<long>(offset_in(pos)), buf.size(), buf.begin());
  return buf.size();
}

int32_t ret_code(std::span<const uint8_t> region, size_t at) {
  return static_cast<int32_t>(base::get_be32(&region[at]));
}

}  // namespace

Result<size_t> VfioCcwDriver::read(VfioCcwPrivate& p, uint64_t pos, std::span<uint8_t> buf) {
  const unsigned index = index_of(pos);
  if (index >= VFIO_CCW_NUM_REGIONS + p.num_regions) return Errno{EINVAL};
  switch (index) {
    case VFIO_CCW_CONFIG_REGION_INDEX:
      if (!inside(pos, buf.size(), IO_REGION_SIZE)) return Errno{EINVAL};
      return copy_out(p.io_region, pos, buf);
    case 1:  // async
      if (!inside(pos, buf.size(), CMD_REGION_SIZE)) return Errno{EINVAL};
      return copy_out(p.cmd_region, pos, buf);
    case 2: {  // schib: cio_update_schib() first
      if (!inside(pos, buf.size(), SCHIB_REGION_SIZE)) return Errno{EINVAL};
      Schib s;
      if (p.sch->hw->stsch(s) != 0 || !s.pmcw.dnv) return Errno{ENODEV};
      p.schib_region = encode(s);
      return copy_out(p.schib_region, pos, buf);
    }
    default: {  // crw: the oldest one, then the region is zero again
      if (!inside(pos, buf.size(), CRW_REGION_SIZE)) return Errno{EINVAL};
      if (!p.crws.empty()) {
        base::put_be32(&p.crw_region[0], p.crws.front());
        p.crws.pop_front();
      }
      size_t n = copy_out(p.crw_region, pos, buf);
      p.crw_region.fill(0);
      if (!p.crws.empty()) signal(p, VFIO_CCW_CRW_IRQ_INDEX);
      return n;
    }
  }
}

Result<size_t> VfioCcwDriver::write(VfioCcwPrivate& p, uint64_t pos, std::span<const uint8_t> buf) {
  const unsigned index = index_of(pos);
  if (index >= VFIO_CCW_NUM_REGIONS + p.num_regions) return Errno{EINVAL};
  Result<size_t> r = Errno{EINVAL};
  if (index == VFIO_CCW_CONFIG_REGION_INDEX) {
    if (!inside(pos, buf.size(), IO_REGION_SIZE)) return Errno{EINVAL};
    std::copy(buf.begin(), buf.end(), p.io_region.begin() + static_cast<long>(offset_in(pos)));
    fsm_event(p, VfioCcwPrivate::Event::IoReq);
    int32_t rc = ret_code(p.io_region, IO_REGION_RET_CODE);
    r = rc ? Result<size_t>(Errno{-rc}) : Result<size_t>(buf.size());
  } else if (index == 1) {
    if (!inside(pos, buf.size(), CMD_REGION_SIZE)) return Errno{EINVAL};
    std::copy(buf.begin(), buf.end(), p.cmd_region.begin() + static_cast<long>(offset_in(pos)));
    fsm_event(p, VfioCcwPrivate::Event::AsyncReq);
    int32_t rc = ret_code(p.cmd_region, 4);
    r = rc ? Result<size_t>(Errno{-rc}) : Result<size_t>(buf.size());
  }
  // The machine's interrupt comes once the kernel lets go of the subchannel.
  p.sch->hw->deliver();
  return r;
}

Result<RegionInfo> VfioCcwDriver::get_region_info(const VfioCcwPrivate& p, unsigned index) const {
  if (index == VFIO_CCW_CONFIG_REGION_INDEX) return RegionInfo{0, IO_REGION_SIZE, READ | WRITE, 0, 0};
  if (index < VFIO_CCW_NUM_REGIONS || index - VFIO_CCW_NUM_REGIONS >= p.num_regions) return Errno{EINVAL};
  const uint64_t offset = uint64_t{index} << VFIO_CCW_OFFSET_SHIFT;
  switch (index) {
    case 1: return RegionInfo{offset, CMD_REGION_SIZE, READ | WRITE | CAPS, VFIO_REGION_TYPE_CCW, VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD};
    case 2: return RegionInfo{offset, SCHIB_REGION_SIZE, READ | CAPS, VFIO_REGION_TYPE_CCW, VFIO_REGION_SUBTYPE_CCW_SCHIB};
    default: return RegionInfo{offset, CRW_REGION_SIZE, READ | CAPS, VFIO_REGION_TYPE_CCW, VFIO_REGION_SUBTYPE_CCW_CRW};
  }
}

Result<IrqInfo> VfioCcwDriver::get_irq_info(unsigned index) const {
  if (index >= VFIO_CCW_NUM_IRQS) return Errno{EINVAL};
  return IrqInfo{VFIO_IRQ_INFO_EVENTFD, 1};
}

Result<void> VfioCcwDriver::set_irqs(VfioCcwPrivate& p, unsigned index, bool trigger_action, IrqData kind, int value) {
  // vfio_set_irqs_validate_and_prepare(), then vfio_ccw_mdev_set_irqs().
  if (index >= VFIO_CCW_NUM_IRQS || !trigger_action) return Errno{EINVAL};
  switch (kind) {
    case IrqData::None: signal(p, index); break;
    case IrqData::Bool:
      if (value) signal(p, index);
      break;
    case IrqData::Eventfd:
      if (value < -1) return Errno{EINVAL};
      p.triggers[index] = value >= 0;
      break;
  }
  return base::ok();
}

Result<void> VfioCcwDriver::reset(VfioCcwPrivate& p) {
  fsm_event(p, VfioCcwPrivate::Event::Close);
  fsm_event(p, VfioCcwPrivate::Event::Open);
  p.sch->hw->deliver();
  if (p.state == VfioCcwPrivate::State::NotOper) return Errno{EINVAL};
  return base::ok();
}

}  // namespace ccw
