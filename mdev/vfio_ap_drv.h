// The vfio_ap AP queue driver (vfio_ap_drv.c): takes the queues the masks
// leave free, gives each a `status` attribute and tells the matrix device
// when queues come and go.
#pragma once

#include <memory>

#include "apbus/ap_device.h"

namespace vfio_ap {

class MatrixDev;

std::unique_ptr<ap::ApDriver> make_vfio_ap_driver(MatrixDev& matrix);

}  // namespace vfio_ap
