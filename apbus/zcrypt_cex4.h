// The default AP drivers of the zcrypt_cex4 module: cex4card and cex4queue.
#pragma once

#include <memory>

#include "apbus/ap_device.h"

namespace ap {

std::unique_ptr<ApDriver> make_cex4card_driver();
std::unique_ptr<ApDriver> make_cex4queue_driver();

}  // namespace ap
