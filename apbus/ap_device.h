// AP devices and drivers as the kernel's ap_bus.h declares them: a card
// (struct ap_card), its queues (struct ap_queue) and the AP drivers.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "apbus/ap_hwinfo.h"
#include "apbus/host_config.h"
#include "base/bitmap256.h"
#include "base/result.h"
#include "sysfs-fs/tree/driver_core.h"


namespace ap {

using base::Errno;
using base::Result;

class ApBus;
class ApDriver;
struct ApCard;

// struct ap_device: what cards and queues share; the driver core's part
// (name "card05" or "05.0004", directory, bound driver) is the base.
struct ApDevice : sysfs::BusDevice {
  ApBus* bus = nullptr;
  bool is_card;
  int device_type;              // compatible type, 10..14
  bool config = true;           // not deconfigured
  bool chkstop = false;
  std::string driver_override;  // queues only (6.19+)
  uint64_t total_request_count = 0;

  explicit ApDevice(bool card) : is_card(card) {}
  virtual ~ApDevice() = default;
  ApDriver* ap_driver() const;
};

enum class DevState { UNINITIATED, OPERATING, SHUTDOWN, ERROR };
// enum ap_sm_state
enum class SmState { RESET_START, RESET_WAIT, SETIRQ_WAIT, IDLE, WORKING, QUEUE_FULL, ASSOC_WAIT };

struct ApQueue : ApDevice {
  ApCard* card;
  unsigned apqi;
  ApHwinfo hwinfo;  // unmasked TAPQ word
  DevState dev_state = DevState::UNINITIATED;
  SmState sm_state = SmState::RESET_START;
  int requestq_count = 0;
  int pendingq_count = 0;
  int last_err_rc = 0;           // AP_RESPONSE_* of the last failing instruction
  int reset_rc = 0;              // vfio_ap: response code of the last reset,
  int reset_waited_ms = 0;       // how long apq_reset_check() has waited,
  bool reset_pending = false;    // and whether it still waits
  bool zcrypt_online = false;    // zq->online while bound to cex4queue
  int load = 0;

  ApQueue(ApCard* c, unsigned qi) : ApDevice(false), card(c), apqi(qi) {}
  unsigned apid() const;
  unsigned qid() const { return apid() << 8 | apqi; }
};

struct ApCard : ApDevice {
  CardConfig cfg;
  ApHwinfo hwinfo;  // masked with TAPQ_CARD_HWINFO_MASK
  unsigned maxmsgsize;
  bool zcrypt_online = false;  // zc->online while bound to cex4card
  int load = 0;
  std::vector<std::unique_ptr<ApQueue>> queues;  // ascending APQI
  std::array<ApQueue*, 256> by_apqi{};           // the same by APQI: lookups without a walk

  explicit ApCard(const CardConfig& c) : ApDevice(true), cfg(c) {}
  unsigned id() const { return cfg.id; }
  ApQueue* queue(unsigned apqi) const;
};

inline unsigned ApQueue::apid() const { return card->id(); }

// struct ap_driver. Drivers match by device type; probe/remove may add and
// remove the driver's attribute groups in the device directory.
class ApDriver : public sysfs::BusDriver {
 public:
  static constexpr unsigned FLAG_DEFAULT = 0x0001;  // AP_DRIVER_FLAG_DEFAULT

  ApDriver(std::string name, std::string module, unsigned flags, bool for_cards)
      : m_name(std::move(name)), m_module(std::move(module)), m_flags(flags), m_for_cards(for_cards) {}
  virtual ~ApDriver() = default;

  const std::string& name() const override { return m_name; }
  const std::string& module() const { return m_module; }
  bool is_default() const { return m_flags & FLAG_DEFAULT; }
  // ap_bus_match(): CEX4..CEX8 cards or queues, per the driver's id table.
  bool matches(const ApDevice& dev) const {
    return dev.is_card == m_for_cards && dev.device_type >= AP_DEVICE_TYPE_CEX4 && dev.device_type <= AP_DEVICE_TYPE_CEX8;
  }
  virtual Result<void> probe(ApDevice& dev) = 0;
  virtual void remove(ApDevice& dev) = 0;
  // ap_driver->in_use: are any of these APQNs in use (only vfio_ap has one)?
  virtual Result<void> in_use(const base::Bitmap256& /*apm*/, const base::Bitmap256& /*aqm*/) { return base::ok(); }
  // ap_driver->on_scan_complete: after every bus scan.
  virtual void on_scan_complete() {}

  ApBus* bus = nullptr;

 private:
  std::string m_name;
  std::string m_module;
  unsigned m_flags;
  bool m_for_cards;
};

inline ApDriver* ApDevice::ap_driver() const { return static_cast<ApDriver*>(driver); }

}  // namespace ap
