#include "apbus/ap_engine.h"

#include <algorithm>
#include <cstring>

namespace ap {

ApEngine::ApEngine(const HostConfig& host, Handler handler) : m_host(host), m_handler(std::move(handler)) {}

const CardConfig* ApEngine::card(unsigned apid) const {
  for (auto& c : m_host.cards)
    if (c.id == apid) return &c;
  return nullptr;
}

// In the order the hardware reports them: an APQN outside the
// configuration, a checkstopped or deconfigured adapter, a busy queue, a
// reset still running.
uint8_t ApEngine::availability(unsigned apid, unsigned apqi) {
  const CardConfig* c = card(apid);
  if (!c || apid > m_host.max_adapter_id || apqi > m_host.max_domain_id || !m_host.usage_domains.test(apqi))
    return AP_RESPONSE_Q_NOT_AVAIL;
  if (c->chkstop) return AP_RESPONSE_CHECKSTOPPED;
  if (!c->config) return AP_RESPONSE_DECONFIGURED;
  HwQueue& q = hw(apid, apqi);
  if (q.faults.busy) return AP_RESPONSE_BUSY;
  if (q.reset_left > 0 || q.faults.hold_reset) return AP_RESPONSE_RESET_IN_PROGRESS;
  return AP_RESPONSE_NORMAL;
}

size_t ApEngine::outstanding(unsigned apid, unsigned apqi) { return hw(apid, apqi).replies.size(); }

ApQueueStatus ApEngine::status_of(HwQueue& q, uint8_t rc) {
  ApQueueStatus s;
  s.response_code = rc;
  s.queue_empty = q.replies.empty();
  s.replies_waiting = !q.replies.empty();
  s.irq_enabled = q.irq_enabled;
  return s;
}

ApEngine::TapqResult ApEngine::tapq(unsigned apid, unsigned apqi) {
  uint8_t rc = availability(apid, apqi);
  if (rc == AP_RESPONSE_Q_NOT_AVAIL) return {ApQueueStatus{false, false, false, false, false, rc}, 0};
  HwQueue& q = hw(apid, apqi);
  // Asynchronous completions are observed by the next TAPQ.
  if (rc == AP_RESPONSE_RESET_IN_PROGRESS && !q.faults.hold_reset && --q.reset_left == 0) rc = AP_RESPONSE_NORMAL;
  if (q.irq_pending && rc == AP_RESPONSE_NORMAL) {
    q.irq_pending = false;
    q.irq_enabled = true;
  }
  const CardConfig& c = *card(apid);
  ApQueueStatus s = status_of(q, rc);
  s.queue_full = q.replies.size() >= c.hwinfo.qd() + 1u;
  return {s, c.hwinfo.value};
}

// RAPQ/ZAPQ: requests and replies are dropped, interruptions disabled; the
// reset runs until enough TAPQs have seen it.
ApQueueStatus ApEngine::reset(unsigned apid, unsigned apqi) {
  uint8_t rc = availability(apid, apqi);
  if (rc != AP_RESPONSE_NORMAL && rc != AP_RESPONSE_RESET_IN_PROGRESS) {
    if (rc == AP_RESPONSE_Q_NOT_AVAIL) return ApQueueStatus{false, false, false, false, false, rc};
    return status_of(hw(apid, apqi), rc);
  }
  HwQueue& q = hw(apid, apqi);
  q.replies.clear();
  q.irq_enabled = q.irq_pending = false;
  q.reset_left = std::max(0, q.faults.reset_polls);
  return status_of(q, rc);
}

ApQueueStatus ApEngine::aqic(unsigned apid, unsigned apqi, bool enable, uint64_t nib) {
  uint8_t rc = availability(apid, apqi);
  if (rc == AP_RESPONSE_Q_NOT_AVAIL) return ApQueueStatus{false, false, false, false, false, rc};
  HwQueue& q = hw(apid, apqi);
  if (rc != AP_RESPONSE_NORMAL) return status_of(q, rc);
  if (enable) {
    if (nib == 0) return status_of(q, AP_RESPONSE_INVALID_ADDRESS);
    if (q.irq_enabled || q.irq_pending) return status_of(q, AP_RESPONSE_OTHERWISE_CHANGED);
    q.irq_pending = true;
  } else {
    if (!q.irq_enabled && !q.irq_pending) return status_of(q, AP_RESPONSE_OTHERWISE_CHANGED);
    q.irq_enabled = q.irq_pending = false;
  }
  return status_of(q, AP_RESPONSE_NORMAL);
}

std::array<uint8_t, 128> ApEngine::qci() const {
  std::array<uint8_t, 128> b{};
  const QciFlags& f = m_host.qci;
  b[0] = static_cast<uint8_t>((f.apsc ? 0x80 : 0) | (f.apxa ? 0x40 : 0) | (f.qact ? 0x20 : 0) | (f.rc8a ? 0x10 : 0));
  b[1] = f.apsb ? 0x80 : 0;
  b[4] = static_cast<uint8_t>(m_host.max_adapter_id);
  b[5] = static_cast<uint8_t>(m_host.max_domain_id);
  auto put = [&](size_t off, const base::Bitmap256& m) {
    for (unsigned w = 0; w < 4; ++w)
      for (unsigned i = 0; i < 8; ++i) b[off + w * 8 + i] = static_cast<uint8_t>(m.word(w) >> (56 - 8 * i));
  };
  put(16, m_host.adapters());
  put(48, m_host.usage_domains);
  put(80, m_host.control_domains);
  return b;
}

ApQueueStatus ApEngine::nqap(unsigned apid, unsigned apqi, uint64_t psmid, std::span<const uint8_t> msg, bool special) {
  uint8_t rc = availability(apid, apqi);
  if (rc == AP_RESPONSE_Q_NOT_AVAIL) return ApQueueStatus{false, false, false, false, false, rc};
  HwQueue& q = hw(apid, apqi);
  if (rc != AP_RESPONSE_NORMAL) return status_of(q, rc);
  const CardConfig& c = *card(apid);
  if (msg.size() > c.hwinfo.max_msg_size()) return status_of(q, AP_RESPONSE_MESSAGE_TOO_BIG);
  if (special && !c.hwinfo.has(ApHwinfo::APSC)) return status_of(q, AP_RESPONSE_REQ_FAC_NOT_INST);
  if (q.replies.size() >= c.hwinfo.qd() + 1u) {
    ApQueueStatus s = status_of(q, AP_RESPONSE_Q_FULL);
    s.queue_full = true;
    return s;
  }
  q.replies.push_back({psmid, m_handler(c, apqi, msg), 0});
  return status_of(q, AP_RESPONSE_NORMAL);
}

ApEngine::DqapResult ApEngine::dqap(unsigned apid, unsigned apqi, std::span<uint8_t> buf) {
  uint8_t rc = availability(apid, apqi);
  if (rc == AP_RESPONSE_Q_NOT_AVAIL) return {ApQueueStatus{false, false, false, false, false, rc}};
  HwQueue& q = hw(apid, apqi);
  if (rc != AP_RESPONSE_NORMAL) return {status_of(q, rc)};
  if (q.replies.empty()) return {status_of(q, AP_RESPONSE_NO_PENDING_REPLY)};
  Reply& r = q.replies.front();
  size_t n = std::min(buf.size(), r.data.size() - r.taken);
  std::memcpy(buf.data(), r.data.data() + r.taken, n);
  r.taken += n;
  DqapResult res{{}, r.psmid, n, r.data.size() - r.taken};
  if (res.residual == 0) q.replies.pop_front();
  res.status = status_of(q, AP_RESPONSE_NORMAL);
  return res;
}

}  // namespace ap
