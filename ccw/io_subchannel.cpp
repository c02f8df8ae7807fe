#include "ccw/io_subchannel.h"

namespace ccw {

Result<void> IoSubchannelDriver::probe(Subchannel& sch) {
  sch.dir->add_attrs(io_subchannel_drv_attrs(), &sch);
  css->ccw_device_add(sch);
  return base::ok();
}

void IoSubchannelDriver::remove(Subchannel& sch) {
  css->ccw_device_del(sch);
  sch.dir->remove_attrs(io_subchannel_drv_attrs());
}

}  // namespace ccw
