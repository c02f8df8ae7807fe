// What the Linux inside each simulated guest remembers: its kernel log
// (`dmesg -t`) and the DASDs dasd-eckd has online, with their disk names
// in the order they came (dasda, dasdb, ...).
#pragma once

#include <deque>
#include <map>
#include <string>

#include "guest/dasd_eckd.h"
#include "qemu/virtual_css.h"

namespace guest {

struct LinuxGuest {
  std::deque<std::string> dmesg;
  std::map<qemu::CssDevId, DasdGeometry> dasds;  // by device number
  unsigned next_devindex = 0;
  static constexpr size_t MAX_DMESG_LINES = 1000;
  void log(std::string line) {
    dmesg.push_back(std::move(line));
    if (dmesg.size() > MAX_DMESG_LINES) dmesg.pop_front();
  }
};

}  // namespace guest
