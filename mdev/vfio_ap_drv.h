// The vfio_ap AP queue driver (vfio_ap_drv.c): takes the queues the masks
// leave free and gives each a `status` attribute.
#pragma once

#include <memory>

#include "apbus/ap_device.h"

namespace vfio_ap {

std::unique_ptr<ap::ApDriver> make_vfio_ap_driver();

}  // namespace vfio_ap
