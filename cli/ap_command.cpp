#include "cli/ap_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "apbus/ap_engine.h"
#include "base/hex.h"
#include "cli/system.h"

namespace mdevsim {
namespace {

using ap::ApQueueStatus;

bool parse_apqn(const std::string& s, unsigned& apid, unsigned& apqi) {
  char tail;
  return s.size() == 7 && std::sscanf(s.c_str(), "%2x.%4x%c", &apid, &apqi, &tail) == 2 && apid < 256 && apqi < 256;
}

bool parse_u64(const std::string& s, uint64_t& v) {
  int base = s.rfind("0x", 0) == 0 ? 16 : 10;
  const char* b = s.c_str() + (base == 16 ? 2 : 0);
  auto [p, ec] = std::from_chars(b, s.c_str() + s.size(), v, base);
  return ec == std::errc() && p == s.c_str() + s.size() && p != b;
}

std::string status_text(const ApQueueStatus& s) {
  return fmt::format("cc={} rc=0x{:02x} status=0x{:08x} E={} R={} F={} I={}", s.cc(), s.response_code, s.word(),
                     int{s.queue_empty}, int{s.replies_waiting}, int{s.queue_full}, int{s.irq_enabled});
}

std::string faults_text(const ap::QueueFaults& f) {
  return fmt::format("lost={} deconfigured={} checkstopped={} busy={} hold_reset={} reset_polls={} hold_irq={} fail={} stall={}",
                     int{f.lost}, int{f.deconfigured}, int{f.checkstopped}, int{f.busy}, int{f.hold_reset}, f.reset_polls,
                     int{f.hold_irq}, int{f.fail}, int{f.stall});
}

// key=0|1 or key=N into the faults; false for an unknown key or value.
bool set_fault(ap::QueueFaults& f, const std::string& kv) {
  if (kv == "clear") {
    f = {};
    return true;
  }
  auto eq = kv.find('=');
  uint64_t v;
  if (eq == std::string::npos || !parse_u64(kv.substr(eq + 1), v)) return false;
  std::string k = kv.substr(0, eq);
  if (k == "reset_polls" && v <= 1000) f.reset_polls = static_cast<int>(v);
  else if (v > 1) return false;
  else if (k == "lost") f.lost = v;
  else if (k == "deconfigured") f.deconfigured = v;
  else if (k == "checkstopped") f.checkstopped = v;
  else if (k == "busy") f.busy = v;
  else if (k == "hold_reset") f.hold_reset = v;
  else if (k == "hold_irq") f.hold_irq = v;
  else if (k == "fail") f.fail = v;
  else if (k == "stall") f.stall = v;
  else return false;
  return true;
}

class Request {
 public:
  Request(System& sys, const Mutate& mutate, const std::vector<std::string>& w) : m_sys(sys), m_mutate(mutate), m_w(w) {}

  bool run(std::string& out) {
    if (m_w.empty()) return fail(out, "ap: which instruction?");
    const std::string& verb = m_w[0];
    m_args.assign(m_w.begin() + 1, m_w.end());
    if (verb == "fault") return fault(out);
    if (!m_args.empty() && m_args[0][0] == '@') {
      m_guest = m_args[0].substr(1);
      m_args.erase(m_args.begin());
    }
    if (verb == "qci") return locked(out, [&] { return m_args.empty() ? qci(out) : usage(out); });
    if (verb == "dqap") return dqap(out);
    if (m_args.empty() || !parse_apqn(m_args[0], m_apid, m_apqi)) return fail(out, "ap " + verb + ": an APQN such as 05.0004 is needed");
    return locked(out, [&] {
      if (verb == "tapq" && m_args.size() == 1) {
        auto r = m_sys.ap_bus().engine().tapq(m_view, m_apid, m_apqi);
        out = status_text(r.status) + fmt::format(" hwinfo=0x{:016x}", r.hwinfo);
        return true;
      }
      if ((verb == "rapq" || verb == "zapq") && m_args.size() == 1) {
        auto& e = m_sys.ap_bus().engine();
        out = status_text(verb == "rapq" ? e.rapq(m_view, m_apid, m_apqi) : e.zapq(m_view, m_apid, m_apqi));
        return true;
      }
      if (verb == "aqic") return aqic(out);
      if (verb == "qact") return qact(out);
      if (verb == "nqap") return nqap(out);
      return usage(out);
    });
  }

