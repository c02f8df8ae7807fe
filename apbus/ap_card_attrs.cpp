// Attributes of /sys/devices/ap/cardXX (ap_card.c ap_card_dev_attrs[]).
#include <fmt/format.h>

#include "apbus/ap_bus.h"
#include "base/kstrto.h"

namespace ap {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

Show hwtype_show(ApCard& c) { return fmt::format("{}\n", c.device_type); }
Show raw_hwtype_show(ApCard& c) { return fmt::format("{}\n", c.hwinfo.at()); }
Show depth_show(ApCard& c) { return fmt::format("{}\n", c.hwinfo.qd()); }
Show ap_functions_show(ApCard& c) { return fmt::format("0x{:08X}\n", c.hwinfo.fac()); }

Show request_count_show(ApCard& c) { return fmt::format("{}\n", c.total_request_count); }
// Any write zeroes the card's counter and those of all its queues.
Store request_count_store(ApCard& c, std::string_view buf) {
  c.total_request_count = 0;
  for (auto& q : c.queues) q->total_request_count = 0;
  return buf.size();
}

// Summed over the queues that are probed (bound to a driver).
template <int ApQueue::*F>
Show sum_show(ApCard& c) {
  int n = 0;
  for (auto& q : c.queues)
    if (q->driver) n += (*q).*F;
  return fmt::format("{}\n", n);
}
Show requestq_count_show(ApCard& c) { return sum_show<&ApQueue::requestq_count>(c); }
Show pendingq_count_show(ApCard& c) { return sum_show<&ApQueue::pendingq_count>(c); }

Show modalias_show(ApCard& c) { return fmt::format("ap:t{:02X}\n", c.device_type); }

Show config_show(ApCard& c) { return fmt::format("{}\n", c.config ? 1 : 0); }
// Errors: EINVAL (not 0 or 1). Writing the current value still succeeds
// and sends the CONFIG uevent.
Store config_store(ApCard& c, std::string_view buf) {
  auto v = base::sscanf_int(buf);
  if (!v || (*v != 0 && *v != 1)) return Errno{EINVAL};
  SIM_TRY_VOID(c.bus->card_set_config(c, *v == 1));
  return buf.size();
}

Show chkstop_show(ApCard& c) { return fmt::format("{}\n", c.chkstop ? 1 : 0); }
Show max_msg_size_show(ApCard& c) { return fmt::format("{}\n", c.maxmsgsize); }

const sysfs::AttrOps card_attrs[] = {
    SYSFS_ATTR_RO(ApCard, hwtype),         SYSFS_ATTR_RO(ApCard, raw_hwtype),     SYSFS_ATTR_RO(ApCard, depth),
    SYSFS_ATTR_RO(ApCard, ap_functions),   SYSFS_ATTR_RW(ApCard, request_count),  SYSFS_ATTR_RO(ApCard, requestq_count),
    SYSFS_ATTR_RO(ApCard, pendingq_count), SYSFS_ATTR_RO(ApCard, modalias),       SYSFS_ATTR_RW(ApCard, config),
    SYSFS_ATTR_RO(ApCard, chkstop),        SYSFS_ATTR_RO(ApCard, max_msg_size),
};

}  // namespace

std::span<const sysfs::AttrOps> ap_card_attrs() { return card_attrs; }

}  // namespace ap
