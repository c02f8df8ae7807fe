#include "ccw/machine_subchannel.h"

#include <utility>

#include "base/big_endian.h"

namespace ccw {
namespace {

constexpr uint16_t FCTL = SCSW_FCTL_START | SCSW_FCTL_HALT | SCSW_FCTL_CLEAR;
constexpr uint16_t ACTL = 0x0fe0;
constexpr uint16_t STCTL = 0x001f;
constexpr uint32_t bit(int n) { return 0x80000000u >> n; }

// The highest-order path in `mask`, or 0.
uint8_t first_path(uint8_t mask) {
  for (uint8_t p = 0x80; p; p >>= 1)
    if (mask & p) return p;
  return 0;
}

}  // namespace

std::array<uint8_t, SCHIB_SIZE> encode(const Schib& s) {
  std::array<uint8_t, SCHIB_SIZE> b{};
  const Pmcw& p = s.pmcw;
  base::put_be32(&b[0], p.intparm);
  uint32_t w1 = (p.qf ? bit(0) : 0) | (p.w ? bit(1) : 0) | uint32_t{p.isc & 7u} << 27 | (p.ena ? bit(8) : 0) |
                uint32_t{p.lm & 3u} << 21 | uint32_t{p.mme & 3u} << 19 | (p.mp ? bit(13) : 0) |
                (p.tf ? bit(14) : 0) | (p.dnv ? bit(15) : 0) | p.dev;
  base::put_be32(&b[4], w1);
  b[8] = p.lpm;
  b[9] = p.pnom;
  b[10] = p.lpum;
  b[11] = p.pim;
  base::put_be16(&b[12], p.mbi);
  b[14] = p.pom;
  b[15] = p.pam;
  for (int i = 0; i < 8; ++i) b[16 + i] = p.chpid[i];
  base::put_be32(&b[24], uint32_t{p.st & 7u} << 21 | (p.mbfc ? bit(29) : 0) | (p.xmwme ? bit(30) : 0) |
                             (p.csense ? bit(31) : 0));
  auto scsw = encode(s.scsw);
  std::copy(scsw.begin(), scsw.end(), b.begin() + 28);
  base::put_be64(&b[40], s.mba);
  for (int i = 0; i < 4; ++i) b[48 + i] = s.mda[i];
  return b;
}

Schib decode_schib(std::span<const uint8_t, SCHIB_SIZE> b) {
  Schib s;
  Pmcw& p = s.pmcw;
  p.intparm = base::get_be32(&b[0]);
  const uint32_t w1 = base::get_be32(&b[4]);
  p.qf = w1 & bit(0);
  p.w = w1 & bit(1);
  p.isc = static_cast<uint8_t>(w1 >> 27 & 7);
  p.ena = w1 & bit(8);
  p.lm = static_cast<uint8_t>(w1 >> 21 & 3);
  p.mme = static_cast<uint8_t>(w1 >> 19 & 3);
  p.mp = w1 & bit(13);
  p.tf = w1 & bit(14);
  p.dnv = w1 & bit(15);
  p.dev = static_cast<uint16_t>(w1);
  p.lpm = b[8];
  p.pnom = b[9];
  p.lpum = b[10];
  p.pim = b[11];
  p.mbi = base::get_be16(&b[12]);
  p.pom = b[14];
  p.pam = b[15];
  for (int i = 0; i < 8; ++i) p.chpid[i] = b[16 + i];
  const uint32_t w6 = base::get_be32(&b[24]);
  p.st = static_cast<uint8_t>(w6 >> 21 & 7);
  p.mbfc = w6 & bit(29);
  p.xmwme = w6 & bit(30);
  p.csense = w6 & bit(31);
  s.scsw = decode_scsw(b.subspan<28, 12>());
  s.mba = base::get_be64(&b[40]);
  for (int i = 0; i < 4; ++i) s.mda[i] = b[48 + i];
  return s;
}

unsigned MachineSubchannel::ssch(const Orb& orb, ChannelMemory& mem) {
  Scsw& s = m_schib.scsw;
  if (!operational()) return 3;
  if (s.ctrl & SCSW_STCTL_STATUS_PEND) return 1;
  if (s.ctrl & FCTL) return 2;
  const uint8_t path = first_path(orb.lpm & m_schib.pmcw.pam & m_schib.pmcw.pom);
  if (!path || !m_device) return 3;  // no path the program may take
  s.ctrl = SCSW_FCTL_START | SCSW_ACTL_START_PEND;
  // The SCSW shows the ORB's key and format bits.
  s.flags = static_cast<uint16_t>(orb.key << 12 | (orb.fmt ? SCSW_FLAGS_FMT : 0) | (orb.pfch ? 0x40 : 0) |
                                  (orb.isic ? 0x20 : 0) | (orb.alcc ? 0x10 : 0));
  m_schib.pmcw.lpum = path;
  if (faults.busy || faults.unit_check) {
    // Faults: the device answers the first command busy, or with the
    // sense bytes given; nothing of the program runs.
    const bool was_busy = faults.busy > 0;
    if (was_busy) --faults.busy;
    const uint8_t dstat = was_busy ? DEV_STAT_BUSY : DEV_STAT_CHN_END | DEV_STAT_DEV_END | DEV_STAT_UNIT_CHECK;
    m_last = {orb.cpa + 8, 0, dstat, 0, 1};
    s.ctrl = SCSW_FCTL_START | SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY;
    s.cpa = m_last.cpa;
    s.count = 0;
    s.dstat = m_last.dstat;
    s.cstat = 0;
    auto sense = was_busy ? std::nullopt : std::exchange(faults.unit_check, std::nullopt);
    make_status_pending(sense);
    return 0;
  }
  m_device->start(path);
  m_last = run_channel_program(orb, path, mem, *m_device);
  if (faults.interrupt == InterruptFault::Lose) {
    // The device never ends it: active until HALT or CLEAR.
    s.ctrl = SCSW_FCTL_START | SCSW_ACTL_SCHACT | SCSW_ACTL_DEVACT;
    m_program_active = true;
    return 0;
  }
  s.ctrl = SCSW_FCTL_START | SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY;
  s.cpa = m_last.cpa;
  s.count = m_last.count;
  s.dstat = m_last.dstat;
  s.cstat = m_last.cstat;
  make_status_pending();
  return 0;
}

void MachineSubchannel::make_status_pending(const std::optional<std::array<uint8_t, 32>>& injected) {
  Scsw& s = m_schib.scsw;
  const uint8_t normal = DEV_STAT_CHN_END | DEV_STAT_DEV_END | DEV_STAT_STAT_MOD;
  if (s.cstat || (s.dstat & ~normal)) s.ctrl |= SCSW_STCTL_ALERT;
  s.ctrl |= SCSW_STCTL_STATUS_PEND;
  m_irb = {};
  m_irb.esw[1] = m_schib.pmcw.lpum;  // the subchannel logout's last path used
  // Concurrent sense: the device's sense bytes come with the unit check.
  if ((s.dstat & DEV_STAT_UNIT_CHECK) && m_schib.pmcw.csense && m_device) {
    auto sense = injected ? *injected : m_device->sense();
    std::copy(sense.begin(), sense.end(), m_irb.ecw.begin());
    s.flags |= SCSW_FLAGS_ESWF;
    m_irb.esw[4] = 0x04;                           // erw.cons
    m_irb.esw[5] = static_cast<uint8_t>(32 << 2);  // erw.scnt
  }
  m_interrupt_queued = true;
}

void MachineSubchannel::deliver() {
  if (!m_interrupt_queued || faults.interrupt == InterruptFault::Hold) return;
  m_interrupt_queued = false;
  if (on_interrupt) on_interrupt();
}

unsigned MachineSubchannel::tsch(Irb& irb) {
  if (!m_schib.pmcw.dnv || faults.not_operational) return 3;
  Scsw& s = m_schib.scsw;
  irb = m_irb;
  irb.scsw = s;
  if (!(s.ctrl & SCSW_STCTL_STATUS_PEND)) return 1;
  // The status is taken: a final one ends the functions, the PNO goes.
  s.ctrl &= static_cast<uint16_t>(~(FCTL | ACTL | STCTL));
  s.flags &= static_cast<uint16_t>(~(SCSW_FLAGS_PNO | SCSW_FLAGS_ESWF));
  m_irb = {};
  m_interrupt_queued = false;
  return 0;
}

unsigned MachineSubchannel::hsch() {
  Scsw& s = m_schib.scsw;
  if (!operational()) return 3;
  if ((s.ctrl & STCTL) == SCSW_STCTL_STATUS_PEND ||
      (s.ctrl & (SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY | SCSW_STCTL_ALERT)))
    return 1;
  if (s.ctrl & (SCSW_FCTL_HALT | SCSW_FCTL_CLEAR)) return 2;
  // The halt signal always gets through: an active program ends with
  // device end at the CCW it had reached; an idle device says device end.
  const bool active = s.ctrl & (SCSW_ACTL_SCHACT | SCSW_ACTL_DEVACT);
  s.ctrl = SCSW_FCTL_HALT;
  s.dstat = DEV_STAT_DEV_END;
  s.cstat = 0;
  // The CCW address and count say something only after an active program.
  s.cpa = active ? m_last.cpa : 0;
  if (!active) s.count = 0;
  m_program_active = false;
  make_status_pending();
  return 0;
}

unsigned MachineSubchannel::csch() {
  if (!operational()) return 3;
  Scsw& s = m_schib.scsw;
  // Whatever was going on or pending is gone; the clear signal ends it.
  s.ctrl = SCSW_FCTL_CLEAR;
  s.flags &= static_cast<uint16_t>(~(SCSW_FLAGS_PNO | SCSW_FLAGS_ESWF));
  s.dstat = s.cstat = 0;
  s.cpa = 0;
  s.count = 0;
  m_schib.pmcw.pom = 0xff;
  m_program_active = false;
  make_status_pending();
  return 0;
}

unsigned MachineSubchannel::stsch(Schib& out) const {
  out = m_schib;
  return 0;
}

unsigned modify_subchannel(Schib& s, const Schib& in) {
  if (s.scsw.ctrl & SCSW_STCTL_STATUS_PEND) return 1;
  if (s.scsw.ctrl & FCTL) return 2;
  Pmcw& p = s.pmcw;
  p.intparm = in.pmcw.intparm;
  p.isc = in.pmcw.isc & 7;
  p.ena = in.pmcw.ena;
  p.lm = in.pmcw.lm;
  p.mme = in.pmcw.mme;
  p.mp = in.pmcw.mp;
  p.lpm = in.pmcw.lpm;
  p.mbi = in.pmcw.mbi;
  p.pom = in.pmcw.pom;
  p.mbfc = in.pmcw.mbfc;
  p.csense = in.pmcw.csense;
  s.mba = in.mba;
  return 0;
}

unsigned MachineSubchannel::msch(const Schib& in) { return m_schib.pmcw.dnv ? modify_subchannel(m_schib, in) : 3; }

bool MachineSubchannel::lose_path(uint8_t path_mask) {
  m_schib.pmcw.pam &= static_cast<uint8_t>(~path_mask);
  if (!m_program_active || !(m_schib.pmcw.lpum & path_mask)) return false;
  // The program in flight ends with an interface-control check.
  Scsw& s = m_schib.scsw;
  m_program_active = false;
  s.ctrl = SCSW_FCTL_START | SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY;
  s.cpa = m_last.cpa;
  s.count = m_last.count;
  s.dstat = 0;
  s.cstat = SCHN_STAT_INTF_CTRL_CHK;
  make_status_pending();
  return true;
}

}  // namespace ccw
