#include "apbus/ap_engine.h"

#include <algorithm>
#include <cstring>

#include "apbus/msgtype50.h"

namespace ap {

ApEngine::ApEngine(const HostConfig& host, Handler handler, TargetDomain target, unsigned workers)
    : m_host_view{host.adapters(), host.usage_domains, host.control_domains},
      m_max_adapter_id(host.max_adapter_id),
      m_max_domain_id(host.max_domain_id),
      m_qci(host.qci),
      m_handler(std::move(handler)),
      m_target(std::move(target)) {
  for (auto& c : host.cards) m_cards[c.id].emplace(Card{c, c.config, c.chkstop});
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < workers; ++i) m_workers.emplace_back([this] { work(); });
}

ApEngine::~ApEngine() {
  {
    std::lock_guard lk(m_mu);
    m_stop = true;
  }
  m_work_cv.notify_all();
  for (auto& t : m_workers) t.join();
}

namespace {
// A new request is left this long to a thread that waits for its reply and
// works it off itself (wait_reply()); one still untaken then goes to a
// worker. While requests keep coming, one worker looks every GRACE, so that
// NQAP need not wake one (a wake-up per request costs a busy machine more
// than the thread it wakes).
constexpr auto GRACE = std::chrono::milliseconds(1);
constexpr auto KEEP_LOOKING = std::chrono::milliseconds(50);
}  // namespace

// The adapter's processors: one request at a time each.
void ApEngine::work() {
  std::unique_lock lk(m_mu);
  while (!m_stop) {
    auto now = std::chrono::steady_clock::now();
    if (!m_work.empty() && now - m_work.front().queued >= GRACE) {
      if (m_work.size() > 1) m_work_cv.notify_one();  // more for the others
      work_one(lk, m_work.begin());
    } else if (m_ticking || now - m_last_nqap > KEEP_LOOKING) {
      m_work_cv.wait(lk);
    } else {
      m_ticking = true;
      m_work_cv.wait_until(lk, (m_work.empty() ? now : m_work.front().queued) + GRACE);
      m_ticking = false;
    }
  }
}

// Works off one request outside the lock; its reply goes to its queue
// unless a reset came in between.
void ApEngine::work_one(std::unique_lock<std::mutex>& lk, std::deque<Work>::iterator it) {
  Work w = std::move(*it);
  m_work.erase(it);
  const Card& card = *m_cards[w.key >> 8];
  bool fail = hw(w.key >> 8, w.key & 0xff).faults.fail;
  lk.unlock();
  std::vector<uint8_t> reply = fail ? type82_error(REP82_ERROR_MACHINE_FAILURE) : m_handler(card.cfg, w.key & 0xff, w.msg);
  lk.lock();
  HwQueue& q = hw(w.key >> 8, w.key & 0xff);
  if (q.epoch != w.epoch) return;  // reset meanwhile: the work is lost
  --q.in_flight;
  q.replies.push_back({w.psmid, std::move(reply), 0});
  m_reply_cv.notify_all();
}

// The response code an instruction gets before it looks at the queue, in
// the order the hardware reports them: an APQN outside the view (no queue
// then), a checkstopped or deconfigured adapter or queue, a busy queue, a
// reset still running.
ApEngine::Target ApEngine::address(const ApView& v, unsigned apid, unsigned apqi) {
  if (apid > m_max_adapter_id || apqi > m_max_domain_id || !v.apm.test(apid) || !v.aqm.test(apqi) || !m_cards[apid])
    return {AP_RESPONSE_Q_NOT_AVAIL};
  const Card& c = *m_cards[apid];
  HwQueue& q = hw(apid, apqi);
  if (q.faults.lost) return {AP_RESPONSE_Q_NOT_AVAIL};
  Target t{AP_RESPONSE_NORMAL, &q, &c};
  if (c.chkstop || q.faults.checkstopped) t.rc = AP_RESPONSE_CHECKSTOPPED;
  else if (!c.config || q.faults.deconfigured) t.rc = AP_RESPONSE_DECONFIGURED;
  else if (q.faults.busy) t.rc = AP_RESPONSE_BUSY;
  else if (q.reset_left > 0 || q.faults.hold_reset) t.rc = AP_RESPONSE_RESET_IN_PROGRESS;
  return t;
}

ApQueueStatus ApEngine::status(const Target& t, uint8_t rc) {
  return t.q ? status_of(*t.c, *t.q, rc) : ApQueueStatus{.response_code = rc};
}

