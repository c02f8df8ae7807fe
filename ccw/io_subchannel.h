// The io_subchannel driver (drivers/s390/cio/device.c): it drives I/O
// subchannels for the host and registers the ccw device behind each.
#pragma once

#include "ccw/css.h"

namespace ccw {

class IoSubchannelDriver final : public CssDriver {
 public:
  const std::string& name() const override { return m_name; }
  const std::string& module() const override { return m_module; }
  // io_subchannel_probe(): vpm and logging, then the ccw device.
  Result<void> probe(Subchannel& sch) override;
  // io_subchannel_remove(): the ccw device goes.
  void remove(Subchannel& sch) override;

 private:
  std::string m_name = "io_subchannel";
  std::string m_module;  // built in
};

}  // namespace ccw
