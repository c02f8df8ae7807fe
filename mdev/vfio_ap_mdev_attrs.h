// The attributes of a vfio_ap mediated device (vfio_ap_ops.c vfio_ap_mdev_attrs[]).
#pragma once

#include <span>

#include "sysfs-fs/tree/node.h"

namespace vfio_ap {

std::span<const sysfs::AttrOps> vfio_ap_mdev_attrs();

}  // namespace vfio_ap
