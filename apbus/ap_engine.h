// The crypto adapters' queues as the hardware keeps them, and the AP
// instructions that drive them: PQAP (TAPQ, RAPQ, ZAPQ, AQIC, QCI, QACT),
// NQAP and DQAP (arch/s390/include/asm/ap.h). Requests are worked off
// asynchronously by a pool of workers, as the adapters do; replies wait in
// the queue until DQAP takes them. Every instruction is executed on behalf of
// a view: the host's QCI configuration, or a guest's CRYCB.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "apbus/host_config.h"
#include "base/bitmap256.h"

namespace ap {

// ap_bus.h AP_RESPONSE_*.
enum ApResponse : uint8_t {
  AP_RESPONSE_NORMAL = 0x00,
  AP_RESPONSE_Q_NOT_AVAIL = 0x01,
  AP_RESPONSE_RESET_IN_PROGRESS = 0x02,
  AP_RESPONSE_DECONFIGURED = 0x03,
  AP_RESPONSE_CHECKSTOPPED = 0x04,
  AP_RESPONSE_BUSY = 0x05,
  AP_RESPONSE_INVALID_ADDRESS = 0x06,
  AP_RESPONSE_OTHERWISE_CHANGED = 0x07,
  AP_RESPONSE_Q_FULL = 0x10,
  AP_RESPONSE_NO_PENDING_REPLY = 0x10,
  AP_RESPONSE_MESSAGE_TOO_BIG = 0x15,
  AP_RESPONSE_REQ_FAC_NOT_INST = 0x16,
  AP_RESPONSE_INVALID_DOMAIN = 0x42,
};

// struct ap_queue_status: the low word of GR1 after an instruction.
struct ApQueueStatus {
  bool queue_empty = false;
  bool replies_waiting = false;
  bool queue_full = false;
  bool async = false;
  bool irq_enabled = false;
  uint8_t response_code = AP_RESPONSE_NORMAL;
  uint32_t word() const {
    return (queue_empty ? 0x80000000u : 0) | (replies_waiting ? 0x40000000u : 0) | (queue_full ? 0x20000000u : 0) |
           (async ? 0x02000000u : 0) | (irq_enabled ? 0x01000000u : 0) | (uint32_t{response_code} << 16);
  }
  // cc 0 for success, 3 otherwise (KVM handle_pqap, the hardware's rule).
  int cc() const { return response_code ? 3 : 0; }
};

// What an instruction may reach: the host LPAR's QCI masks, or the CRYCB of
// a guest. Control domains (adm) may be addressed by type 6 requests.
struct ApView {
  base::Bitmap256 apm, aqm, adm;
};

// Injectable faults of one queue, as a test wants them.
struct QueueFaults {
  bool lost = false;          // gone from the configuration: 0x01, until the bus's next scan removes it
  bool deconfigured = false;  // TAPQ and the rest answer 0x03
  bool checkstopped = false;  // ... 0x04
  bool busy = false;          // ... 0x05
  bool hold_reset = false;    // a reset never completes (0x02)
  int reset_polls = 1;        // TAPQs a reset stays in progress
  bool hold_irq = false;      // an enabled interrupt never takes effect (I stays 0)
  bool fail = false;          // requests get a machine-failure reply (type 82, 0x10)
  bool stall = false;         // requests are accepted but not worked off until released
  friend bool operator==(const QueueFaults&, const QueueFaults&) = default;
};

class ApEngine {
 public:
  // A request message becomes a reply message on the given card and domain
  // (type 50 -> 80, type 6 -> 86, or an error reply). Runs on a worker.
  using Handler = std::function<std::vector<uint8_t>(const CardConfig&, unsigned apqi, std::span<const uint8_t>)>;
  // The domain a request addresses, when not the queue's own (type 6 CPRBs).
  using TargetDomain = std::function<std::optional<unsigned>(std::span<const uint8_t>)>;

  // `workers` threads work off requests (0: one per CPU).
  ApEngine(const HostConfig& host, Handler handler, TargetDomain target = {}, unsigned workers = 0);
  ~ApEngine();
  ApEngine(const ApEngine&) = delete;
  ApEngine& operator=(const ApEngine&) = delete;

  // The host's view: the QCI masks.
  const ApView& host_view() const { return m_host_view; }

