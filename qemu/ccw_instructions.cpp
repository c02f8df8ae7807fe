// The guest's channel-subsystem instructions on its ccw devices, as QEMU
// handles them for a vfio-ccw device: hw/s390x/css.c (css_do_ssch(),
// css_do_tsch_get_irb(), css_do_msch(), css_do_hsch(), css_do_csch(),
// css_do_stcrw()) and hw/vfio/ccw.c (the region writes and the eventfd
// handlers).
#include <fmt/format.h>

#include "base/big_endian.h"
#include "qemu/guests.h"

namespace qemu {
namespace {

using namespace ccw;

constexpr uint16_t FCTL = SCSW_FCTL_START | SCSW_FCTL_HALT | SCSW_FCTL_CLEAR;
constexpr uint16_t STCTL = 0x001f;

bool usable(const CcwDevice& dev) { return dev.schib.pmcw.dnv && dev.schib.pmcw.ena; }

// A deferred unit exception (sch_gen_unit_exception()).
void gen_unit_exception(CcwDevice& dev) {
  Scsw& s = dev.schib.scsw;
  s.ctrl &= static_cast<uint16_t>(~SCSW_ACTL_START_PEND);
  s.dstat = DEV_STAT_UNIT_EXCEP;
  s.ctrl = static_cast<uint16_t>((s.ctrl & ~STCTL) | SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY |
                                 SCSW_STCTL_ALERT | SCSW_STCTL_STATUS_PEND);
}

}  // namespace

base::Result<size_t> Guests::region_write(CcwDevice& dev, unsigned index, std::span<const uint8_t> bytes) {
  ccw::VfioCcwPrivate& p = *m_vfio_ccw.private_of(*dev.mdev);
  const uint64_t offset = uint64_t{index} << VFIO_CCW_OFFSET_SHIFT;
  // pwrite(); EAGAIN (another request being processed) is tried again.
  for (int tries = 0;; ++tries) {
    auto r = m_vfio_ccw.write(p, offset, bytes);
    if (r || r.error().code != EAGAIN || tries == 1000) return r;
  }
}

void Guests::inject_io_interrupt(Guest& g, CcwDevice& dev) { g.io_interrupts.push_back(dev.subch_id); }

unsigned Guests::ssch(Guest& g, CcwDevice& dev, const Orb& orb) {
  Scsw& s = dev.schib.scsw;
  if (!usable(dev)) return 3;
  if (s.ctrl & SCSW_STCTL_STATUS_PEND) return 1;
  if (s.ctrl & FCTL) return 2;
  s.ctrl |= SCSW_FCTL_START | SCSW_ACTL_START_PEND;
  s.flags &= static_cast<uint16_t>(~SCSW_FLAGS_PNO);
  dev.schib.pmcw.intparm = orb.intparm;
  // vfio_ccw_handle_request(): the zeroed I/O region with the ORB and SCSW.
  std::array<uint8_t, IO_REGION_SIZE> region{};
  auto o = encode(orb);
  std::copy(o.begin(), o.end(), region.begin());
  auto sw = encode(s);
  std::copy(sw.begin(), sw.end(), region.begin() + IO_REGION_SCSW);
  auto r = region_write(dev, VFIO_CCW_CONFIG_REGION_INDEX, region);
  if (r) return 0;
  const int err = r.error().code;
  log(g.name(), fmt::format("qemu-system-s390x: vfio-ccw: write I/O region failed with errno={}", err));
  // The start function did not begin: the subchannel is as before.
  if (err == EBUSY || err == ENODEV || err == EACCES) {
    s.ctrl &= static_cast<uint16_t>(~(SCSW_FCTL_START | SCSW_ACTL_START_PEND));
    return err == EBUSY ? 2 : 3;
  }
  gen_unit_exception(dev);
  inject_io_interrupt(g, dev);
  return 0;
}

void Guests::io_notify(Guest& g, CcwDevice& dev) {
  // vfio_ccw_io_notifier_handler(): the IRB from the I/O region becomes the
  // subchannel's status; sense bytes if the guest enabled concurrent sense.
  ccw::VfioCcwPrivate& p = *m_vfio_ccw.private_of(*dev.mdev);
  std::array<uint8_t, IO_REGION_SIZE> region{};
  if (!m_vfio_ccw.read(p, 0, region)) return;
  dev.schib.scsw = decode_scsw(std::span(region).subspan<IO_REGION_IRB, 12>());
  std::copy_n(region.begin() + IO_REGION_IRB + 12, dev.esw.size(), dev.esw.begin());
  if ((dev.schib.scsw.dstat & DEV_STAT_UNIT_CHECK) && dev.schib.pmcw.csense)
    std::copy_n(region.begin() + IO_REGION_IRB + 32, dev.sense.size(), dev.sense.begin());
  inject_io_interrupt(g, dev);
}

void Guests::crw_read(Guest& g, CcwDevice& dev) {
  ccw::VfioCcwPrivate& p = *m_vfio_ccw.private_of(*dev.mdev);
  const uint64_t offset = uint64_t{3} << VFIO_CCW_OFFSET_SHIFT;
  for (;;) {
    std::array<uint8_t, CRW_REGION_SIZE> region{};
    if (!m_vfio_ccw.read(p, offset, region)) return;
    const uint32_t crw = base::get_be32(&region[0]);
    if (!crw) return;
    g.crws.push_back(crw);  // css_crw_add_to_queue()
  }
}

unsigned Guests::tsch(Guest& g, CcwDevice& dev, Irb& irb) {
  Scsw& s = dev.schib.scsw;
  if (!usable(dev)) return 3;
  const uint16_t stctl = s.ctrl & STCTL;
  irb = {};
  irb.scsw = s;
  if (stctl & SCSW_STCTL_STATUS_PEND) {
    // A passthrough device's ESW is the host's; the sense bytes go with a
    // unit check when concurrent sense is on.
    irb.esw = dev.esw;
    if ((s.dstat & DEV_STAT_UNIT_CHECK) && dev.schib.pmcw.csense) {
      irb.scsw.flags |= SCSW_FLAGS_ESWF | SCSW_FLAGS_ECTL;
      std::copy(dev.sense.begin(), dev.sense.end(), irb.ecw.begin());
    }
    // The status is taken (no intermediate status is simulated).
    s.ctrl &= static_cast<uint16_t>(~(STCTL | FCTL | 0x0fe0));
    s.flags &= static_cast<uint16_t>(~SCSW_FLAGS_PNO);
    if (dev.schib.pmcw.csense) dev.sense = {};
    std::erase(g.io_interrupts, dev.subch_id);
    return 0;
  }
  return 1;
}

unsigned Guests::stsch(Guest& g, CcwDevice& dev, Schib& out) {
  // vfio_ccw_handle_store(): the path bits from the host's SCHIB region.
  ccw::VfioCcwPrivate& p = *m_vfio_ccw.private_of(*dev.mdev);
  std::array<uint8_t, SCHIB_REGION_SIZE> region{};
  if (m_vfio_ccw.read(p, uint64_t{2} << VFIO_CCW_OFFSET_SHIFT, region)) {
    const Schib host = decode_schib(region);
    dev.schib.pmcw.pnom = host.pmcw.pnom;
    dev.schib.pmcw.lpum = host.pmcw.lpum;
    dev.schib.pmcw.pam = host.pmcw.pam;
    dev.schib.pmcw.pom = host.pmcw.pom;
    if (host.scsw.flags & SCSW_FLAGS_PNO) dev.schib.scsw.flags |= SCSW_FLAGS_PNO;
  } else {
    log(g.name(), fmt::format("qemu-system-s390x: vfio-ccw: store region read failed with errno={}", ENODEV));
  }
  out = dev.schib;
  return 0;
}

// css_do_msch(): without a device nothing happens, and cc 0.
unsigned Guests::msch(Guest&, CcwDevice& dev, const Schib& in) {
  return dev.schib.pmcw.dnv ? modify_subchannel(dev.schib, in) : 0;
}

unsigned Guests::hsch(Guest& g, CcwDevice& dev) {
  Scsw& s = dev.schib.scsw;
  if (!usable(dev)) return 3;
  if ((s.ctrl & STCTL) == SCSW_STCTL_STATUS_PEND ||
      (s.ctrl & (SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY | SCSW_STCTL_ALERT)))
    return 1;
  if (s.ctrl & (SCSW_FCTL_HALT | SCSW_FCTL_CLEAR)) return 2;
  const Scsw before = s;
  s.ctrl = static_cast<uint16_t>((s.ctrl | SCSW_FCTL_HALT | SCSW_ACTL_HALT_PEND) & ~SCSW_FCTL_START);
  // vfio_ccw_handle_halt(): the async region's HSCH.
  std::array<uint8_t, CMD_REGION_SIZE> region{};
  base::put_be32(&region[0], VFIO_CCW_ASYNC_CMD_HSCH);
  auto r = region_write(dev, 1, region);
  if (r) return 0;
  const int err = r.error().code;
  log(g.name(), fmt::format("qemu-system-s390x: vfio-ccw: write cmd region failed with errno={}", err));
  if (err == EBUSY || err == ENODEV || err == EACCES) {
    s = before;
    return err == EBUSY ? 2 : 3;
  }
  gen_unit_exception(dev);
  inject_io_interrupt(g, dev);
  return 0;
}

unsigned Guests::csch(Guest& g, CcwDevice& dev) {
  Scsw& s = dev.schib.scsw;
  if (!usable(dev)) return 3;
  const Scsw before = s;
  s.ctrl = static_cast<uint16_t>((s.ctrl & ~(FCTL | 0x0fe0)) | SCSW_FCTL_CLEAR | SCSW_ACTL_CLEAR_PEND);
  std::array<uint8_t, CMD_REGION_SIZE> region{};
  base::put_be32(&region[0], VFIO_CCW_ASYNC_CMD_CSCH);
  auto r = region_write(dev, 1, region);
  if (r) return 0;
  const int err = r.error().code;
  log(g.name(), fmt::format("qemu-system-s390x: vfio-ccw: write cmd region failed with errno={}", err));
  if (err == ENODEV || err == EACCES) {
    s = before;
    return 3;
  }
  gen_unit_exception(dev);
  inject_io_interrupt(g, dev);
  return 0;
}

unsigned Guests::stcrw(Guest& g, uint32_t& crw) {
  if (g.crws.empty()) {
    crw = 0;
    return 1;
  }
  crw = g.crws.front();
  g.crws.pop_front();
  return 0;
}

}  // namespace qemu
