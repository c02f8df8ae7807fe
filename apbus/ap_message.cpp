#include "apbus/ap_message.h"

#include "apbus/msgtype50.h"
#include "apbus/msgtype6.h"

namespace ap {

std::vector<uint8_t> process_message(const CardConfig& card, unsigned apqi, std::span<const uint8_t> msg) {
  if (msg.size() >= 2 && msg[1] == 0x06) return process_type6(card, apqi, msg);
  return process_type50(card, msg);
}

std::optional<unsigned> message_target_domain(std::span<const uint8_t> msg) { return type6_target_domain(msg); }

}  // namespace ap