  struct TapqResult {
    ApQueueStatus status;
    uint64_t hwinfo = 0;  // GR2; valid for rc 0, 2, 3, 4, 5
  };
  TapqResult tapq(const ApView& v, unsigned apid, unsigned apqi);
  // RAPQ and ZAPQ: pending requests and replies are dropped, interruptions
  // disabled; TAPQ sees the reset finish (ZAPQ also zeroizes the domain).
  ApQueueStatus rapq(const ApView& v, unsigned apid, unsigned apqi) { return reset(v, apid, apqi); }
  ApQueueStatus zapq(const ApView& v, unsigned apid, unsigned apqi) { return reset(v, apid, apqi); }
  // AQIC: enable (with a non-zero notification byte address) or disable
  // interruptions; enabling takes effect asynchronously.
  ApQueueStatus aqic(const ApView& v, unsigned apid, unsigned apqi, bool enable, uint64_t nib);
  // QCI: the 128-byte struct ap_config_info of the view.
  std::array<uint8_t, 128> qci(const ApView& v) const;
  // QACT: the compatible type for `cat`; rc 0 and GR2 = info word.
  struct QactResult {
    ApQueueStatus status;
    uint64_t info = 0;
  };
  QactResult qact(const ApView& v, unsigned apid, unsigned apqi, unsigned cat);
  ApQueueStatus nqap(const ApView& v, unsigned apid, unsigned apqi, uint64_t psmid, std::span<const uint8_t> msg,
                     bool special = false);

  struct DqapResult {
    ApQueueStatus status;
    uint64_t psmid = 0;
    size_t length = 0;    // bytes stored into the buffer
    size_t residual = 0;  // bytes of the reply still to receive (GR2)
  };
  // Receives the oldest reply into `buf`; a reply larger than the buffer is
  // received in parts by calling again (the reply stays queued meanwhile;
  // the status is then not valid, as on hardware).
  DqapResult dqap(const ApView& v, unsigned apid, unsigned apqi, std::span<uint8_t> buf);
  // Waits until the queue holds a reply, no request is in flight, or the
  // time is up; true if a reply is waiting. An interrupt, in effect.
  bool wait_reply(unsigned apid, unsigned apqi, std::chrono::milliseconds timeout);

  // The machine's side: SCLP (de)configure, checkstop, queue faults.
  void set_card_state(unsigned apid, bool config, bool chkstop);
  QueueFaults faults(unsigned apid, unsigned apqi);
  void set_faults(unsigned apid, unsigned apqi, const QueueFaults& f);
  // Requests in flight plus replies waiting (the hardware's queue count).
  size_t outstanding(unsigned apid, unsigned apqi);
  unsigned workers() const { return static_cast<unsigned>(m_workers.size()); }

 private:
  struct Work {
    unsigned key;
    uint64_t epoch, psmid;
    std::vector<uint8_t> msg;
    std::chrono::steady_clock::time_point queued{};
  };
  struct Reply {
    uint64_t psmid;
    std::vector<uint8_t> data;
    size_t taken = 0;  // bytes already received by partial DQAPs
  };
  struct HwQueue {
    // At most depth + 1 of each; vectors, as they allocate nothing until
    // used (a deque allocates at once, on each of up to 65,536 queues).
    std::vector<Reply> replies;  // in the order they were worked off
    std::vector<Work> stalled;   // accepted while the queue stalls
    unsigned in_flight = 0;     // accepted, not yet worked off
    uint64_t epoch = 0;         // bumped by resets: late results are dropped
    int reset_left = 0;         // TAPQs until the running reset completes
    bool irq_enabled = false;
    bool irq_pending = false;   // AQIC enable accepted, not yet effective
    QueueFaults faults;
    size_t count() const { return replies.size() + in_flight; }
  };
  struct Card {
    CardConfig cfg;
    bool config, chkstop;
  };

  HwQueue& hw(unsigned apid, unsigned apqi) {
    auto& q = m_queues[(apid & 0xff) << 8 | (apqi & 0xff)];
    if (!q) q = std::make_unique<HwQueue>();
    return *q;
  }
  // The queue an instruction addresses and the response code it gets
  // before looking at it; no queue for an APQN outside the view.
  struct Target {
    uint8_t rc;
    HwQueue* q = nullptr;
    const Card* c = nullptr;
  };
  Target address(const ApView& v, unsigned apid, unsigned apqi);
  ApQueueStatus status(const Target& t, uint8_t rc);
  ApQueueStatus status_of(const Card& c, HwQueue& q, uint8_t rc);
  ApQueueStatus reset(const ApView& v, unsigned apid, unsigned apqi);
  void work();
  void work_one(std::unique_lock<std::mutex>& lk, std::deque<Work>::iterator it);

  ApView m_host_view;
  unsigned m_max_adapter_id, m_max_domain_id;
  QciFlags m_qci;
  Handler m_handler;
  TargetDomain m_target;

  std::mutex m_mu;
  std::condition_variable m_work_cv, m_reply_cv;
  // By adapter and by APQN: a lookup is an index, also on a 65,536-queue host.
  std::array<std::optional<Card>, 256> m_cards;
  std::vector<std::unique_ptr<HwQueue>> m_queues = std::vector<std::unique_ptr<HwQueue>>(1u << 16);
  std::deque<Work> m_work;
  bool m_stop = false;
  bool m_ticking = false;  // a worker looks at m_work every GRACE: NQAP wakes none
  std::chrono::steady_clock::time_point m_last_nqap{};
  std::vector<std::thread> m_workers;
};

}  // namespace ap
