#include "ccw/css_config.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/json_fields.h"

namespace ccw {

using base::Errno;
using base::Result;
using namespace base::json_fields;

const char* const DEFAULT_CSS_JSON = R"({
  "css": {
    "chpids": [
      {"id": "0a", "type": "1a"}, {"id": "1a", "type": "1a"}, {"id": "2a", "type": "1a"},
      {"id": "3a", "type": "1a"}, {"id": "e0", "type": "11"}
    ],
    "subchannels": [
      {"schid": "0.0.0313", "devno": "0.0.2b09", "cu": "3990/e9", "dev": "3390/0e", "chpids": ["1a", "2a", "3a", "0a"]},
      {"schid": "0.0.0314", "devno": "0.0.2b0a", "cu": "3990/e9", "dev": "3390/0c", "chpids": ["1a", "2a", "3a", "0a"]},
      {"schid": "0.0.0a00", "devno": "0.0.f500", "cu": "1731/01", "dev": "1732/01", "chpids": ["e0"], "qdio": true},
      {"schid": "0.0.0a01", "devno": "0.0.f501", "cu": "1731/01", "dev": "1732/01", "chpids": ["e0"], "qdio": true},
      {"schid": "0.0.0a02", "devno": "0.0.f502", "cu": "1731/01", "dev": "1732/01", "chpids": ["e0"], "qdio": true},
      {"schid": "0.1.0000", "devno": "0.1.0100", "cu": "3990/e9", "dev": "3390/0c", "chpids": ["0a"]}
    ]
  }
})";

std::string format_bus_id(BusId id) { return fmt::format("0.{:x}.{:04x}", id.ssid, id.number); }

