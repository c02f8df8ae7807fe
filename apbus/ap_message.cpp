#include "apbus/ap_message.h"

#include "apbus/msgtype50.h"
#if __has_include("apbus/msgtype6.h") && 0
#include "apbus/msgtype6.h"
#define HAVE6 1
#endif

namespace ap {

std::vector<uint8_t> process_message(const CardConfig& card, unsigned apqi, std::span<const uint8_t> msg) {
#ifdef HAVE6
  if (msg.size() >= 2 && msg[1] == 0x06) return process_type6(card, apqi, msg);
#endif
  (void)apqi;
  return process_type50(card, msg);
}

std::optional<unsigned> message_target_domain([[maybe_unused]] std::span<const uint8_t> msg) {
#ifdef HAVE6
  if (msg.size() >= 2 && msg[1] == 0x06) return type6_target_domain(msg);
#endif
  return std::nullopt;
}

}  // namespace ap
