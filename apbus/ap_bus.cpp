#include "apbus/ap_bus.h"

#include <fmt/format.h>

#include <algorithm>

#include "apbus/ap_message.h"
#include "base/kstrto.h"

namespace ap {

using base::LogLevel;

ApQueue* ApCard::queue(unsigned apqi) const { return apqi < by_apqi.size() ? by_apqi[apqi] : nullptr; }

namespace {

// The root device's `uevent`: empty (ap_uevent adds nothing for it); a write
// sends a synthetic event on /devices/ap.
Result<std::string> root_uevent_show(ApBus&) { return std::string(); }
Result<size_t> root_uevent_store(ApBus& bus, std::string_view buf) {
  SIM_TRY_VOID(bus.uevents().synth(buf, "/devices/ap", "ap", {}));
  return buf.size();
}
const sysfs::AttrOps root_uevent_attr = {"uevent", 0644, sysfs::show_thunk<ApBus, root_uevent_show>,
                                         sysfs::store_thunk<ApBus, root_uevent_store>};

}  // namespace

ApBus::ApBus(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog, HostConfig host)
    : m_tree(tree),
      m_uevents(uevents),
      m_klog(klog),
      m_host(std::move(host)),
      m_engine(m_host, process_message, message_target_domain),
      m_apmask(m_host.apmask),
      m_aqmask(m_host.aqmask),
      m_bus(tree, uevents, klog, "ap", *this) {
  auto& root = tree.root();
  m_bus.dir().add_attrs(ap_bus_attrs(), this);
  m_root_dev_dir = &root.get_or_add_dir("devices").add_dir("ap");
  m_root_dev_dir->add_attr(root_uevent_attr, this);

  // ap_module_init(): an ap.domain= that is not a usable domain is dropped.
  if (m_host.domain >= 0) {
    if (static_cast<unsigned>(m_host.domain) > max_domain_id() || !m_aqmask.test(static_cast<unsigned>(m_host.domain)))
      m_klog.log(LogLevel::WARNING, fmt::format("ap: {} is not a valid cryptographic domain", m_host.domain));
    else
      m_ap_domain = m_host.domain;
  }
}

ApBus::~ApBus() = default;

unsigned ApBus::max_adapter_id() const { return m_host.qci.apxa && m_host.max_adapter_id ? m_host.max_adapter_id : 63; }
unsigned ApBus::max_domain_id() const { return m_host.qci.apxa && m_host.max_domain_id ? m_host.max_domain_id : 15; }

ApCard* ApBus::card(unsigned apid) const {
  auto it = m_cards.find(apid);
  return it == m_cards.end() ? nullptr : it->second.get();
}

ApQueue* ApBus::queue(unsigned apid, unsigned apqi) const {
  ApCard* c = card(apid);
  return c ? c->queue(apqi) : nullptr;
}

ApDevice* ApBus::find_device(std::string_view name) const {
  unsigned apid = 0, apqi = 0;
  char tail = 0;
  std::string n(name);
  if (std::sscanf(n.c_str(), "card%2x%c", &apid, &tail) == 1 && n.size() == 6) return card(apid);
  if (std::sscanf(n.c_str(), "%2x.%4x%c", &apid, &apqi, &tail) == 2 && n.size() == 7) {
    ApQueue* q = queue(apid, apqi);
    return q && q->name == name ? q : nullptr;
  }
  return nullptr;
}

ApDriver* ApBus::driver(std::string_view name) const {
  for (auto& d : m_drivers)
    if (d->name() == name) return d.get();
  return nullptr;
}

std::string ApBus::devpath(const ApDevice& dev) const {
  if (dev.is_card) return "/devices/ap/" + dev.name;
  auto& q = static_cast<const ApQueue&>(dev);
  return "/devices/ap/" + q.card->name + "/" + q.name;
}

std::string ApBus::devtype(const sysfs::BusDevice& dev) const {
  return static_cast<const ApDevice&>(dev).is_card ? "ap_card" : "ap_queue";
}

// ap_uevent().
std::vector<std::string> ApBus::bus_uevent_vars(const sysfs::BusDevice& d) const {
  auto& dev = static_cast<const ApDevice&>(d);
  std::vector<std::string> v;
  const ApHwinfo& hw = dev.is_card ? static_cast<const ApCard&>(dev).hwinfo : static_cast<const ApQueue&>(dev).card->hwinfo;
  if (dev.is_card) {
    v.push_back(fmt::format("DEV_TYPE={:04X}", dev.device_type));
    v.push_back(fmt::format("MODALIAS=ap:t{:02X}", dev.device_type));
  }
  if (hw.has(ApHwinfo::ACCEL)) v.push_back("MODE=accel");
  else if (hw.has(ApHwinfo::CCA)) v.push_back("MODE=cca");
  else if (hw.has(ApHwinfo::EP11)) v.push_back("MODE=ep11");
  return v;
}

ApDriver& ApBus::register_driver(std::unique_ptr<ApDriver> drv) {
  ApDriver& d = *drv;
  d.bus = this;
  m_bus.add_driver(d, d.module());
  m_drivers.push_back(std::move(drv));
  // driver_attach()
  if (m_bus.drivers_autoprobe) {
    for (auto& [id, c] : m_cards) {
      if (!c->driver && d.matches(*c)) (void)m_bus.driver_probe_device(d, *c);
      for (auto& q : c->queues)
        if (!q->driver && d.matches(*q)) (void)m_bus.driver_probe_device(d, *q);
    }
  }
  check_bindings_complete();
  return d;
}

// ---------------------------------------------------------------- scanning

void ApBus::select_domain() {
  if (m_ap_domain >= 0) return;
  Bitmap256 apm = qci_apm() & m_apmask;
  for (unsigned dom = 0; dom <= max_domain_id(); ++dom) {
    if (!qci_aqm().test(dom) || !m_aqmask.test(dom)) continue;
    for (auto& c : m_host.cards) {
      if (c.id <= max_adapter_id() && apm.test(c.id) && tapq(c.id, dom).status.response_code == AP_RESPONSE_NORMAL) {
        m_ap_domain = static_cast<int>(dom);
        return;
      }
    }
  }
}

void ApBus::scan() {
  select_domain();
  for (unsigned apid = 0; apid < base::Bitmap256::BITS; ++apid) scan_adapter(apid);
  poll();
  if (++m_scan_count == 1) m_uevents.send("change", "/devices/ap", "ap", {"INITSCAN=done"}, {});
  for (auto& d : m_drivers) d->on_scan_complete();
  check_bindings_complete();
}

CardConfig* ApBus::host_card(unsigned apid) {
  for (auto& c : m_host.cards)
    if (c.id == apid) return &c;
  return nullptr;
}

// ap_queue_info(): TAPQ says whether the APQN exists (rc 0, 2, 3, 4, 5)
// and, if so, its hardware info, deconfigured and checkstopped states.
bool ApBus::queue_info(unsigned apid, unsigned apqi, bool& decfg, bool& chkstop) {
  uint8_t rc = tapq(apid, apqi).status.response_code;
  decfg = rc == AP_RESPONSE_DECONFIGURED;
  chkstop = rc == AP_RESPONSE_CHECKSTOPPED;
  return rc <= AP_RESPONSE_BUSY && rc != AP_RESPONSE_Q_NOT_AVAIL;
}

void ApBus::scan_adapter(unsigned apid) {
  const CardConfig* cc = host_card(apid);
  ApCard* ac = card(apid);
  // The adapter must be in the QCI configuration and answer TAPQ on some
  // usage domain; that first APQN tells the card's states.
  bool decfg = false, chkstop = false, found = false;
  if (cc && apid <= max_adapter_id())
    for (unsigned dom = 0; dom <= max_domain_id() && !found; ++dom)
      found = qci_aqm().test(dom) && queue_info(apid, dom, decfg, chkstop);
  if (!found) {
    if (ac) remove_card(apid);
    return;
  }
  ApHwinfo hw{cc->hwinfo.value & TAPQ_CARD_HWINFO_MASK};
  if (ac && (ac->hwinfo.at() != hw.at() || ac->hwinfo.fac() != hw.fac())) {
    remove_card(apid);
    ac = nullptr;
  }
  if (ac) {
    ac->chkstop = chkstop;
    if (ac->config == decfg) {
      ac->config = !decfg;
      send_uevent(*ac, "change", {fmt::format("CONFIG={}", ac->config ? 1 : 0)});
    }
  } else {
    // ap_get_compatible_type(): types above CEX8 are mapped through QACT.
    int comp = std::min(static_cast<int>(hw.at()), AP_DEVICE_TYPE_CEX8);
    auto card = std::make_unique<ApCard>(*cc);
    ac = card.get();
    ac->bus = this;
    ac->device_type = comp;
    ac->hwinfo = hw;
    ac->maxmsgsize = hw.max_msg_size();
    ac->name = fmt::format("card{:02x}", apid);
    ac->config = !decfg;
    ac->chkstop = chkstop;
    m_cards.emplace(apid, std::move(card));
    m_bus.device_add(*ac, *m_root_dev_dir, ap_card_attrs(), ac);
    bus_probe_device(*ac);
  }
  scan_domains(*ac);
}

void ApBus::scan_domains(ApCard& card) {
  const CardConfig* cc = host_card(card.id());
  for (unsigned dom = 0; dom < base::Bitmap256::BITS; ++dom) {
    ApQueue* q = card.queue(dom);
    bool decfg = false, chkstop = false;
    if (dom > max_domain_id() || !qci_aqm().test(dom) || !queue_info(card.id(), dom, decfg, chkstop)) {
      if (q) remove_queue(card, dom);
      continue;
    }
    if (!q) {
      auto nq = std::make_unique<ApQueue>(&card, dom);
      q = nq.get();
      q->bus = this;
      q->device_type = card.device_type;
      q->hwinfo = cc->hwinfo;
      q->name = fmt::format("{:02x}.{:04x}", card.id(), dom);
      q->config = !decfg;
      q->chkstop = chkstop;
      auto pos = std::lower_bound(card.queues.begin(), card.queues.end(), dom, [](auto& x, unsigned v) { return x->apqi < v; });
      card.queues.insert(pos, std::move(nq));
      card.by_apqi[dom] = q;
      m_bus.device_add(*q, *card.dir, ap_queue_attrs(), q);
      bus_probe_device(*q);
      continue;
    }
    bool live = q->dev_state > DevState::UNINITIATED;
    if (chkstop && !q->chkstop) {
      q->chkstop = true;
      if (live) {
        q->dev_state = DevState::ERROR;
        q->last_err_rc = 4;  // AP_RESPONSE_CHECKSTOPPED
        q->requestq_count = q->pendingq_count = 0;
      }
    } else if (!chkstop && q->chkstop) {
      q->chkstop = false;
      if (live) queue_init_state(*q);
    }
    if (decfg && q->config) {
      q->config = false;
      if (live) {
        q->dev_state = DevState::ERROR;
        q->last_err_rc = 3;  // AP_RESPONSE_DECONFIGURED
      }
      send_uevent(*q, "change", {"CONFIG=0"});
      q->requestq_count = q->pendingq_count = 0;
    } else if (!decfg && !q->config) {
      q->config = true;
      if (live) queue_init_state(*q);
      send_uevent(*q, "change", {"CONFIG=1"});
    }
  }
}

void ApBus::remove_queue(ApCard& card, unsigned apqi) {
  auto it = std::find_if(card.queues.begin(), card.queues.end(), [&](auto& q) { return q->apqi == apqi; });
  m_bus.device_del(**it);
  card.by_apqi[apqi] = nullptr;
  card.queues.erase(it);
}

void ApBus::remove_card(unsigned apid) {
  ApCard& c = *m_cards.at(apid);
  while (!c.queues.empty()) remove_queue(c, c.queues.back()->apqi);
  m_bus.device_del(c);
  m_cards.erase(apid);
}

// ------------------------------------------------------------- binding

void ApBus::bus_probe_device(ApDevice& dev) {
  if (!m_bus.drivers_autoprobe) return;
  m_bus.device_attach(dev, m_bus.drivers);
}

bool ApBus::match(const sysfs::BusDevice& dev, const sysfs::BusDriver& drv) const {
  return static_cast<const ApDriver&>(drv).matches(static_cast<const ApDevice&>(dev));
}

// ap_device_probe(): queues go to default drivers only when the masks
// reserve them, to other drivers only when they don't; an override names
// the one driver allowed.
Result<void> ApBus::probe(sysfs::BusDriver& d, sysfs::BusDevice& device) {
  auto& drv = static_cast<ApDriver&>(d);
  auto& dev = static_cast<ApDevice&>(device);
  if (!dev.is_card) {
    auto& q = static_cast<ApQueue&>(dev);
    if (!q.driver_override.empty()) {
      if (q.driver_override != drv.name()) return Errno{ENODEV};
    } else if (apqn_owned_by_def_drv(q.apid(), q.apqi) != drv.is_default()) {
      return Errno{ENODEV};
    }
    m_bindings_were_complete = false;  // reinit_completion()
  }
  return drv.probe(dev);
}

// ap_device_remove(), with ap_queue_prepare_remove() and ap_queue_remove().
void ApBus::remove(sysfs::BusDriver& d, sysfs::BusDevice& device) {
  auto& drv = static_cast<ApDriver&>(d);
  auto& dev = static_cast<ApDevice&>(device);
  if (!dev.is_card) {
    auto& q = static_cast<ApQueue&>(dev);
    q.dev_state = DevState::SHUTDOWN;
    q.requestq_count = q.pendingq_count = 0;
  }
  drv.remove(dev);
  if (!dev.is_card) {
    auto& q = static_cast<ApQueue&>(dev);
    m_engine.zapq(m_engine.host_view(), q.apid(), q.apqi);
    q.dev_state = DevState::UNINITIATED;
  }
}

bool ApBus::apqn_owned_by_def_drv(unsigned apid, unsigned apqi) const {
  if (m_driver_override_ctr) {
    ApQueue* q = queue(apid, apqi);
    if (q && !q->driver_override.empty()) return q->driver && q->ap_driver()->is_default();
  }
  return m_apmask.test(apid) && m_aqmask.test(apqi);
}

// ap_bus_revise_bindings(): reprobe every queue whose driver no longer fits.
void ApBus::revise_bindings() {
  for (auto& [id, c] : m_cards) {
    for (auto& q : c->queues) {
      bool fits;
      if (!q->driver_override.empty())
        fits = q->driver && q->driver->name() == q->driver_override;
      else
        fits = q->driver && q->ap_driver()->is_default() == (m_apmask.test(q->apid()) && m_aqmask.test(q->apqi));
      if (fits) continue;
      m_bus.device_release_driver(*q);
      bus_probe_device(*q);
    }
  }
}

std::pair<unsigned, unsigned> ApBus::bindings() const {
  unsigned bound = 0, total = 0;
  for_each_queue([&](const ApQueue& q) {
    ++total;
    bound += q.driver != nullptr;
  });
  return {bound, total};
}

void ApBus::check_bindings_complete() {
  if (m_scan_count < 1 || m_bindings_were_complete) return;
  auto [bound, total] = bindings();
  if (bound != total) return;
  m_bindings_were_complete = true;
  ++m_bindings_complete_count;
  m_uevents.send("change", "/devices/ap", "ap",
                 {"BINDINGS=complete", fmt::format("COMPLETECOUNT={}", m_bindings_complete_count)}, {});
}

// ---------------------------------------------------------- masks, params

Result<void> ApBus::mask_commit(Bitmap256& mask, const Bitmap256& newmask, bool adapters) {
  if (m_driver_override_ctr) return Errno{EINVAL};
  if (newmask == mask) return base::ok();
  Bitmap256 reserved = newmask.andnot(mask);
  if (reserved.any()) {
    for (auto& d : m_drivers) {
      auto r = adapters ? d->in_use(reserved, Bitmap256::all()) : d->in_use(Bitmap256::all(), reserved);
      if (!r) return Errno{EBUSY};
    }
  }
  mask = newmask;
  revise_bindings();
  m_uevents.send("change", "/devices/ap", "ap", {fmt::format("{}=0x{}\n", adapters ? "APMASK" : "AQMASK", mask.hex())}, {});
  return base::ok();
}

Result<void> ApBus::apmask_commit(const Bitmap256& newapm) { return mask_commit(m_apmask, newapm, true); }
Result<void> ApBus::aqmask_commit(const Bitmap256& newaqm) { return mask_commit(m_aqmask, newaqm, false); }

Result<void> ApBus::set_driver_override(ApQueue& q, std::string_view buf) {
  if (apmask_aqmask_in_use()) return Errno{EINVAL};
  // driver_set_override(): one character less than a page fits the show.
  if (buf.size() >= sysfs::PAGE_SIZE - 1) return Errno{EINVAL};
  buf = base::c_str(buf);
  bool had = !q.driver_override.empty();
  q.driver_override = std::string(buf.substr(0, buf.find('\n')));
  if (had && q.driver_override.empty()) --m_driver_override_ctr;
  if (!had && !q.driver_override.empty()) ++m_driver_override_ctr;
  return base::ok();
}

Result<void> ApBus::set_ap_domain(int domain) {
  if (domain < 0 || static_cast<unsigned>(domain) > max_domain_id() || !m_aqmask.test(static_cast<unsigned>(domain)))
    return Errno{EINVAL};
  m_ap_domain = domain;
  return base::ok();
}

// ------------------------------------------------------ cards and queues

Result<void> ApBus::card_set_config(ApCard& card, bool config) {
  set_card_state(card.id(), config, host_card(card.id())->chkstop);  // SCLP (de)configure
  card.config = config;
  send_uevent(card, "change", {fmt::format("CONFIG={}", config ? 1 : 0)});
  scan();
  return base::ok();
}

void ApBus::set_card_state(unsigned apid, bool config, bool chkstop) {
  CardConfig* cc = host_card(apid);
  if (!cc) return;
  cc->config = config;
  cc->chkstop = chkstop;
  m_engine.set_card_state(apid, config, chkstop);
}

void ApBus::sm_error(ApQueue& q, uint8_t rc) {
  q.dev_state = DevState::ERROR;
  q.last_err_rc = rc;
}

// ap_sm_event() with POLL until the queue settles or has to wait for the
// hardware (a reset or an interrupt enablement still running): RESET_START
// (RAPQ), RESET_WAIT (TAPQ until done, then AQIC), SETIRQ_WAIT (TAPQ until
// the I bit shows). A queue left waiting is polled again by poll().
void ApBus::run_queue_sm(ApQueue& q) {
  const ApView& v = m_engine.host_view();
  for (int polls = 0; polls < SM_POLLS_MAX; ++polls) {
    if (q.dev_state != DevState::OPERATING || !q.config || q.chkstop) return;
    switch (q.sm_state) {
      case SmState::RESET_START: {
        uint8_t rc = m_engine.rapq(v, q.apid(), q.apqi).response_code;
        if (rc != AP_RESPONSE_NORMAL && rc != AP_RESPONSE_RESET_IN_PROGRESS) return sm_error(q, rc);
        q.sm_state = SmState::RESET_WAIT;
        break;
      }
      case SmState::RESET_WAIT: {
        ApQueueStatus st = m_engine.tapq(v, q.apid(), q.apqi).status;
        if (st.response_code == AP_RESPONSE_BUSY || st.response_code == AP_RESPONSE_RESET_IN_PROGRESS) break;
        if (st.response_code != AP_RESPONSE_NORMAL) return sm_error(q, st.response_code);
        // ap_queue_enable_irq(): AQIC with the adapter-interrupt indicator.
        if (interrupts() && m_engine.aqic(v, q.apid(), q.apqi, true, AP_NIB_ADDRESS).response_code == AP_RESPONSE_NORMAL)
          q.sm_state = SmState::SETIRQ_WAIT;
        else
          q.sm_state = q.pendingq_count > 0 ? SmState::WORKING : SmState::IDLE;
        break;
      }
      case SmState::SETIRQ_WAIT: {
        ApQueueStatus st = m_engine.tapq(v, q.apid(), q.apqi).status;
        if (st.response_code != AP_RESPONSE_NORMAL) return sm_error(q, st.response_code);
        if (!st.irq_enabled) break;
        q.sm_state = q.pendingq_count > 0 ? SmState::WORKING : SmState::IDLE;
        break;
      }
      default: return;
    }
  }
}

void ApBus::poll() {
  for_each_queue([&](ApQueue& q) {
    if (q.sm_state == SmState::RESET_START || q.sm_state == SmState::RESET_WAIT || q.sm_state == SmState::SETIRQ_WAIT)
      run_queue_sm(q);
  });
}

void ApBus::queue_init_state(ApQueue& q) {
  q.dev_state = DevState::OPERATING;
  q.sm_state = SmState::RESET_START;
  q.requestq_count = q.pendingq_count = 0;
  run_queue_sm(q);
}

void ApBus::queue_reset(ApQueue& q) {
  q.requestq_count = q.pendingq_count = 0;  // __ap_flush_queue()
  q.sm_state = SmState::RESET_START;
  run_queue_sm(q);
}

// ------------------------------------------------- the host's requests

Result<void> ApBus::host_owns(const ApQueue& q) const {
  if (!q.driver || !q.ap_driver()->is_default() || q.dev_state != DevState::OPERATING) return Errno{ENODEV};
  return base::ok();
}

// ap_queue_message() + ap_sm_write(): counted as the kernel counts them.
Result<ApQueueStatus> ApBus::host_nqap(ApQueue& q, uint64_t psmid, std::span<const uint8_t> msg, bool special) {
  SIM_TRY_VOID(host_owns(q));
  ApQueueStatus st = m_engine.nqap(m_engine.host_view(), q.apid(), q.apqi, psmid, msg, special);
  if (st.response_code != AP_RESPONSE_NORMAL) return st;
  ++q.total_request_count;
  ++q.card->total_request_count;
  ++q.pendingq_count;
  q.sm_state = st.queue_full ? SmState::QUEUE_FULL : SmState::WORKING;
  return st;
}

// ap_sm_recv(): a whole reply ends one pending request.
Result<ApEngine::DqapResult> ApBus::host_dqap(ApQueue& q, std::span<uint8_t> buf) {
  SIM_TRY_VOID(host_owns(q));
  auto r = m_engine.dqap(m_engine.host_view(), q.apid(), q.apqi, buf);
  if (r.status.response_code == AP_RESPONSE_NORMAL && r.residual == 0 && q.pendingq_count > 0) --q.pendingq_count;
  if (q.sm_state == SmState::WORKING || q.sm_state == SmState::QUEUE_FULL)
    q.sm_state = q.pendingq_count > 0 ? SmState::WORKING : SmState::IDLE;
  return r;
}

}  // namespace ap