namespace {

// Hex digits only, as sysfs shows the value; at most `digits` of them.
unsigned get_hex(const json& v, const std::string& key, size_t digits, const char* example) {
  const std::string& s = get_string(v, key, example);
  if (s.empty() || s.size() > digits || !std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    fail(key, fmt::format("\"{}\" is not {} hex digits at most, such as \"{}\"", s, digits, example));
  return static_cast<unsigned>(std::stoul(s, nullptr, 16));
}

// "0.<ssid>.<4 hex digits>", as sysfs names subchannels and ccw devices.
BusId get_bus_id(const json& v, const std::string& key, const char* example) {
  const std::string& s = get_string(v, key, example);
  unsigned ssid = 0, number = 0;
  int end = 0;
  bool ok = s.size() == 8 && s.compare(0, 2, "0.") == 0 && s[3] == '.' &&
            std::all_of(s.begin() + 4, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }) &&
            std::sscanf(s.c_str(), "0.%1x.%4x%n", &ssid, &number, &end) == 2 && end == 8;
  if (!ok) fail(key, fmt::format("\"{}\" is not a bus id such as \"{}\"", s, example));
  if (ssid > MAX_SSID) fail(key, fmt::format("subchannel set {} does not exist (0..{})", ssid, MAX_SSID));
  return {ssid, number};
}

// "3990/e9": a control-unit or device type and model.
std::pair<unsigned, unsigned> get_type_model(const json& v, const std::string& key, const char* example) {
  const std::string& s = get_string(v, key, example);
  // Four hex digits, '/', two hex digits.
  bool ok = s.size() == 7;
  for (size_t i = 0; ok && i < s.size(); ++i) ok = i == 4 ? s[i] == '/' : std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
  if (!ok) fail(key, fmt::format("\"{}\" is not a type/model such as \"{}\"", s, example));
  return {static_cast<unsigned>(std::stoul(s.substr(0, 4), nullptr, 16)), static_cast<unsigned>(std::stoul(s.substr(5), nullptr, 16))};
}

ChpConfig get_chp(const json& c, const std::string& where) {
  only_keys(c, where, {"id", "type", "shared", "cmg", "speed_bps", "chid", "chid_external"});
  ChpConfig chp;
  if (!c.contains("id")) fail(where + ".id", "is missing");
  chp.id = get_hex(c["id"], where + ".id", 2, "1a");
  if (!c.contains("type")) fail(where + ".type", "is missing");
  chp.type = get_hex(c["type"], where + ".type", 2, "1a");
  if (c.contains("shared")) chp.shared = get_bool(c["shared"], where + ".shared");
  if (c.contains("cmg")) chp.cmg = get_uint(c["cmg"], where + ".cmg", 255);
  if (c.contains("speed_bps")) {
    const json& v = c["speed_bps"];
    if (!v.is_number_unsigned() || v.get<uint64_t>() > 1'000'000'000'000'000)
      fail(where + ".speed_bps", "must be bits per second, an integer from 0 to 10^15");
    chp.speed_bps = v.get<uint64_t>();
  }
  if (c.contains("chid")) chp.chid = get_hex(c["chid"], where + ".chid", 4, "0100");
  if (c.contains("chid_external")) {
    if (!chp.chid) fail(where + ".chid_external", "needs a chid");
    chp.chid_external = get_bool(c["chid_external"], where + ".chid_external");
  }
  return chp;
}

SubchannelConfig get_subchannel(const json& s, const std::string& where, const std::set<unsigned>& chps) {
  only_keys(s, where, {"schid", "type", "devno", "cu", "dev", "chpids", "pim", "pam", "pom", "qdio", "driver", "cylinders",
                       "image"});
  SubchannelConfig sch;
  if (!s.contains("schid")) fail(where + ".schid", "is missing");
  sch.schid = get_bus_id(s["schid"], where + ".schid", "0.0.0313");
  if (s.contains("type")) sch.type = get_uint(s["type"], where + ".type", 3);
  if (sch.type != 0) {
    for (const char* k : {"devno", "cu", "dev", "chpids", "pim", "pam", "pom", "qdio"})
      if (s.contains(k)) fail(where + "." + k, "only I/O subchannels (type 0) have it");
  }
  if (s.contains("devno")) {
    BusId devno = get_bus_id(s["devno"], where + ".devno", "0.0.2b09");
    if (devno.ssid != sch.schid.ssid)
      fail(where + ".devno", fmt::format("a device is in its subchannel's set {}, not {}", sch.schid.ssid, devno.ssid));
    DeviceConfig dev;
    dev.devno = devno.number;
    if (!s.contains("cu")) fail(where + ".cu", "is missing (a device has a control unit)");
    std::tie(dev.cu_type, dev.cu_model) = get_type_model(s["cu"], where + ".cu", "3990/e9");
    if (s.contains("dev")) std::tie(dev.dev_type, dev.dev_model) = get_type_model(s["dev"], where + ".dev", "3390/0e");
    for (const char* k : {"cylinders", "image"})
      if (s.contains(k) && dev.dev_type != 0x3390) fail(where + "." + k, "only a 3390 (dev 3390/xx) has a volume");
    // Up to an extended address volume's 1,182,006 cylinders.
    if (s.contains("cylinders")) dev.cylinders = get_uint(s["cylinders"], where + ".cylinders", 1182006);
    if (dev.cylinders < 2) fail(where + ".cylinders", "must be at least 2 (the labels take two tracks)");
    if (s.contains("image")) dev.image = get_string(s["image"], where + ".image", "/var/tmp/dasd-2b09.img");
    sch.dev = dev;
  } else if (sch.type == 0) {
    fail(where + ".devno", "is missing (the kernel registers no I/O subchannel without a device)");
  }
  if (s.contains("chpids")) {
    const json& c = s["chpids"];
    if (!c.is_array() || c.size() > 8) fail(where + ".chpids", "must be a list of up to 8 CHPIDs such as [\"1a\", \"2a\"]");
    for (size_t i = 0; i < c.size(); ++i) {
      std::string key = fmt::format("{}.chpids[{}]", where, i);
      unsigned id = get_hex(c[i], key, 2, "1a");
      if (!chps.count(id)) fail(key, fmt::format("CHPID {:02x} is not in css.chpids", id));
      sch.chpids[i] = static_cast<uint8_t>(id);
      sch.pim |= static_cast<uint8_t>(0x80 >> i);
    }
  }
  // Every listed path is installed and available unless told otherwise.
  sch.pam = sch.pim;
  if (s.contains("pim")) sch.pim = static_cast<uint8_t>(get_hex(s["pim"], where + ".pim", 2, "f0"));
  if (s.contains("pam")) sch.pam = static_cast<uint8_t>(get_hex(s["pam"], where + ".pam", 2, "f0"));
  if (s.contains("pom")) sch.pom = static_cast<uint8_t>(get_hex(s["pom"], where + ".pom", 2, "ff"));
  if (s.contains("qdio")) sch.qdio = get_bool(s["qdio"], where + ".qdio");
  if (sch.type != 0) sch.driver = "";
  if (s.contains("driver")) {
    const std::string& d = get_string(s["driver"], where + ".driver", "io_subchannel");
    if (sch.type == 0 && d != "io_subchannel" && d != "vfio_ccw" && d != "none")
      fail(where + ".driver", fmt::format("\"{}\" is none of io_subchannel, vfio_ccw, none", d));
    if (sch.type != 0 && d != "none") fail(where + ".driver", "only I/O subchannels have a driver here (none)");
    sch.driver = d == "none" ? "" : d;
  }
  return sch;
}

CssConfig parse(const json& doc) {
  CssConfig css;
  if (!doc.is_object() || !doc.contains("css")) return css;
  const json& c = doc["css"];
  only_keys(c, "css", {"cssid", "measurement", "chpids", "subchannels"});
  if (c.contains("cssid")) css.cssid = get_uint(c["cssid"], "css.cssid", 255);
  if (c.contains("measurement")) css.measurement = get_bool(c["measurement"], "css.measurement");
  std::set<unsigned> chps;
  if (c.contains("chpids")) {
    if (!c["chpids"].is_array()) fail("css.chpids", "must be a list of channel paths");
    for (size_t i = 0; i < c["chpids"].size(); ++i) {
      std::string where = fmt::format("css.chpids[{}]", i);
      ChpConfig chp = get_chp(c["chpids"][i], where);
      if (!chps.insert(chp.id).second) fail(where + ".id", fmt::format("CHPID {:02x} is listed twice", chp.id));
      css.chpids.push_back(chp);
    }
    std::sort(css.chpids.begin(), css.chpids.end(), [](auto& x, auto& y) { return x.id < y.id; });
  }
  if (c.contains("subchannels")) {
    if (!c["subchannels"].is_array()) fail("css.subchannels", "must be a list of subchannels");
    std::set<BusId> schids, devnos;
    for (size_t i = 0; i < c["subchannels"].size(); ++i) {
      std::string where = fmt::format("css.subchannels[{}]", i);
      SubchannelConfig sch = get_subchannel(c["subchannels"][i], where, chps);
      if (!schids.insert(sch.schid).second)
        fail(where + ".schid", fmt::format("subchannel {} is listed twice", format_bus_id(sch.schid)));
      if (sch.dev && !devnos.insert({sch.schid.ssid, sch.dev->devno}).second)
        fail(where + ".devno", fmt::format("device {} is on two subchannels", format_bus_id({sch.schid.ssid, sch.dev->devno})));
      css.subchannels.push_back(std::move(sch));
    }
    std::sort(css.subchannels.begin(), css.subchannels.end(), [](auto& x, auto& y) { return x.schid < y.schid; });
  }
  return css;
}

}  // namespace

Result<CssConfig> parse_css_config(std::string_view json_text, std::string& error) {
  return parse_document<CssConfig>(json_text, error, parse);
}

}  // namespace ccw
