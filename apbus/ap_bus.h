// ApBus: the AP bus of one simulated LPAR (drivers/s390/crypto/ap_bus.c):
// QCI configuration, card and queue devices, apmask/aqmask, the AP drivers
// and binding, and the sysfs objects the driver core makes for them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "apbus/ap_device.h"
#include "apbus/ap_engine.h"
#include "apbus/host_config.h"
#include "base/bitmap256.h"
#include "base/klog.h"
#include "sysfs-fs/tree/tree.h"
#include "sysfs-fs/tree/uevent.h"

namespace ap {

using base::Bitmap256;

inline constexpr int AP_CONFIG_TIME = 30;
inline constexpr unsigned long AP_POLL_TIMEOUT_DEFAULT = 250000;  // ns, LPAR
// The notification-indicator byte the host's AQIC names (any valid address).
inline constexpr uint64_t AP_NIB_ADDRESS = 0x1000;
// Poll events one state machine run spends before it waits for poll().
inline constexpr int SM_POLLS_MAX = 64;

class ApBus : sysfs::BusOps {
 public:
  ApBus(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog, HostConfig host);
  ~ApBus();
  ApBus(const ApBus&) = delete;
  ApBus& operator=(const ApBus&) = delete;

  // bus_add_driver() + driver_attach(): binds every matching unbound device.
  ApDriver& register_driver(std::unique_ptr<ApDriver> drv);
  ApDriver* driver(std::string_view name) const;
  // ap_scan_bus(): applies the host configuration (QCI, TAPQ) to the devices.
  void scan();
  // The poll event for queues whose state machine waits on the hardware.
  void poll();

  // The adapters' hardware, and TAPQ as the host executes it.
  ApEngine& engine() { return m_engine; }
  ApEngine::TapqResult tapq(unsigned apid, unsigned apqi) { return m_engine.tapq(m_engine.host_view(), apid, apqi); }
  // The host's requests go through queues bound to a default driver
  // (ENODEV otherwise); the request counters see them.
  Result<ApQueueStatus> host_nqap(ApQueue& q, uint64_t psmid, std::span<const uint8_t> msg, bool special = false);
  Result<ApEngine::DqapResult> host_dqap(ApQueue& q, std::span<uint8_t> buf);
  // The machine (SCLP) configures or checkstops an adapter; the next scan
  // sees it.
  void set_card_state(unsigned apid, bool config, bool chkstop);

  // The host configuration; changing it takes effect at the next scan().
  HostConfig& host() { return m_host; }
  const HostConfig& host() const { return m_host; }
  // QCI masks as the bus sees them.
  Bitmap256 qci_apm() const { return m_host.adapters(); }
  const Bitmap256& qci_aqm() const { return m_host.usage_domains; }
  const Bitmap256& qci_adm() const { return m_host.control_domains; }
  // ap_max_adapter_id / ap_max_domain_id: QCI Na/Nd with APXA, else 63/15.
  unsigned max_adapter_id() const;
  unsigned max_domain_id() const;

  ApCard* card(unsigned apid) const;
  ApQueue* queue(unsigned apid, unsigned apqi) const;
  ApDevice* find_device(std::string_view name) const override;
  const std::map<unsigned, std::unique_ptr<ApCard>>& cards() const { return m_cards; }
  template <typename F>
  void for_each_queue(F&& f) const {
    for (auto& [id, c] : m_cards)
      for (auto& q : c->queues) f(*q);
  }

  // apmask/aqmask (ap_perms). Errors in order: EINVAL (a driver_override is
  // set), EBUSY (newly reserved APQNs are in use by a non-default driver).
  const Bitmap256& apmask() const { return m_apmask; }
  const Bitmap256& aqmask() const { return m_aqmask; }
  Result<void> apmask_commit(const Bitmap256& newapm);
  Result<void> aqmask_commit(const Bitmap256& newaqm);
  bool apmask_aqmask_in_use() const { return !(m_apmask.is_all() && m_aqmask.is_all()); }
  int driver_override_count() const { return m_driver_override_ctr; }
  // ap_owned_by_def_drv(): is the APQN reserved for the default drivers?
  bool apqn_owned_by_def_drv(unsigned apid, unsigned apqi) const;

  // queue driver_override (6.19+): EINVAL while the masks are in use.
  Result<void> set_driver_override(ApQueue& q, std::string_view buf);

