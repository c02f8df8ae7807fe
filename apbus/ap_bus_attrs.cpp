// /sys/bus/ap: the bus attributes (ap_bus.c ap_bus_attrs[], in its order),
// the driver-core bus files, the driver directories' files and the `uevent`
// file every AP device has. Each callback parses, calls one ApBus function
// and formats.
#include <fmt/format.h>

#include "apbus/ap_bus.h"
#include "base/kstrto.h"

namespace ap {
namespace {

using base::Errno;
using Show = Result<std::string>;
using Store = Result<size_t>;

std::string mask_text(const Bitmap256& m) { return "0x" + m.hex() + "\n"; }

Show ap_domain_show(ApBus& bus) { return fmt::format("{}\n", bus.ap_domain()); }
// Errors: EINVAL (not a number, out of range, or not in aqmask).
Store ap_domain_store(ApBus& bus, std::string_view buf) {
  auto d = base::sscanf_int(buf, 0);
  if (!d) return Errno{EINVAL};
  SIM_TRY_VOID(bus.set_ap_domain(*d));
  return buf.size();
}

Show ap_control_domain_mask_show(ApBus& bus) { return mask_text(bus.qci_adm()); }
Show ap_usage_domain_mask_show(ApBus& bus) { return mask_text(bus.qci_aqm()); }
Show ap_adapter_mask_show(ApBus& bus) { return mask_text(bus.qci_apm()); }

Show config_time_show(ApBus& bus) { return fmt::format("{}\n", bus.config_time); }
// Errors: EINVAL (not a number, or outside 5..120 seconds).
Store config_time_store(ApBus& bus, std::string_view buf) {
  auto t = base::sscanf_int(buf);
  if (!t || *t < 5 || *t > 120) return Errno{EINVAL};
  bus.config_time = *t;
  return buf.size();
}

Show poll_thread_show(ApBus& bus) { return fmt::format("{}\n", bus.poll_thread ? 1 : 0); }
// Errors: EINVAL (kstrtobool). Starting is a no-op while interrupts are used.
Store poll_thread_store(ApBus& bus, std::string_view buf) {
  bool on = SIM_TRY(base::kstrtobool(buf));
  bus.poll_thread = on && !bus.interrupts();
  return buf.size();
}

Show ap_interrupts_show(ApBus& bus) { return fmt::format("{}\n", bus.interrupts() ? 1 : 0); }

Show poll_timeout_show(ApBus& bus) { return fmt::format("{}\n", bus.poll_timeout); }
// Errors: EINVAL/ERANGE (kstrtoul), EINVAL (above 120 s).
Store poll_timeout_store(ApBus& bus, std::string_view buf) {
  uint64_t t = SIM_TRY(base::kstrtoul(buf));
  if (t > 120000000000ULL) return Errno{EINVAL};
  bus.poll_timeout = t;
  return buf.size();
}

Show ap_max_domain_id_show(ApBus& bus) { return fmt::format("{}\n", bus.max_domain_id()); }
Show ap_max_adapter_id_show(ApBus& bus) { return fmt::format("{}\n", bus.max_adapter_id()); }

// Errors in order: EINVAL (a driver_override is set), EINVAL (parse),
// EBUSY (newly reserved APQNs are assigned to an mdev).
template <const Bitmap256& (ApBus::*Mask)() const, Result<void> (ApBus::*Commit)(const Bitmap256&)>
Store mask_store(ApBus& bus, std::string_view buf) {
  auto m = SIM_TRY(base::parse_bitmap_str(buf, (bus.*Mask)()));
  SIM_TRY_VOID((bus.*Commit)(m));
  return buf.size();
}

Show apmask_show(ApBus& bus) { return mask_text(bus.apmask()); }
Store apmask_store(ApBus& bus, std::string_view buf) { return mask_store<&ApBus::apmask, &ApBus::apmask_commit>(bus, buf); }
Show aqmask_show(ApBus& bus) { return mask_text(bus.aqmask()); }
Store aqmask_store(ApBus& bus, std::string_view buf) { return mask_store<&ApBus::aqmask, &ApBus::aqmask_commit>(bus, buf); }

Show scans_show(ApBus& bus) { return fmt::format("{}\n", bus.scan_count()); }
// Any write forces a synchronous rescan (ap_bus_force_rescan()).
Store scans_store(ApBus& bus, std::string_view buf) {
  if (bus.scan_count() >= 1) bus.scan();
  return buf.size();
}

Show bindings_show(ApBus& bus) {
  auto [bound, total] = bus.bindings();
  bool complete = bus.scan_count() >= 1 && bound == total;
  return fmt::format("{}/{}{}\n", bound, total, complete ? " (complete)" : "");
}

Show bindings_complete_count_show(ApBus& bus) { return fmt::format("{}\n", bus.bindings_complete_count()); }

// Quirk kept from features_show(): with QCI but no flag, the read is empty.
Show features_show(ApBus& bus) {
  const QciFlags& f = bus.host().qci;
  std::string s;
  for (auto [on, name] : {std::pair{f.apsc, "APSC "}, {f.apxa, "APXA "}, {f.qact, "QACT "}, {f.rc8a, "RC8A "}, {f.apsb, "APSB "}})
    if (on) s += name;
  if (!s.empty()) s.back() = '\n';
  return s;
}

const sysfs::AttrOps bus_attrs[] = {
    SYSFS_ATTR_RW(ApBus, ap_domain),
    SYSFS_ATTR_RO(ApBus, ap_control_domain_mask),
    SYSFS_ATTR_RO(ApBus, ap_usage_domain_mask),
    SYSFS_ATTR_RO(ApBus, ap_adapter_mask),
    SYSFS_ATTR_RW(ApBus, config_time),
    SYSFS_ATTR_RW(ApBus, poll_thread),
    SYSFS_ATTR_RO(ApBus, ap_interrupts),
    SYSFS_ATTR_RW(ApBus, poll_timeout),
    SYSFS_ATTR_RO(ApBus, ap_max_domain_id),
    SYSFS_ATTR_RO(ApBus, ap_max_adapter_id),
    SYSFS_ATTR_RW(ApBus, apmask),
    SYSFS_ATTR_RW(ApBus, aqmask),
    SYSFS_ATTR_RW(ApBus, scans),
    SYSFS_ATTR_RO(ApBus, bindings),
    SYSFS_ATTR_RO(ApBus, bindings_complete_count),
    SYSFS_ATTR_RO(ApBus, features),
};

}  // namespace

std::span<const sysfs::AttrOps> ap_bus_attrs() { return bus_attrs; }

}  // namespace ap
