#include "cli/snapshot.h"

#include <fmt/format.h>

#include "apbus/msgtype6.h"
#include "cli/system.h"

namespace mdevsim {

namespace {

migration::Masks masks(const vfio_ap::ApMatrix& m) { return {m.apm, m.aqm, m.adm}; }

// The CURrent master keys a CCA coprocessor reports for the domain (FQ);
// the host's sysfs shows them only while cex4queue drives the queue, the
// adapter answers whatever the driver.
std::optional<migration::QueueSnapshot::MasterKeys> current_mkvps(const ap::ApQueue& q) {
  if (q.card->cfg.mode != ap::CardMode::CCA) return std::nullopt;
  auto mk = ap::cca_master_keys(q.card->cfg, q.apqi);
  if (!mk) return std::nullopt;
  migration::QueueSnapshot::MasterKeys out;
  for (int k : {ap::CcaMasterKeys::AES, ap::CcaMasterKeys::APKA, ap::CcaMasterKeys::ASYM}) {
    const auto& r = mk->reg[k][ap::CcaMasterKeys::CUR];
    if (r.state != '2') return std::nullopt;  // no valid current key
    std::copy(r.mkvp.begin(), r.mkvp.end(), out.reg[k].begin());
  }
  return out;
}

}  // namespace

migration::HostSnapshot take_snapshot(System& sys, const std::string& name) {
  ap::ApBus& bus = sys.ap_bus();
  vfio_ap::MatrixDev& md = sys.matrix_dev();
  migration::HostSnapshot s;
  s.host = name;
  s.migratable = bus.host().vfio_ap_migration;
  s.apmask = bus.apmask();
  s.aqmask = bus.aqmask();
  s.config = {bus.qci_apm(), bus.qci_aqm(), bus.qci_adm()};
  bus.for_each_queue([&](const ap::ApQueue& q) {
    auto t = bus.engine().tapq(bus.engine().host_view(), q.apid(), q.apqi);
    migration::QueueSnapshot qs{static_cast<uint16_t>(q.qid()), q.driver ? q.driver->name() : "",
                                {t.status.response_code, t.status.async, t.hwinfo}, {}};
    if (t.status.response_code == ap::AP_RESPONSE_NORMAL) qs.mkvps = current_mkvps(q);
    s.queues.push_back(std::move(qs));
  });
  for (const vfio_ap::MatrixMdev& m : md.mdevs())  // newest first, as vfio_ap compares them
    s.mdevs.push_back({m.uuid(), masks(m.matrix), masks(m.shadow_apcb), m.kvm() ? m.kvm()->name : ""});
  for (auto& [gname, g] : sys.guests().all()) {
    migration::GuestSnapshot gs{gname, g->ap ? g->ap->mdev->uuid : ""};
    for (auto& d : g->ccw)
      if (d.mdev) gs.vfio_ccw.push_back(fmt::format("{:02x}.{:x}.{:04x}", d.dev_id.cssid, d.dev_id.ssid, d.dev_id.devid));
    s.guests.push_back(std::move(gs));
  }
  s.index();
  return s;
}

}  // namespace mdevsim
