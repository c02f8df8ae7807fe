// The host file's "css" section: the LPAR's channel subsystem, i.e. its
// channel paths and subchannels with the devices behind them. See README
// "Host file".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ccw {

inline constexpr unsigned MAX_SSID = 3;  // __MAX_SSID: subchannel sets 0..3

// A subchannel id or device number as sysfs names it: "0.<ssid>.<number>".
struct BusId {
  unsigned ssid = 0;
  unsigned number = 0;
  auto operator<=>(const BusId&) const = default;
};
std::string format_bus_id(BusId id);  // "0.0.0313"

struct ChpConfig {
  unsigned id = 0;     // CHPID 0x00..0xff
  unsigned type = 0;   // channel-path type, e.g. 0x1a FICON, 0x11 OSD
  bool shared = true;  // shared among LPARs
  unsigned cmg = 2;    // channel-measurement group
  uint64_t speed_bps = 0;
  std::optional<unsigned> chid;  // physical channel id, if reported
  bool chid_external = false;
};

struct DeviceConfig {
  unsigned devno = 0;  // in the subchannel's set
  unsigned cu_type = 0, cu_model = 0;
  unsigned dev_type = 0, dev_model = 0;  // 0/0: SENSE ID gave no device type
  // A 3390's volume: its cylinders (15 heads each) and the image file that
  // holds it ("": memory).
  unsigned cylinders = 10017;
  std::string image;
};

struct SubchannelConfig {
  BusId schid;
  unsigned type = 0;  // SUBCHANNEL_TYPE_IO
  std::optional<DeviceConfig> dev;  // DNV: a device is attached
  std::array<uint8_t, 8> chpids{};  // by path, 00 where unused
  uint8_t pim = 0, pam = 0, pom = 0xff;
  bool qdio = false;                // PMCW Q bit
  std::string driver = "io_subchannel";  // what it starts on ("" for none)
};

struct CssConfig {
  unsigned cssid = 0;  // real_cssid
  // The CHSC measurement facilities (secm, scmc): cm_enable exists, and
  // channel paths report shared and cmg ("unknown" without them).
  bool measurement = true;
  std::vector<ChpConfig> chpids;          // sorted by id
  std::vector<SubchannelConfig> subchannels;  // sorted by schid
};

// Reads the "css" key of a host file (absent: no subchannels). Every error
// names the key and the reason; any error yields nothing.
base::Result<CssConfig> parse_css_config(std::string_view json_text, std::string& error);

// The default host's channel subsystem: the DASD of the vfio-ccw document
// (0.0.2b09 on subchannel 0.0.0313), another DASD, an OSA's QDIO
// subchannels, and a DASD in subchannel set 1.
extern const char* const DEFAULT_CSS_JSON;

}  // namespace ccw