ApQueueStatus ApEngine::status_of(const Card& c, HwQueue& q, uint8_t rc) {
  ApQueueStatus s;
  s.response_code = rc;
  s.queue_empty = q.count() == 0;
  s.replies_waiting = !q.replies.empty();
  s.queue_full = q.count() >= c.cfg.hwinfo.qd() + 1u;
  s.irq_enabled = q.irq_enabled;
  return s;
}

size_t ApEngine::outstanding(unsigned apid, unsigned apqi) {
  std::lock_guard lk(m_mu);
  return hw(apid, apqi).count();
}

ApEngine::TapqResult ApEngine::tapq(const ApView& v, unsigned apid, unsigned apqi) {
  std::lock_guard lk(m_mu);
  Target t = address(v, apid, apqi);
  if (!t.q) return {status(t, t.rc), 0};
  HwQueue& q = *t.q;
  uint8_t rc = t.rc;
  // Asynchronous completions are observed by the next TAPQ.
  if (rc == AP_RESPONSE_RESET_IN_PROGRESS && !q.faults.hold_reset && --q.reset_left == 0) rc = AP_RESPONSE_NORMAL;
  if (q.irq_pending && rc == AP_RESPONSE_NORMAL && !q.faults.hold_irq) {
    q.irq_pending = false;
    q.irq_enabled = true;
  }
  return {status(t, rc), t.c->cfg.hwinfo.value};
}

ApQueueStatus ApEngine::reset(const ApView& v, unsigned apid, unsigned apqi) {
  std::lock_guard lk(m_mu);
  Target t = address(v, apid, apqi);
  if (t.rc != AP_RESPONSE_NORMAL && t.rc != AP_RESPONSE_RESET_IN_PROGRESS) return status(t, t.rc);
  HwQueue& q = *t.q;
  uint8_t rc = t.rc;
  q.replies.clear();
  q.stalled.clear();
  q.in_flight = 0;
  ++q.epoch;
  q.irq_enabled = q.irq_pending = false;
  q.reset_left = std::max(0, q.faults.reset_polls);
  return status(t, rc);
}

ApQueueStatus ApEngine::aqic(const ApView& v, unsigned apid, unsigned apqi, bool enable, uint64_t nib) {
  std::lock_guard lk(m_mu);
  Target t = address(v, apid, apqi);
  if (t.rc != AP_RESPONSE_NORMAL) return status(t, t.rc);
  HwQueue& q = *t.q;
  const Card& c = *t.c;
  if (enable) {
    if (nib == 0 || nib == ~uint64_t{0}) return status_of(c, q, AP_RESPONSE_INVALID_ADDRESS);
    if (q.irq_enabled || q.irq_pending) return status_of(c, q, AP_RESPONSE_OTHERWISE_CHANGED);
    q.irq_pending = true;
  } else {
    if (!q.irq_enabled && !q.irq_pending) return status_of(c, q, AP_RESPONSE_OTHERWISE_CHANGED);
    q.irq_enabled = q.irq_pending = false;
  }
  return status_of(c, q, AP_RESPONSE_NORMAL);
}

std::array<uint8_t, 128> ApEngine::qci(const ApView& v) const {
  std::array<uint8_t, 128> b{};
  b[0] = static_cast<uint8_t>((m_qci.apsc ? 0x80 : 0) | (m_qci.apxa ? 0x40 : 0) | (m_qci.qact ? 0x20 : 0) |
                              (m_qci.rc8a ? 0x10 : 0));
  b[1] = m_qci.apsb ? 0x80 : 0;
  b[4] = static_cast<uint8_t>(m_max_adapter_id);
  b[5] = static_cast<uint8_t>(m_max_domain_id);
  auto put = [&](size_t off, const base::Bitmap256& m) {
    for (unsigned w = 0; w < 4; ++w)
      for (unsigned i = 0; i < 8; ++i) b[off + w * 8 + i] = static_cast<uint8_t>(m.word(w) >> (56 - 8 * i));
  };
  put(16, v.apm);
  put(48, v.aqm);
  put(80, v.adm);
  return b;
}

// The adapter answers with the newest type it can be compatible to, at most
// the one asked for; mode bits 3-5 and cat bits 32-39 of GR2.
ApEngine::QactResult ApEngine::qact(const ApView& v, unsigned apid, unsigned apqi, unsigned cat) {
  std::lock_guard lk(m_mu);
  Target t = address(v, apid, apqi);
  ApQueueStatus s = status(t, t.rc);
  if (t.rc != AP_RESPONSE_NORMAL) return {s};
  uint64_t mode = (t.c->cfg.hwinfo.fac() >> 26) & 7;
  return {s, mode << 58 | uint64_t{std::min(t.c->cfg.hwinfo.at(), cat)} << 24};
}