 private:
  bool fail(std::string& out, std::string msg) {
    out = std::move(msg);
    return false;
  }
  bool usage(std::string& out) { return fail(out, "ap " + m_w[0] + ": bad arguments (see mdevsim ap --help)"); }

  // Resolves who executes (host or guest) and runs `f` under the exclusive lock.
  template <typename F>
  bool locked(std::string& out, F&& f) {
    return m_mutate([&] {
      if (!m_guest.empty()) {
        qemu::Guest* g = m_sys.guests().find(m_guest);
        if (!g) return fail(out, "no guest " + m_guest);
        m_kvm = &g->kvm;
        m_view = m_kvm->crycb;
      } else {
        m_view = m_sys.ap_bus().engine().host_view();
      }
      return f();
    });
  }

  bool qci(std::string& out) {
    auto b = m_sys.ap_bus().engine().qci(m_view);
    out = "qci=" + base::to_hex(b);
    return true;
  }

  bool qact(std::string& out) {
    uint64_t cat;
    if (m_args.size() != 2 || !parse_u64(m_args[1], cat) || cat > 255) return usage(out);
    if (!m_sys.ap_bus().host().qci.qact) return fail(out, "ap qact: no QACT facility: specification exception");
    auto r = m_sys.ap_bus().engine().qact(m_view, m_apid, m_apqi, static_cast<unsigned>(cat));
    out = status_text(r.status) + fmt::format(" info=0x{:016x}", r.info);
    return true;
  }

  bool aqic(std::string& out) {
    uint64_t nib = 0;
    bool on = m_args.size() == 3 && m_args[1] == "on" && parse_u64(m_args[2], nib);
    if (!on && !(m_args.size() == 2 && m_args[1] == "off")) return usage(out);
    ApQueueStatus s = m_kvm ? m_kvm->handle_pqap_aqic(m_apid, m_apqi, on, nib)
                            : m_sys.ap_bus().engine().aqic(m_view, m_apid, m_apqi, on, nib);
    out = status_text(s);
    return true;
  }

  // The host's requests go through its queue driver (counted in sysfs); a
  // guest's straight to the adapter.
  bool nqap(std::string& out) {
    uint64_t psmid;
    bool special = m_args.size() == 4 && m_args[3] == "special";
    std::optional<std::vector<uint8_t>> hex_msg;
    if ((m_args.size() != 3 && !special) || !parse_u64(m_args[1], psmid) || !(hex_msg = base::from_hex(m_args[2])))
      return usage(out);
    const std::vector<uint8_t>& msg = *hex_msg;
    if (msg.empty()) return fail(out, "ap nqap: an empty message: specification exception");
    if (m_kvm) {
      out = status_text(m_sys.ap_bus().engine().nqap(m_view, m_apid, m_apqi, psmid, msg, special));
      return true;
    }
    ap::ApQueue* q = m_sys.ap_bus().queue(m_apid, m_apqi);
    if (!q) {  // not a device: the hardware answers anyway
      out = status_text(m_sys.ap_bus().engine().nqap(m_view, m_apid, m_apqi, psmid, msg, special));
      return true;
    }
    auto r = m_sys.ap_bus().host_nqap(*q, psmid, msg, special);
    if (!r) return not_owned(out, *q);
    out = status_text(*r);
    return true;
  }

  bool not_owned(std::string& out, const ap::ApQueue& q) {
    if (q.driver && q.ap_driver()->is_default())
      return fail(out, fmt::format("{} is {}: its driver sends it no requests", q.name,
                                   q.chkstop ? "checkstopped" : !q.config ? "deconfigured" : "in the error state"));
    return fail(out, fmt::format("{} is {}: the host sends requests only through queues its default drivers run", q.name,
                                 q.driver ? "bound to " + q.driver->name() : "not bound"));
  }

