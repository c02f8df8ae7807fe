#include "guest/ccw_io.h"

#include <algorithm>

namespace guest {

unsigned CcwIo::enable(bool multipath) {
  ccw::Schib s;
  m_guests.stsch(m_guest, m_dev, s);
  s.pmcw.isc = 3;
  s.pmcw.ena = true;
  s.pmcw.csense = true;
  s.pmcw.mp = multipath;
  s.pmcw.intparm = m_dev.subch_id.devid;
  return m_guests.msch(m_guest, m_dev, s);
}

std::optional<ccw::Irb> CcwIo::run(std::span<const ccw::Ccw1> ccws, uint8_t lpm, unsigned& cc) {
  for (size_t i = 0; i < ccws.size(); ++i) memory().write(CCW_AREA + 8 * i, ccw::encode(ccws[i]));
  ccw::Orb orb;
  orb.intparm = m_dev.subch_id.devid;
  orb.fmt = true;
  orb.pfch = true;
  orb.c64 = true;
  orb.lpm = lpm;
  orb.cpa = CCW_AREA;
  cc = m_guests.ssch(m_guest, m_dev, orb);
  if (cc) return std::nullopt;
  // The interrupt for this subchannel, if it came; then TSCH.
  auto& pending = m_guest.io_interrupts;
  if (std::find(pending.begin(), pending.end(), m_dev.subch_id) == pending.end()) return std::nullopt;
  ccw::Irb irb;
  if (m_guests.tsch(m_guest, m_dev, irb) != 0) return std::nullopt;
  return irb;
}

bool io_done(const ccw::Irb& irb) {
  return irb.scsw.dstat == (ccw::DEV_STAT_CHN_END | ccw::DEV_STAT_DEV_END) && irb.scsw.cstat == 0;
}

}  // namespace guest
