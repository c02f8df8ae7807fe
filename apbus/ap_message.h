// Which request message a card works off: type 50 (RSA) on accelerators,
// type 6 (CCA, EP11) on coprocessors; anything else is a wrong message type.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "apbus/host_config.h"

namespace ap {

std::vector<uint8_t> process_message(const CardConfig& card, unsigned apqi, std::span<const uint8_t> msg);
// The domain a message addresses other than its queue's (type 6 CPRBs).
std::optional<unsigned> message_target_domain(std::span<const uint8_t> msg);

}  // namespace ap