  bool dqap(std::string& out) {
    uint64_t len, wait_ms = 0;
    if ((m_args.size() != 2 && m_args.size() != 3) || !parse_apqn(m_args[0], m_apid, m_apqi) || !parse_u64(m_args[1], len) ||
        len == 0 || len > (1u << 20) || (m_args.size() == 3 && !parse_u64(m_args[2], wait_ms)))
      return usage(out);
    // Waiting for the reply is the interrupt: no lock is held meanwhile.
    if (wait_ms) m_sys.ap_bus().engine().wait_reply(m_apid, m_apqi, std::chrono::milliseconds(std::min<uint64_t>(wait_ms, 10000)));
    std::vector<uint8_t> buf(len);
    return locked(out, [&] {
      ap::ApEngine::DqapResult r;
      ap::ApQueue* q = m_kvm ? nullptr : m_sys.ap_bus().queue(m_apid, m_apqi);
      if (q) {
        auto h = m_sys.ap_bus().host_dqap(*q, buf);
        if (!h) return not_owned(out, *q);
        r = *h;
      } else {
        r = m_sys.ap_bus().engine().dqap(m_view, m_apid, m_apqi, buf);
      }
      out = status_text(r.status) + fmt::format(" psmid=0x{:016x} length={} residual={} data={}", r.psmid, r.length,
                                                r.residual, base::to_hex(std::span(buf).first(r.length)));
      return true;
    });
  }

  bool fault(std::string& out) {
    if (m_args.empty()) return usage(out);
    const std::string dev = m_args[0];
    return m_mutate([&] {
      auto& bus = m_sys.ap_bus();
      unsigned apid;
      char tail;
      if (dev.size() == 6 && std::sscanf(dev.c_str(), "card%2x%c", &apid, &tail) == 1) {
        auto it = std::find_if(bus.host().cards.begin(), bus.host().cards.end(), [&](auto& c) { return c.id == apid; });
        if (it == bus.host().cards.end()) return fail(out, "ap fault: the host has no adapter " + dev);
        bool config = it->config, chkstop = it->chkstop;
        for (size_t i = 1; i < m_args.size(); ++i) {
          if (m_args[i] == "config=0" || m_args[i] == "config=1") config = m_args[i].back() == '1';
          else if (m_args[i] == "chkstop=0" || m_args[i] == "chkstop=1") chkstop = m_args[i].back() == '1';
          else return fail(out, "ap fault: unknown card fault " + m_args[i]);
        }
        bus.set_card_state(apid, config, chkstop);
        bus.scan();  // as the next AP bus scan would notice
        out = fmt::format("{} config={} chkstop={}", dev, int{config}, int{chkstop});
        return true;
      }
      unsigned apqi;
      if (!parse_apqn(dev, apid, apqi)) return fail(out, "ap fault: a card (card05) or an APQN (05.0004) is needed");
      ap::QueueFaults f = bus.engine().faults(apid, apqi);
      for (size_t i = 1; i < m_args.size(); ++i)
        if (!set_fault(f, m_args[i])) return fail(out, "ap fault: unknown queue fault " + m_args[i]);
      bus.engine().set_faults(apid, apqi, f);
      // A lost queue keeps its device until the next scan (a write to
      // bus/ap/scans, say): the window in which its TAPQ answers 01.
      if (!f.lost) bus.scan();
      out = dev + " " + faults_text(f);
      return true;
    });
  }

  System& m_sys;
  const Mutate& m_mutate;
  const std::vector<std::string>& m_w;
  std::vector<std::string> m_args;
  std::string m_guest;
  const kvm::Kvm* m_kvm = nullptr;
  ap::ApView m_view;
  unsigned m_apid = 0, m_apqi = 0;
};

}  // namespace

bool ap_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out) {
  return Request(sys, mutate, words).run(out);
}

}  // namespace mdevsim
