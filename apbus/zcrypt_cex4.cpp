// cex4card / cex4queue (zcrypt_cex4.c) and the attributes zcrypt adds while
// they are bound (zcrypt_card.c, zcrypt_queue.c): type, online, load, and
// the CCA/EP11 groups.
#include "apbus/zcrypt_cex4.h"

#include <fmt/format.h>

#include "apbus/ap_bus.h"
#include "apbus/msgtype6.h"
#include "base/hex.h"
#include "base/kstrto.h"
#include "sysfs-fs/tree/node.h"

namespace ap {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

// ------------------------------------------------------------------ card

Show type_show(ApCard& c) {
  char mode = c.hwinfo.has(ApHwinfo::ACCEL) ? 'A' : c.hwinfo.has(ApHwinfo::CCA) ? 'C' : 'P';
  return fmt::format("CEX{}{}\n", c.device_type - AP_DEVICE_TYPE_CEX4 + 4, mode);
}

Show online_show(ApCard& c) { return fmt::format("{}\n", c.config && !c.chkstop && c.zcrypt_online ? 1 : 0); }
// Errors in order: EINVAL (not 0 or 1), ENODEV (1 on a deconfigured or
// checkstopped card). The value is passed on to every queue.
Store online_store(ApCard& c, std::string_view buf) {
  auto v = base::sscanf_int(buf);
  if (!v || (*v != 0 && *v != 1)) return Errno{EINVAL};
  bool online = *v == 1;
  if (online && (!c.config || c.chkstop)) return Errno{ENODEV};
  c.zcrypt_online = online;
  c.bus->send_uevent(c, "change", {fmt::format("ONLINE={}", *v)});
  for (auto& q : c.queues) {
    if (!q->driver || q->driver->name() != "cex4queue" || q->zcrypt_online == online) continue;
    q->zcrypt_online = online;
    if (!online) q->requestq_count = q->pendingq_count = 0;
    c.bus->send_uevent(*q, "change", {fmt::format("ONLINE={}", *v)});
  }
  return buf.size();
}

Show load_show(ApCard& c) { return fmt::format("{}\n", c.load); }

// CCA: queried at the default domain; no domain, no answer.
Show serialnr_show(ApCard& c) {
  if (c.bus->ap_domain() < 0) return std::string("\n");
  return c.cfg.serialnr + "\n";
}

Show ep11_serialnr_show(ApCard& c) {
  if (c.cfg.serialnr.empty()) return std::string("\n");
  return fmt::format("{:>16.16}\n", c.cfg.serialnr);
}
// No EP11 module information is simulated: the kernel prints an empty line.
Show API_ordinalnr_show(ApCard&) { return std::string("\n"); }
Show FW_version_show(ApCard&) { return std::string("\n"); }
Show op_modes_show(ApCard&) { return std::string("\n"); }

const sysfs::AttrOps card_attrs[] = {SYSFS_ATTR_RO(ApCard, type), SYSFS_ATTR_RW(ApCard, online), SYSFS_ATTR_RO(ApCard, load)};
const sysfs::AttrOps cca_card_attrs[] = {SYSFS_ATTR_RO(ApCard, serialnr)};
const sysfs::AttrOps ep11_card_attrs[] = {
    SYSFS_ATTR_RO(ApCard, API_ordinalnr), SYSFS_ATTR_RO(ApCard, FW_version),
    sysfs::AttrOps{"serialnr", 0444, sysfs::show_thunk<ApCard, ep11_serialnr_show>, nullptr},
    SYSFS_ATTR_RO(ApCard, op_modes)};

// ----------------------------------------------------------------- queue

Show q_online_show(ApQueue& q) { return fmt::format("{}\n", q.config && !q.chkstop && q.zcrypt_online ? 1 : 0); }
// Errors in order: EINVAL (not 0 or 1), ENODEV (1 while queue or card is
// deconfigured or checkstopped), EINVAL (1 while the card is offline).
Store q_online_store(ApQueue& q, std::string_view buf) {
  auto v = base::sscanf_int(buf);
  if (!v || (*v != 0 && *v != 1)) return Errno{EINVAL};
  bool online = *v == 1;
  if (online && (!q.config || !q.card->config || q.chkstop || q.card->chkstop)) return Errno{ENODEV};
  if (online && !q.card->zcrypt_online) return Errno{EINVAL};
  q.zcrypt_online = online;
  if (!online) q.requestq_count = q.pendingq_count = 0;
  q.bus->send_uevent(q, "change", {fmt::format("ONLINE={}", *v)});
  return buf.size();
}

Show q_load_show(ApQueue& q) { return fmt::format("{}\n", q.load); }

// cca_get_info() asks the card (FQ); a queue that cannot answer shows "- -".
bool answers(ApQueue& q) {
  if (!q.zcrypt_online || !q.config || q.chkstop || !q.card->config || q.card->chkstop) return false;
  ApEngine& e = q.bus->engine();
  QueueFaults f = e.faults(q.apid(), q.apqi);
  return !f.fail && !f.stall && e.tapq(e.host_view(), q.apid(), q.apqi).status.response_code == AP_RESPONSE_NORMAL;
}

Show cca_mkvps_show(ApQueue& q) {
  static const char* const kinds[] = {"AES", "APKA", "ASYM"};
  static const char* const slots[] = {"NEW", "CUR", "OLD"};
  static const char* const new_state[] = {"empty", "partial", "full"};
  static const char* const cao_state[] = {"invalid", "valid"};
  std::optional<CcaMasterKeys> mk;
  if (answers(q)) mk = cca_master_keys(q.card->cfg, q.apqi);
  std::string s;
  for (int k : {CcaMasterKeys::AES, CcaMasterKeys::APKA, CcaMasterKeys::ASYM}) {
    for (int slot : {CcaMasterKeys::NEW, CcaMasterKeys::CUR, CcaMasterKeys::OLD}) {
      const char st = mk ? mk->reg[k][slot].state : 0;
      const char last = slot == CcaMasterKeys::NEW ? '3' : '2';
      if (st >= '1' && st <= last)
        s += fmt::format("{} {}: {} 0x{}\n", kinds[k], slots[slot],
                         (slot == CcaMasterKeys::NEW ? new_state : cao_state)[st - '1'], base::to_hex(mk->reg[k][slot].mkvp));
      else
        s += fmt::format("{} {}: - -\n", kinds[k], slots[slot]);
    }
  }
  return s;
}
Show ep11_mkvps_show(ApQueue&) { return std::string("WK CUR: - -\nWK NEW: - -\n"); }
Show q_op_modes_show(ApQueue&) { return std::string("\n"); }

const sysfs::AttrOps queue_attrs[] = {
    sysfs::AttrOps{"online", 0644, sysfs::show_thunk<ApQueue, q_online_show>, sysfs::store_thunk<ApQueue, q_online_store>},
    sysfs::AttrOps{"load", 0444, sysfs::show_thunk<ApQueue, q_load_show>, nullptr}};
const sysfs::AttrOps cca_queue_attrs[] = {sysfs::AttrOps{"mkvps", 0444, sysfs::show_thunk<ApQueue, cca_mkvps_show>, nullptr}};
const sysfs::AttrOps ep11_queue_attrs[] = {
    sysfs::AttrOps{"mkvps", 0444, sysfs::show_thunk<ApQueue, ep11_mkvps_show>, nullptr},
    sysfs::AttrOps{"op_modes", 0444, sysfs::show_thunk<ApQueue, q_op_modes_show>, nullptr}};

// Accelerators get no extra group; precedence accel > cca > ep11.
std::span<const sysfs::AttrOps> mode_group(const ApHwinfo& hw, std::span<const sysfs::AttrOps> cca, std::span<const sysfs::AttrOps> ep11) {
  if (hw.has(ApHwinfo::ACCEL)) return {};
  if (hw.has(ApHwinfo::CCA)) return cca;
  if (hw.has(ApHwinfo::EP11)) return ep11;
  return {};
}

class Cex4CardDriver final : public ApDriver {
 public:
  Cex4CardDriver() : ApDriver("cex4card", "zcrypt_cex4", FLAG_DEFAULT, true) {}
  Result<void> probe(ApDevice& dev) override {
    auto& c = static_cast<ApCard&>(dev);
    c.zcrypt_online = true;
    c.dir->add_attrs(card_attrs, &c);
    c.dir->add_attrs(mode_group(c.hwinfo, cca_card_attrs, ep11_card_attrs), &c);
    return base::ok();
  }
  void remove(ApDevice& dev) override {
    auto& c = static_cast<ApCard&>(dev);
    c.dir->remove_attrs(mode_group(c.hwinfo, cca_card_attrs, ep11_card_attrs));
    c.dir->remove_attrs(card_attrs);
    c.zcrypt_online = false;
  }
};

class Cex4QueueDriver final : public ApDriver {
 public:
  Cex4QueueDriver() : ApDriver("cex4queue", "zcrypt_cex4", FLAG_DEFAULT, false) {}
  Result<void> probe(ApDevice& dev) override {
    auto& q = static_cast<ApQueue&>(dev);
    q.bus->queue_init_state(q);
    q.zcrypt_online = true;
    q.dir->add_attrs(queue_attrs, &q);
    q.dir->add_attrs(mode_group(q.card->hwinfo, cca_queue_attrs, ep11_queue_attrs), &q);
    return base::ok();
  }
  void remove(ApDevice& dev) override {
    auto& q = static_cast<ApQueue&>(dev);
    q.dir->remove_attrs(mode_group(q.card->hwinfo, cca_queue_attrs, ep11_queue_attrs));
    q.dir->remove_attrs(queue_attrs);
    q.zcrypt_online = false;
  }
};

}  // namespace

std::unique_ptr<ApDriver> make_cex4card_driver() { return std::make_unique<Cex4CardDriver>(); }
std::unique_ptr<ApDriver> make_cex4queue_driver() { return std::make_unique<Cex4QueueDriver>(); }

}  // namespace ap
