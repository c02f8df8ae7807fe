// The crypto adapters' queues as the hardware keeps them, and the AP
// instructions that drive them: PQAP (TAPQ, RAPQ, ZAPQ, AQIC, QCI), NQAP and
// DQAP (arch/s390/include/asm/ap.h). Requests are worked off by a message
// handler; the AP bus and vfio_ap use these queues as the kernel uses the
// hardware's.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "apbus/host_config.h"

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
};

// Injectable faults of one queue, as a test would want them.
struct QueueFaults {
  bool busy = false;          // every instruction answers BUSY
  int reset_polls = 1;        // TAPQs a reset stays in progress
  bool hold_reset = false;    // a reset never completes
};

class ApEngine {
 public:
  // A request message becomes a reply message (type 50 -> 80, or an error).
  using Handler = std::function<std::vector<uint8_t>(const CardConfig&, unsigned apqi, std::span<const uint8_t>)>;

  ApEngine(const HostConfig& host, Handler handler);

  struct TapqResult {
    ApQueueStatus status;
    uint64_t hwinfo = 0;  // GR2; valid for rc 0, 2, 3, 4, 5
  };
  TapqResult tapq(unsigned apid, unsigned apqi);
  ApQueueStatus rapq(unsigned apid, unsigned apqi) { return reset(apid, apqi); }
  ApQueueStatus zapq(unsigned apid, unsigned apqi) { return reset(apid, apqi); }
  // AQIC: enable (with a non-zero notification byte address) or disable
  // interruptions; enabling completes asynchronously.
  ApQueueStatus aqic(unsigned apid, unsigned apqi, bool enable, uint64_t nib);
  // QCI: the 128-byte struct ap_config_info.
  std::array<uint8_t, 128> qci() const;
  ApQueueStatus nqap(unsigned apid, unsigned apqi, uint64_t psmid, std::span<const uint8_t> msg, bool special = false);

  struct DqapResult {
    ApQueueStatus status;
    uint64_t psmid = 0;
    size_t length = 0;    // bytes stored into the buffer
    size_t residual = 0;  // bytes of the reply still to receive (GR2)
  };
  // Receives the oldest reply into `buf`; a reply larger than the buffer is
  // received in parts by calling again (the reply stays queued meanwhile).
  DqapResult dqap(unsigned apid, unsigned apqi, std::span<uint8_t> buf);

  QueueFaults& faults(unsigned apid, unsigned apqi) { return hw(apid, apqi).faults; }
  // Requests and replies outstanding (the kernel's queue_count).
  size_t outstanding(unsigned apid, unsigned apqi);

 private:
  struct Reply {
    uint64_t psmid;
    std::vector<uint8_t> data;
    size_t taken = 0;  // bytes already received by partial DQAPs
  };
  struct HwQueue {
    std::deque<Reply> replies;  // requests are worked off when enqueued
    int reset_left = 0;         // TAPQs until the running reset completes
    bool irq_enabled = false;
    bool irq_pending = false;   // AQIC enable accepted, not yet effective
    QueueFaults faults;
  };
  HwQueue& hw(unsigned apid, unsigned apqi) { return m_queues[apid << 8 | apqi]; }
  const CardConfig* card(unsigned apid) const;
  // The response code an instruction gets before it looks at the queue.
  uint8_t availability(unsigned apid, unsigned apqi);
  ApQueueStatus status_of(HwQueue& q, uint8_t rc);
  ApQueueStatus reset(unsigned apid, unsigned apqi);

  const HostConfig& m_host;
  Handler m_handler;
  std::map<unsigned, HwQueue> m_queues;
};

}  // namespace ap
