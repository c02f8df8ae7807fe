#include "migration/destination_checks.h"

#include <fmt/format.h>

#include "apbus/ap_engine.h"  // the response codes
#include "apbus/ap_hwinfo.h"

namespace migration {
namespace {

using ap::ApHwinfo;

// The bits that must match, and then some (QINFO_DATA_MASK): facilities,
// mode, APXA, SLCF, the classification, the BS field and the AP type.
constexpr uint64_t QINFO_DATA_MASK = 0xffffc000ff000000;
constexpr unsigned CLASSIFICATION_NATIVE_FCN = 0x80;

unsigned classification(uint64_t v) { return (v >> 48) & 0xff; }

// Full native function on the source needs it on the target; a stateless
// source runs on either.
bool classes_compatible(uint64_t src, uint64_t dst) {
  bool s = classification(src) & CLASSIFICATION_NATIVE_FCN, t = classification(dst) & CLASSIFICATION_NATIVE_FCN;
  return s == t || !s;
}

std::string apqn_text(unsigned apid, unsigned apqi) { return fmt::format("{:02x}.{:04x}", apid, apqi); }

// The capabilities that must be equal, in the order the kernel reports
// them, with the words of its messages.
struct Capability {
  uint64_t bit;
  const char* func;
  const char* name;
  const char* have;  // "installed" or "available"
};
constexpr Capability EQUAL_CAPS[] = {
    {ApHwinfo::APSC, "report_facilities_compatibility", "APSC facility", "installed"},
    {ApHwinfo::MEX4K, "report_facilities_compatibility", "mex4k facility", "installed"},
    {ApHwinfo::CRT4K, "report_facilities_compatibility", "crt4k facility", "installed"},
    {ApHwinfo::CCA, "report_mode_compatibility", "Coprocessor-mode facility", "installed"},
    {ApHwinfo::ACCEL, "report_mode_compatibility", "Accelerator-mode facility", "installed"},
    {ApHwinfo::EP11, "report_mode_compatibility", "XCP-mode facility", "installed"},
    {ApHwinfo::APXA, "report_apxa_compatibility", "AP-extended-addressing (APXA) facility", "installed"},
    {ApHwinfo::SLCF, "report_slcf_compatibility", "Stateless-command-filtering (SLCF)", "available"},
};

}  // namespace

bool hwinfo_compatible(uint64_t src, uint64_t dst) {
  const ApHwinfo s{src}, t{dst};
  if (s.bs() || t.bs()) return false;
  if ((src & QINFO_DATA_MASK) == (dst & QINFO_DATA_MASK)) return true;
  constexpr uint64_t equal = ApHwinfo::APSC | ApHwinfo::MEX4K | ApHwinfo::CRT4K | ApHwinfo::CCA | ApHwinfo::ACCEL |
                             ApHwinfo::EP11 | ApHwinfo::APXA | ApHwinfo::SLCF;
  return (src & equal) == (dst & equal) && s.at() <= t.at() && classes_compatible(src, dst);
}

void report_incompatibilities(std::string_view mdev, unsigned apid, unsigned apqi, uint64_t src, uint64_t dst,
                              std::vector<LogLine>& log) {
  const std::string q = apqn_text(apid, apqi);
  log.push_back({"report_qinfo_incompatibilities", "header",
                 fmt::format("vfio_ap_mdev {}: Migration failed: Source and target queue ({}) not compatible", mdev, q)});
  for (const Capability& c : EQUAL_CAPS) {
    bool s = src & c.bit, t = dst & c.bit;
    if (s == t) continue;
    // Four call sites each: source with / target without, and the reverse.
    const char* dir = s ? "+" : "-";
    log.push_back({c.func, fmt::format("{}{}source", c.name, dir),
                   fmt::format("vfio_ap_mdev {}: {} {}{} in source queue {}", mdev, c.name, s ? "" : "not ", c.have, q)});
    log.push_back({c.func, fmt::format("{}{}target", c.name, dir),
                   fmt::format("vfio_ap_mdev {}: {} {}{} in target queue {}", mdev, c.name, t ? "" : "not ", c.have, q)});
  }
  const ApHwinfo s{src}, t{dst};
  if (s.at() > t.at())
    log.push_back({"report_aptype_compatibility", "at",
                   fmt::format("vfio_ap_mdev {}: AP type of source ({:02x}) not compatible with target ({:02x})", mdev, s.at(), t.at())});
  if (s.bs() || t.bs())
    log.push_back({"report_bs_compatibility", "bs",
                   fmt::format("vfio_ap_mdev {}: Bind/associate state for source ({:01x}) and target ({:01x}) queue {} must be 0",
                               mdev, s.bs(), t.bs(), q)});
  if (!classes_compatible(src, dst)) {
    log.push_back({"report_class_compatibility", "class-source",
                   fmt::format("vfio_ap_mdev {}: Full native card function available on source queue {}", mdev, q)});
    log.push_back({"report_class_compatibility", "class-target",
                   fmt::format("vfio_ap_mdev {}: Only stateless functions available on target queue {}", mdev, q)});
  }
}

bool queues_available(std::string_view mdev, const ApConfig& src, const TargetHost& host, std::vector<LogLine>& log) {
  bool ok = true;
  for (const QueueInfo& qi : src.queues) {
    if (host.bound_to_vfio_ap(qi.apid(), qi.apqi())) continue;
    log.push_back({"queues_available", "queue",
                   fmt::format("vfio_ap_mdev {}: Queue {} not available to vfio_ap driver on target host", mdev,
                               apqn_text(qi.apid(), qi.apqi()))});
    ok = false;
  }
  return ok;
}

bool control_domains_available(std::string_view mdev, const ApConfig& src, const TargetHost& host,
                               std::vector<LogLine>& log) {
  bool ok = true;
  src.adm.for_each([&](unsigned dom) {
    if (host.control_domain(dom)) return;
    log.push_back({"control_domains_available", "cdom",
                   fmt::format("vfio_ap_mdev: {}: Control domain {:04x} not available on the destination host", mdev, dom)});
    ok = false;
  });
  return ok;
}

int hardware_info(std::string_view mdev, unsigned apid, unsigned apqi, const TargetHost::Tapq& t, std::vector<LogLine>& log) {
  switch (t.rc) {
    case ap::AP_RESPONSE_NORMAL:
    case ap::AP_RESPONSE_RESET_IN_PROGRESS:
    case ap::AP_RESPONSE_DECONFIGURED:
    case ap::AP_RESPONSE_CHECKSTOPPED:
    case ap::AP_RESPONSE_BUSY: return 0;  // the information comes with all of these
    default:
      if (t.rc != ap::AP_RESPONSE_Q_NOT_AVAIL && t.async) return 0;
      log.push_back({"get_hardware_info_for_queue", t.rc == ap::AP_RESPONSE_Q_NOT_AVAIL ? "enodev" : "eio",
                     fmt::format("vfio_ap_mdev {}: Failed to get hwinfo for queue {}: TAPQ rc={}", mdev,
                                 apqn_text(apid, apqi), t.rc),
                     static_cast<int>(apid << 8 | apqi)});
      return t.rc == ap::AP_RESPONSE_Q_NOT_AVAIL ? ENODEV : EIO;
  }
}

int verify_compatible(std::string_view mdev, const ApConfig& src, const TargetHost& host, std::vector<LogLine>& log) {
  int err = 0;
  for (const QueueInfo& qi : src.queues) {
    const TargetHost::Tapq t = host.tapq(qi.apid(), qi.apqi());
    if (int e = hardware_info(mdev, qi.apid(), qi.apqi(), t, log)) {
      err = e;  // logged; go on so that every problem shows at once
      continue;
    }
    if (hwinfo_compatible(qi.data, t.hwinfo)) continue;
    report_incompatibilities(mdev, qi.apid(), qi.apqi(), qi.data, t.hwinfo, log);
    err = EINVAL;
  }
  return err;
}

int post_copy_validation(std::string_view mdev, const ApConfig& src, const TargetHost& host, std::vector<LogLine>& log) {
  if (!queues_available(mdev, src, host, log)) return ENODEV;
  if (!control_domains_available(mdev, src, host, log)) return ENODEV;
  return verify_compatible(mdev, src, host, log);
}

}  // namespace migration
