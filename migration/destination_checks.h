// What the destination's vfio_ap checks once the last byte of the migration
// data has arrived (do_post_copy_validation(), spec §8 and seed 004), in the
// kernel's order: every queue bound to vfio_ap here (ENODEV), every control
// domain in this host's configuration (ENODEV), every queue's hardware
// information compatible with the source's (EINVAL; a TAPQ that fails gives
// ENODEV or EIO). Pure functions of the source configuration and what the
// destination host answers, shared by the live migration and the snapshot
// check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "migration/ap_config_stream.h"

namespace migration {

// The destination host as the checks see it.
class TargetHost {
 public:
  virtual ~TargetHost() = default;
  // ap_get_qdev() finds the queue device and vfio_ap is its driver.
  virtual bool bound_to_vfio_ap(unsigned apid, unsigned apqi) const = 0;
  // ap_test_config_ctrl_domain(): in the host's QCI control-domain mask.
  virtual bool control_domain(unsigned dom) const = 0;
  struct Tapq {
    uint8_t rc;  // response code
    bool async;  // the status word's asynchronous-error bit
    uint64_t hwinfo;
  };
  virtual Tapq tapq(unsigned apid, unsigned apqi) const = 0;
};

// One kernel log line (pr_err_ratelimited; the text has its "vfio_ap_mdev
// UUID: " prefix) with the function and call site it comes from, which the
// kernel's per-call-site ratelimit needs.
struct LogLine {
  const char* func;
  std::string site;
  std::string text;
  int apqn = -1;  // the queue whose TAPQ failed, on "Failed to get hwinfo" lines
};

// The seed's hardware-capability table: a source queue's hardware
// information may move to a target queue's (queue_hardware_info_is_compatible()).
bool hwinfo_compatible(uint64_t src, uint64_t dst);
// report_qinfo_incompatibilities(): the header line, then one or two lines
// per incompatible capability, in the kernel's order.
void report_incompatibilities(std::string_view mdev, unsigned apid, unsigned apqi, uint64_t src, uint64_t dst,
                              std::vector<LogLine>& log);

// The three steps; each logs every problem it finds (not just the first).
bool queues_available(std::string_view mdev, const ApConfig& src, const TargetHost& host, std::vector<LogLine>& log);
bool control_domains_available(std::string_view mdev, const ApConfig& src, const TargetHost& host,
                               std::vector<LogLine>& log);
// 0, or the errno of the last queue that failed (EINVAL, ENODEV, EIO).
int verify_compatible(std::string_view mdev, const ApConfig& src, const TargetHost& host, std::vector<LogLine>& log);

// get_hardware_info_for_queue(): 0 with the word in `hwinfo`, or ENODEV/EIO
// and the "Failed to get hwinfo" line; the source's STOP_COPY read uses it
// too.
int hardware_info(std::string_view mdev, unsigned apid, unsigned apqi, const TargetHost::Tapq& t,
                  std::vector<LogLine>& log);

// do_post_copy_validation(): the steps in order; the first that fails ends
// it. 0 or the errno.
int post_copy_validation(std::string_view mdev, const ApConfig& src, const TargetHost& host, std::vector<LogLine>& log);

}  // namespace migration
