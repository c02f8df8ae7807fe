#include "migration/offline_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "apbus/ap_hwinfo.h"
#include "base/hex.h"
#include "migration/virsh_messages.h"

namespace migration {
namespace {

using ap::ApHwinfo;
using base::Bitmap256;

constexpr size_t RATELIMIT_BURST = 10;  // pr_err_ratelimited: per call site

std::string apqn_text(unsigned apid, unsigned apqi) { return fmt::format("{:02x}.{:04x}", apid, apqi); }

// The kernel lines as a fresh ratelimit lets them out: the first ten of
// each call site.
std::vector<std::string> printed(const std::vector<LogLine>& log) {
  std::map<std::string, size_t> per_site;
  std::vector<std::string> out;
  for (const LogLine& l : log)
    if (++per_site[std::string(l.func) + "/" + l.site] <= RATELIMIT_BURST) out.push_back(l.text);
  return out;
}

const char* mode_name(const ApHwinfo& h) {
  return h.has(ApHwinfo::CCA) ? "CCA-mode" : h.has(ApHwinfo::ACCEL) ? "Accelerator-mode" : h.has(ApHwinfo::EP11) ? "XCP-mode (EP11)" : "no mode";
}

// The seed's hardware-capability table, row by row, for one queue.
std::vector<std::string> capability_differences(uint64_t src, uint64_t dst) {
  const ApHwinfo s{src}, t{dst};
  std::vector<std::string> out;
  auto equal = [&](uint64_t bit, const char* name, const char* have) {
    if (s.has(bit) == t.has(bit)) return;
    const char *with = s.has(bit) ? "source" : "destination", *without = s.has(bit) ? "destination" : "source";
    out.push_back(fmt::format("{} {} on the {}, not on the {}", name, have, with, without));
  };
  equal(ApHwinfo::APSC, "AP special command facility (APSC)", "installed");
  equal(ApHwinfo::MEX4K, "AP 4096-bit ME PKU commands facility (AP4KM)", "installed");
  equal(ApHwinfo::CRT4K, "AP 4096-bit CRT PKU commands (AP4KC)", "installed");
  constexpr uint64_t modes = ApHwinfo::CCA | ApHwinfo::ACCEL | ApHwinfo::EP11;
  if ((src & modes) != (dst & modes)) out.push_back(fmt::format("mode: {} on the source, {} on the destination", mode_name(s), mode_name(t)));
  equal(ApHwinfo::APXA, "AP extended addressing (APXA)", "installed");
  equal(ApHwinfo::SLCF, "command filtering", "available");
  if (s.has(ApHwinfo::CLASS_FULL) && !t.has(ApHwinfo::CLASS_FULL))
    out.push_back("functional capabilities: full native card function on the source, only stateless functions on the destination");
  if (s.at() > t.at())
    out.push_back(fmt::format("AP type {} (0x{:02x}) on the source, older {} (0x{:02x}) on the destination", s.at(), s.at(), t.at(), t.at()));
  if (s.bs() || t.bs()) out.push_back(fmt::format("binding state {:02b} on the source and {:02b} on the destination, must be 00", s.bs(), t.bs()));
  return out;
}

// The CURrent master keys of a CCA queue on both sides.
std::vector<std::string> master_key_differences(const QueueSnapshot& s, const QueueSnapshot* t) {
  using MK = QueueSnapshot::MasterKeys;
  std::vector<std::string> out;
  if (!s.mkvps || (t && t->mkvps == s.mkvps)) return out;
  const std::string q = apqn_text(s.apid(), s.apqi());
  if (!t || !t->mkvps) {
    out.push_back(q + ": the destination's master keys are unknown (not a CCA coprocessor, or it could not be asked)");
    return out;
  }
  auto text = [](const MK& m, int r) { return "0x" + base::to_hex(std::span(m.reg[r]).first(MK::size(r))); };
  for (int r = 0; r < 3; ++r)
    if (s.mkvps->reg[r] != t->mkvps->reg[r])
      out.push_back(fmt::format("{}: {} master key verification pattern {} on the source, {} on the destination", q, MK::NAMES[r],
                                text(*s.mkvps, r), text(*t->mkvps, r)));
  return out;
}

Verdict verdict(const char* topic, std::string rule, std::vector<std::string> details, Verdict::Kind bad = Verdict::FAIL) {
  Verdict::Kind kind = details.empty() ? Verdict::PASS : bad;
  return {kind, topic, std::move(rule), std::move(details)};
}

}  // namespace

int CheckReport::count(Verdict::Kind k) const {
  return static_cast<int>(std::count_if(verdicts.begin(), verdicts.end(), [&](const Verdict& v) { return v.kind == k; }));
}

int CheckReport::rank_class() const {
  if (migrates) return count(Verdict::WARN) ? 1 : 0;
  // What an administrator sets up on the destination: the mdev, vfio_ap
  // bindings, other mdevs' assignments; everything else is the hardware or
  // the LPAR.
  static const std::string setup[] = {"mediated device", "vfio_ap bindings", "assignments"};
  for (const Verdict& v : verdicts)
    if (v.kind == Verdict::FAIL && std::find(std::begin(setup), std::end(setup), v.topic) == std::end(setup)) return 3;
  return 2;
}

base::Result<CheckReport> check_migration(const HostSnapshot& src, const std::string& guest, const std::string& uuid,
                                          const HostSnapshot& dst, std::string& error) {
  CheckReport r;
  r.from = src.host;
  r.to = dst.host;
  const MdevSnapshot* sm = nullptr;
  if (!guest.empty()) {
    const GuestSnapshot* g = src.guest(guest);
    if (g && g->mdev.empty() && !g->vfio_ccw.empty()) {
      error = fmt::format("guest {} cannot be migrated: {}", guest, virsh::vfio_ccw_not_migratable(g->vfio_ccw.front()));
      return base::Errno{ENOENT};
    }
    if (!g || g->mdev.empty()) {
      error = g ? fmt::format("guest {} has no vfio-ap device on {}", guest, src.host) : fmt::format("no guest {} on {}", guest, src.host);
      return base::Errno{ENOENT};
    }
    sm = src.mdev(g->mdev);
    r.guest = guest;
  } else {
    sm = src.mdev(uuid);
    if (!sm) {
      error = fmt::format("no mediated device {} on {}", uuid, src.host);
      return base::Errno{ENOENT};
    }
    r.guest = sm->guest;
  }
  r.uuid = sm->uuid;
  const std::string& U = r.uuid;

  // The source's STOP_COPY data: every APQN of the guest's view with its
  // TAPQ word (vfio_ap_get_config(), which stops at the first failure).
  ApConfig c;
  c.adm = sm->guest_matrix.adm;
  std::vector<LogLine> source_lines;
  std::vector<std::string> source_problems;
  int source_err = 0;
  sm->guest_matrix.apm.for_each([&](unsigned apid) {
    sm->guest_matrix.aqm.for_each([&](unsigned apqi) {
      const QueueSnapshot* q = src.queue(apid, apqi);
      TargetHost::Tapq t = q ? q->tapq : TargetHost::Tapq{0x01, false, 0};
      std::vector<LogLine> lines;
      if (int e = hardware_info(U, apid, apqi, t, lines)) {
        source_problems.push_back(fmt::format("{}: TAPQ rc={} on the source", apqn_text(apid, apqi), t.rc));
        if (!source_err) source_lines = lines;
        source_err = source_err ? source_err : e;
      }
      c.queues.push_back({t.hwinfo, static_cast<uint16_t>(apid << 8 | apqi)});
    });
  });

  // Each rule on its own, so that every problem shows at once.
  const MdevSnapshot* dm = dst.mdev(U);
  const GuestSnapshot* active = r.guest.empty() ? nullptr : dst.guest(r.guest);
  std::vector<std::string> d;
  if (!src.migratable) d.push_back(src.host + ": vfio_ap without the live-migration series");
  if (!dst.migratable) d.push_back(dst.host + ": vfio_ap without the live-migration series");
  r.verdicts.push_back(verdict("migration support", "vfio_ap on both hosts supports live guest migration (matrix features: migratable)", d));
  d.clear();
  if (const GuestSnapshot* g = r.guest.empty() ? nullptr : src.guest(r.guest))
    for (const std::string& c : g->vfio_ccw) d.push_back(virsh::vfio_ccw_not_migratable(c));
  if (!d.empty()) r.verdicts.push_back(verdict("vfio-ccw", "The guest has no vfio-ccw device (vfio_ccw cannot migrate)", d));
  d.clear();
  if (!dm) d.push_back(fmt::format("no mediated device {} on {}", U, dst.host));
  else if (!dm->guest.empty()) d.push_back(fmt::format("{} is in use by guest {}", U, dm->guest));
  if (active) d.push_back(fmt::format("a guest named {} is already running on {}", r.guest, dst.host));
  r.verdicts.push_back(verdict("mediated device", "The destination host has a free mediated device with the same name (UUID) as the source's", d));
  r.verdicts.push_back(verdict("source queues", "The hardware information of each queue can be read on the source host", source_problems));

  SnapshotHost target(dst);
  d.clear();
  bool not_installed = false;  // hardware, not set-up, is missing then
  for (const QueueInfo& qi : c.queues) {
    const QueueSnapshot* q = dst.queue(qi.apid(), qi.apqi());
    if (!q) {
      not_installed = true;
      d.push_back(apqn_text(qi.apid(), qi.apqi()) + ": no queue device on the destination host");
    } else if (!dst.vfio_ap(qi.apid(), qi.apqi())) {
      d.push_back(apqn_text(qi.apid(), qi.apqi()) + ": bound to " + (q->driver.empty() ? "no driver" : q->driver));
    }
  }
  r.verdicts.push_back(verdict(not_installed ? "queue devices" : "vfio_ap bindings",
                               "Each APQN in the guest's guest_matrix references a queue device bound to the vfio_ap driver on the destination host", d));
  d.clear();
  c.adm.for_each([&](unsigned dom) {
    if (!dst.config.adm.test(dom)) d.push_back(fmt::format("{:04x}: not set on the destination host", dom));
  });
  r.verdicts.push_back(verdict("control domains", "Each domain in the guest's control_domains is set in the destination host's ap_control_domain_mask", d));
  d.clear();
  std::vector<std::string> caps, keys;
  for (const QueueInfo& qi : c.queues) {
    const QueueSnapshot* q = dst.queue(qi.apid(), qi.apqi());
    if (!q) continue;
    std::vector<LogLine> ignored;
    if (hardware_info(U, qi.apid(), qi.apqi(), q->tapq, ignored)) {
      d.push_back(fmt::format("{}: TAPQ rc={} on the destination", apqn_text(qi.apid(), qi.apqi()), q->tapq.rc));
      continue;
    }
    if (const QueueSnapshot* s = src.queue(qi.apid(), qi.apqi())) {
      auto k = master_key_differences(*s, q);
      keys.insert(keys.end(), k.begin(), k.end());
    }
    if (hwinfo_compatible(qi.data, q->tapq.hwinfo)) continue;
    for (auto& diff : capability_differences(qi.data, q->tapq.hwinfo)) caps.push_back(apqn_text(qi.apid(), qi.apqi()) + ": " + diff);
  }
  r.verdicts.push_back(verdict("hardware information", "The hardware information of each queue can be read on the destination host (TAPQ)", d));
  r.verdicts.push_back(verdict("hardware capabilities",
                               "Each APQN references a queue device with compatible hardware capabilities on both hosts (facilities, mode, "
                               "APXA and command filtering equal; stateless functions may move to full native card function; AP type equal "
                               "or newer; binding state 00)",
                               caps));

  // ap_config's validation of the new matrix (adapters x domains of the
  // queues): no APQN may be assigned to another mdev; the first one sharing
  // (in vfio_ap's order) is named per APQN. Queues bound to vfio_ap are
  // reserved for it, so EADDRNOTAVAIL cannot follow the checks above.
  Masks next;
  for (const QueueInfo& qi : c.queues) {
    next.apm.set(qi.apid());
    next.aqm.set(qi.apqi());
  }
  std::vector<LogLine> sharing;
  std::string sharer;  // the first other mdev that shares
  d.clear();
  for (const MdevSnapshot& o : dst.mdevs) {
    if (o.uuid == U) continue;
    Bitmap256 apm = next.apm & o.matrix.apm, aqm = next.aqm & o.matrix.aqm;
    apm.for_each([&](unsigned apid) {
      aqm.for_each([&](unsigned apqi) {
        d.push_back(fmt::format("{}: assigned to {}", apqn_text(apid, apqi), o.uuid));
        if (sharer.empty()) sharer = o.uuid;
        if (sharer == o.uuid)
          sharing.push_back({"vfio_ap_mdev_validate_masks", "",
                             fmt::format("vfio_ap_mdev {}: Userspace may not assign queue {} to mdev: already assigned to {}", U,
                                         apqn_text(apid, apqi), o.uuid)});
      });
    });
  }
  r.verdicts.push_back(verdict("assignments", "No APQN of the guest is assigned to a mediated device other than the one being migrated", d));
  r.verdicts.push_back(verdict("master keys",
                               "The CCA master keys of the source and destination AP devices are synchronized (the administrator's duty)",
                               keys, Verdict::WARN));

  // The outcome, in the live order: libvirt's prepare on the destination,
  // the source's STOP_COPY, the destination's checks, then ap_config.
  if (!dm) r.console = virsh::mdev_missing(U);
  else if (active) r.console = virsh::domain_active(r.guest);
  else if (!dm->guest.empty()) r.console = virsh::mdev_in_use(U, dm->guest);
  else if (!dst.migratable) r.console = virsh::migration_in_failed(ENOTTY);
  else if (!src.migratable) r.console = virsh::migration_out_failed(ENOTTY);
  else if (source_err) {
    r.source_log = printed(source_lines);
    r.console = virsh::migration_out_failed(source_err);
  } else {
    std::vector<LogLine> lines;
    int err = post_copy_validation(U, c, target, lines);
    r.destination_log = printed(lines);
    if (!err && !sharing.empty()) {  // dev_warn(): not ratelimited
      err = EADDRINUSE;
      for (const LogLine& l : sharing) r.destination_log.push_back(l.text);
    }
    if (err) r.console = virsh::load_failed(err, lines);
    r.migrates = !err;
  }
  return r;
}

std::string format_report(const CheckReport& r) {
  std::string out = fmt::format("Migration of {} (mdev {}) from {} to {}\n\n", r.guest.empty() ? "the guest" : "guest " + r.guest, r.uuid,
                                r.from, r.to);
  static const char* const mark[] = {"ok  ", "FAIL", "warn"};
  for (const Verdict& v : r.verdicts) {
    out += fmt::format("{}  {}\n", mark[v.kind], v.rule);
    for (const std::string& d : v.details) out += fmt::format("        {}\n", d);
  }
  out += fmt::format("\nOutcome: {}\n", r.migrates ? r.count(Verdict::WARN) ? "the migration succeeds, with warnings" : "the migration succeeds"
                                                   : "the migration fails; both hosts stay unchanged and the guest runs on");
  auto section = [&](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out += fmt::format("{}:\n", title);
    for (const std::string& l : lines) out += "  " + l + "\n";
  };
  section("Source kernel log", r.source_log);
  section("Destination kernel log", r.destination_log);
  if (!r.console.empty()) section("Source console", {r.console});
  return out;
}

std::string format_ranking(const std::vector<CheckReport>& reports, const std::vector<std::string>& names) {
  std::vector<size_t> order(reports.size());
  std::iota(order.begin(), order.end(), 0);
  auto problems = [&](const CheckReport& r) {
    size_t n = 0;
    for (const Verdict& v : r.verdicts) n += v.details.size();
    return n;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const CheckReport &x = reports[a], &y = reports[b];
    if (x.rank_class() != y.rank_class()) return x.rank_class() < y.rank_class();
    return problems(x) < problems(y);
  });
  static const char* const classes[] = {"migrates", "migrates; warnings", "needs set-up", "incompatible"};
  std::string out;
  if (!reports.empty())
    out = fmt::format("Destinations for {} (mdev {}) from {}, best first:\n",
                      reports[0].guest.empty() ? "the guest" : "guest " + reports[0].guest, reports[0].uuid, reports[0].from);
  size_t rank = 0;
  for (size_t i : order) {
    const CheckReport& r = reports[i];
    std::string why;
    for (const Verdict& v : r.verdicts)
      if (v.kind != Verdict::PASS) why += fmt::format("{}{} ({})", why.empty() ? "" : "; ", v.topic, v.details.size());
    out += fmt::format("{:2}  {} ({}): {}{}\n", ++rank, names[i], r.to, classes[r.rank_class()], why.empty() ? "" : ": " + why);
  }
  return out;
}

}  // namespace migration
