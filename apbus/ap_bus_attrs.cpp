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

Show drivers_autoprobe_show(ApBus& bus) { return fmt::format("{}\n", bus.drivers_autoprobe ? 1 : 0); }
Store drivers_autoprobe_store(ApBus& bus, std::string_view buf) {
  bus.drivers_autoprobe = buf[0] != '0';
  return buf.size();
}

// Errors: ENODEV (no such device). Binding nothing is not an error.
Store drivers_probe_store(ApBus& bus, std::string_view buf) {
  SIM_TRY_VOID(bus.drivers_probe(base::streq_name(buf)));
  return buf.size();
}

// The bus kobject's uevent: SUBSYSTEM is the kset name "bus".
Store bus_uevent_store(ApBus& bus, std::string_view buf) {
  SIM_TRY_VOID(bus.uevents().synth(buf, "/bus/ap", "bus", {}));
  return buf.size();
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
    SYSFS_ATTR_RW(ApBus, drivers_autoprobe),
    SYSFS_ATTR_WO(ApBus, drivers_probe),
    sysfs::AttrOps{"uevent", 0200, nullptr, sysfs::store_thunk<ApBus, bus_uevent_store>},
};

// ------------------------------------------------------ driver directory

// Errors in order: ENODEV (no such device, or not of the driver's types),
// EBUSY (already bound), ENODEV (the probe refuses: masks or override).
Store bind_store(ApDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.bus->bind(drv, base::streq_name(buf)));
  return buf.size();
}

// Errors: ENODEV (no such device, or not bound to this driver).
Store unbind_store(ApDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.bus->unbind(drv, base::streq_name(buf)));
  return buf.size();
}

Store driver_uevent_store(ApDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.bus->uevents().synth(buf, "/bus/ap/drivers/" + drv.name(), "drivers", {}));
  return buf.size();
}

const sysfs::AttrOps driver_attrs[] = {
    SYSFS_ATTR_WO(ApDriver, bind),
    SYSFS_ATTR_WO(ApDriver, unbind),
    sysfs::AttrOps{"uevent", 0200, nullptr, sysfs::store_thunk<ApDriver, driver_uevent_store>},
};

// --------------------------------------------------- device `uevent` file

Show device_uevent_show(ApDevice& dev) {
  std::string s;
  for (auto& v : dev.bus->uevent_vars(dev)) s += v + "\n";
  return s;
}

// Kernel: uevent_store() + kobject_synth_uevent(), with both log lines.
Store device_uevent_store(ApDevice& dev, std::string_view buf) {
  auto r = dev.bus->uevents().synth(buf, dev.bus->devpath(dev), "ap", dev.bus->uevent_vars(dev));
  if (!r) {
    dev.bus->klog().log(base::LogLevel::ERR, fmt::format("{} {}: uevent: failed to send synthetic uevent: -{}",
                                                         dev.driver ? dev.driver->name() : "ap", dev.name, r.error().code));
    return r.error();
  }
  return buf.size();
}

}  // namespace

const sysfs::AttrOps ap_device_uevent_attr = {"uevent", 0644, sysfs::show_thunk<ApDevice, device_uevent_show>,
                                               sysfs::store_thunk<ApDevice, device_uevent_store>};

std::span<const sysfs::AttrOps> ap_bus_attrs() { return bus_attrs; }
std::span<const sysfs::AttrOps> ap_driver_attrs() { return driver_attrs; }

}  // namespace ap