  // Bus parameters.
  int ap_domain() const { return m_ap_domain; }
  Result<void> set_ap_domain(int domain);
  int config_time = AP_CONFIG_TIME;
  bool poll_thread = false;
  unsigned long poll_timeout = AP_POLL_TIMEOUT_DEFAULT;
  bool interrupts() const { return m_host.interrupts; }
  uint64_t scan_count() const { return m_scan_count; }
  uint64_t bindings_complete_count() const { return m_bindings_complete_count; }
  // Queue devices bound / all queue devices.
  std::pair<unsigned, unsigned> bindings() const;

  // The driver core's side of the bus (bind, unbind, drivers_probe,
  // drivers_autoprobe).
  sysfs::Bus& bus() { return m_bus; }

  // Card config (SCLP configure/deconfigure), then a rescan as the CHSC
  // AP-configuration notification triggers it on real machines.
  Result<void> card_set_config(ApCard& card, bool config);
  // Queue reset (reset_store): flush and restart the reset state machine.
  void queue_reset(ApQueue& q);
  // ap_queue_init_state(): OPERATING, then the reset state machine.
  void queue_init_state(ApQueue& q);

  // Uevents: the device's variables (dev_uevent) and sending an event.
  std::vector<std::string> uevent_vars(const ApDevice& dev) const { return m_bus.uevent_vars(dev); }
  void send_uevent(const ApDevice& dev, std::string_view action, std::vector<std::string> extra = {}) {
    m_bus.send_uevent(dev, action, std::move(extra));
  }
  std::string devpath(const ApDevice& dev) const;

  sysfs::Tree& tree() const { return m_tree; }
  sysfs::UeventLog& uevents() const { return m_uevents; }
  base::KernelLog& klog() const { return m_klog; }

 private:
  CardConfig* host_card(unsigned apid);
  bool queue_info(unsigned apid, unsigned apqi, bool& decfg, bool& chkstop);
  void scan_adapter(unsigned apid);
  void scan_domains(ApCard& card);

  void remove_card(unsigned apid);
  void remove_queue(ApCard& card, unsigned apqi);
  void bus_probe_device(ApDevice& dev);
  // ap_bus_type: ap_bus_match(), ap_device_probe(), ap_device_remove(),
  // ap_uevent(), with the card or queue device type.
  bool match(const sysfs::BusDevice& dev, const sysfs::BusDriver& drv) const override;
  Result<void> probe(sysfs::BusDriver& drv, sysfs::BusDevice& dev) override;
  void remove(sysfs::BusDriver& drv, sysfs::BusDevice& dev) override;
  std::string devpath(const sysfs::BusDevice& dev) const override { return devpath(static_cast<const ApDevice&>(dev)); }
  std::string devtype(const sysfs::BusDevice& dev) const override;
  std::vector<std::string> bus_uevent_vars(const sysfs::BusDevice& dev) const override;
  void revise_bindings();
  void check_bindings_complete();
  void select_domain();
  Result<void> mask_commit(Bitmap256& mask, const Bitmap256& newmask, bool adapters);
  void run_queue_sm(ApQueue& q);
  void sm_error(ApQueue& q, uint8_t rc);
  Result<void> host_owns(const ApQueue& q) const;

  sysfs::Tree& m_tree;
  sysfs::UeventLog& m_uevents;
  base::KernelLog& m_klog;
  HostConfig m_host;
  ApEngine m_engine;
  Bitmap256 m_apmask, m_aqmask;
  int m_ap_domain = -1;
  int m_driver_override_ctr = 0;
  uint64_t m_scan_count = 0;
  uint64_t m_bindings_complete_count = 0;
  bool m_bindings_were_complete = false;
  std::map<unsigned, std::unique_ptr<ApCard>> m_cards;
  std::vector<std::unique_ptr<ApDriver>> m_drivers;  // registration order
  sysfs::Bus m_bus;
  sysfs::Directory* m_root_dev_dir;  // /sys/devices/ap
};

// Attribute tables (ap_*_attrs.cpp).
std::span<const sysfs::AttrOps> ap_bus_attrs();
std::span<const sysfs::AttrOps> ap_card_attrs();
std::span<const sysfs::AttrOps> ap_queue_attrs();

}  // namespace ap
