// Attributes of /sys/devices/ap/cardXX/XX.YYYY (ap_queue.c ap_queue_dev_attrs[]).
#include <fmt/format.h>

#include "apbus/ap_bus.h"

namespace ap {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

bool initiated(const ApQueue& q) { return q.dev_state > DevState::UNINITIATED; }

Show request_count_show(ApQueue& q) {
  return initiated(q) ? fmt::format("{}\n", q.total_request_count) : std::string("-\n");
}
Store request_count_store(ApQueue& q, std::string_view buf) {
  q.total_request_count = 0;
  return buf.size();
}
Show requestq_count_show(ApQueue& q) { return fmt::format("{}\n", initiated(q) ? q.requestq_count : 0); }
Show pendingq_count_show(ApQueue& q) { return fmt::format("{}\n", initiated(q) ? q.pendingq_count : 0); }

Show reset_show(ApQueue& q) {
  switch (q.sm_state) {
    case SmState::RESET_START:
    case SmState::RESET_WAIT: return std::string("Reset in progress.\n");
    case SmState::WORKING:
    case SmState::QUEUE_FULL: return std::string("Reset Timer armed.\n");
    default: return std::string("No Reset Timer set.\n");
  }
}
// Any write flushes the queue and restarts the reset state machine.
Store reset_store(ApQueue& q, std::string_view buf) {
  q.bus->queue_reset(q);
  return buf.size();
}

// While AQIC is pending, else the I bit of a live TAPQ.
Show interrupt_show(ApQueue& q) {
  if (q.sm_state == SmState::SETIRQ_WAIT) return std::string("Enable Interrupt pending.\n");
  bool on = q.bus->tapq(q.apid(), q.apqi).status.irq_enabled;
  return std::string(on ? "Interrupts enabled.\n" : "Interrupts disabled.\n");
}

Show config_show(ApQueue& q) { return fmt::format("{}\n", q.config ? 1 : 0); }
Show chkstop_show(ApQueue& q) { return fmt::format("{}\n", q.chkstop ? 1 : 0); }

// A live TAPQ: deconfigured (3), checkstopped (4) and busy (5) still carry
// the info; anything worse is EIO.
Show ap_functions_show(ApQueue& q) {
  auto r = q.bus->tapq(q.apid(), q.apqi);
  if (r.status.response_code > AP_RESPONSE_BUSY) return Errno{EIO};
  return fmt::format("0x{:08X}\n", ApHwinfo{r.hwinfo}.fac());
}

Show driver_override_show(ApQueue& q) { return q.driver_override + "\n"; }
// Errors: EINVAL (apmask or aqmask is not all ones, or the name is too long).
Store driver_override_store(ApQueue& q, std::string_view buf) {
  SIM_TRY_VOID(q.bus->set_driver_override(q, buf));
  return buf.size();
}

const sysfs::AttrOps queue_attrs[] = {
    SYSFS_ATTR_RW(ApQueue, request_count), SYSFS_ATTR_RO(ApQueue, requestq_count),
    SYSFS_ATTR_RO(ApQueue, pendingq_count), SYSFS_ATTR_RW(ApQueue, reset),
    SYSFS_ATTR_RO(ApQueue, interrupt),     SYSFS_ATTR_RO(ApQueue, config),
    SYSFS_ATTR_RO(ApQueue, chkstop),       SYSFS_ATTR_RO(ApQueue, ap_functions),
    SYSFS_ATTR_RW(ApQueue, driver_override),
};

}  // namespace

std::span<const sysfs::AttrOps> ap_queue_attrs() { return queue_attrs; }

}  // namespace ap