ApQueueStatus ApEngine::nqap(const ApView& v, unsigned apid, unsigned apqi, uint64_t psmid, std::span<const uint8_t> msg,
                             bool special) {
  // The domain the message names, if not its queue's (GCC 12 misreads an
  // optional here as maybe uninitialized).
  unsigned target = apqi;
  if (m_target)
    if (auto t = m_target(msg)) target = *t;
  std::unique_lock lk(m_mu);
  Target t = address(v, apid, apqi);
  if (t.rc != AP_RESPONSE_NORMAL) return status(t, t.rc);
  HwQueue& q = *t.q;
  const Card& c = *t.c;
  if (msg.size() > c.cfg.hwinfo.max_msg_size()) return status_of(c, q, AP_RESPONSE_MESSAGE_TOO_BIG);
  if (special && !c.cfg.hwinfo.has(ApHwinfo::APSC)) return status_of(c, q, AP_RESPONSE_REQ_FAC_NOT_INST);
  // Another domain than the queue's own only as one of the control domains.
  if (target != apqi && (target > 255 || !v.adm.test(target)))
    return status_of(c, q, AP_RESPONSE_INVALID_DOMAIN);
  if (q.count() >= c.cfg.hwinfo.qd() + 1u) return status_of(c, q, AP_RESPONSE_Q_FULL);
  ++q.in_flight;
  m_last_nqap = std::chrono::steady_clock::now();
  Work w{apid << 8 | apqi, q.epoch, psmid, {msg.begin(), msg.end()}, m_last_nqap};
  if (q.faults.stall) q.stalled.push_back(std::move(w));
  else m_work.push_back(std::move(w));
  ApQueueStatus s = status_of(c, q, AP_RESPONSE_NORMAL);
  bool wake = !m_ticking;
  lk.unlock();
  if (wake) m_work_cv.notify_one();
  return s;
}

ApEngine::DqapResult ApEngine::dqap(const ApView& v, unsigned apid, unsigned apqi, std::span<uint8_t> buf) {
  std::lock_guard lk(m_mu);
  Target t = address(v, apid, apqi);
  if (t.rc != AP_RESPONSE_NORMAL) return {status(t, t.rc)};
  HwQueue& q = *t.q;
  const Card& c = *t.c;
  if (q.replies.empty()) return {status_of(c, q, AP_RESPONSE_NO_PENDING_REPLY)};
  Reply& r = q.replies.front();
  size_t n = std::min(buf.size(), r.data.size() - r.taken);
  std::memcpy(buf.data(), r.data.data() + r.taken, n);
  r.taken += n;
  DqapResult res{{}, r.psmid, n, r.data.size() - r.taken};
  if (res.residual == 0) q.replies.erase(q.replies.begin());
  res.status = status_of(c, q, AP_RESPONSE_NORMAL);
  return res;
}

// A waiter that finds its queue's requests not yet taken works them off
// itself rather than sleep through two thread hand-offs: replies still
// appear only once worked off, so nothing a program can see changes. Only
// its own: one that took another queue's would keep that queue's waiter
// idle until it is done.
bool ApEngine::wait_reply(unsigned apid, unsigned apqi, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lk(m_mu);
  HwQueue& q = hw(apid, apqi);
  const unsigned key = apid << 8 | apqi;
  while (q.replies.empty() && q.in_flight > 0) {
    auto own = std::find_if(m_work.begin(), m_work.end(), [key](const Work& w) { return w.key == key; });
    if (own != m_work.end()) {
      work_one(lk, own);
      continue;
    }
    if (m_reply_cv.wait_until(lk, deadline) == std::cv_status::timeout) break;
  }
  return !q.replies.empty();
}

void ApEngine::set_card_state(unsigned apid, bool config, bool chkstop) {
  std::lock_guard lk(m_mu);
  if (apid >= m_cards.size() || !m_cards[apid]) return;
  m_cards[apid]->config = config;
  m_cards[apid]->chkstop = chkstop;
}

QueueFaults ApEngine::faults(unsigned apid, unsigned apqi) {
  std::lock_guard lk(m_mu);
  return hw(apid, apqi).faults;
}

void ApEngine::set_faults(unsigned apid, unsigned apqi, const QueueFaults& f) {
  std::lock_guard lk(m_mu);
  HwQueue& q = hw(apid, apqi);
  q.faults = f;
  if (f.stall) return;
  for (Work& w : q.stalled) m_work.push_back(std::move(w));
  q.stalled.clear();
  m_work_cv.notify_all();
}

}  // namespace ap
