#include "apbus/host_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_fields.h"
#include "base/kstrto.h"

namespace ap {

using base::Bitmap256;
using base::Errno;
using base::Result;
using nlohmann::json;

const char* const DEFAULT_HOST_JSON = R"({
  "ap": {
    "max_adapter_id": 255,
    "max_domain_id": 255,
    "usage_domains": [4, 71, 171, 255],
    "control_domains": [4, 71, 171, 255],
    "cards": [{"id": 5, "type": "CEX5C"}, {"id": 6, "type": "CEX5A"}]
  }
})";

Bitmap256 HostConfig::adapters() const {
  Bitmap256 apm;
  for (auto& c : cards) apm.set(c.id);
  return apm;
}

namespace {

using namespace base::json_fields;

Bitmap256 get_id_list(const json& v, const std::string& key, unsigned max) {
  if (!v.is_array()) fail(key, "must be a list of numbers");
  Bitmap256 map;
  for (size_t i = 0; i < v.size(); ++i) {
    unsigned id = get_uint(v[i], fmt::format("{}[{}]", key, i), max);
    if (map.test(id)) fail(key, fmt::format("{} is listed twice", id));
    map.set(id);
  }
  return map;
}

// ap.apmask= / ap.aqmask= take the bus attribute grammar, starting from zero.
Bitmap256 get_mask(const json& v, const std::string& key) {
  if (!v.is_string()) fail(key, "must be a mask string such as \"0xffff\" or \"+0-15,-7\"");
  auto m = base::parse_bitmap_str(v.get<std::string>(), Bitmap256());
  if (!m) fail(key, fmt::format("\"{}\" is not a valid mask", v.get<std::string>()));
  return *m;
}

QciFlags get_features(const json& v, const std::string& key) {
  if (!v.is_array()) fail(key, "must be a list of APSC, APXA, QACT, RC8A, APSB");
  QciFlags f{false, false, false, false, false};
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) fail(fmt::format("{}[{}]", key, i), "must be a string such as \"APSC\"");
    const std::string& s = v[i].get_ref<const std::string&>();
    if (s == "APSC") f.apsc = true;
    else if (s == "APXA") f.apxa = true;
    else if (s == "QACT") f.qact = true;
    else if (s == "RC8A") f.rc8a = true;
    else if (s == "APSB") f.apsb = true;
    else fail(key, fmt::format("unknown facility {} (known: APSC APXA QACT RC8A APSB)", s));
  }
  return f;
}

CardConfig get_card(const json& c, const std::string& where, const HostConfig& host) {
  only_keys(c, where, {"id", "type", "raw_hwtype", "functions", "depth", "max_msg_size", "config", "chkstop", "serialnr", "master_keys"});
  CardConfig card;
  if (!c.contains("id")) fail(where + ".id", "is missing");
  card.id = get_uint(c["id"], where + ".id", host.max_adapter_id);
  if (!c.contains("type")) fail(where + ".type", "is missing");
  if (!c["type"].is_string()) fail(where + ".type", "must be a string such as \"CEX5C\"");
  card.type = c["type"].get<std::string>();
  const std::string& t = card.type;
  if (t.size() != 5 || t.compare(0, 3, "CEX") != 0 || t[3] < '4' || t[3] > '8' || std::string_view("ACP").find(t[4]) == std::string_view::npos)
    fail(where + ".type", fmt::format("\"{}\" is not CEX4..CEX8 followed by A, C or P", t));
  unsigned gen = static_cast<unsigned>(t[3] - '0');
  card.mode = t[4] == 'A' ? CardMode::Accel : t[4] == 'C' ? CardMode::CCA : CardMode::EP11;
  card.raw_type = AP_DEVICE_TYPE_CEX4 + (gen - 4);
  if (c.contains("raw_hwtype")) {
    card.raw_type = get_uint(c["raw_hwtype"], where + ".raw_hwtype", 255);
    if (card.raw_type < static_cast<unsigned>(AP_DEVICE_TYPE_CEX4))
      fail(where + ".raw_hwtype", fmt::format("{} is below 10 (CEX4): not supported by the AP bus", card.raw_type));
  }
  // Facility word: APSC, APXA as the LPAR has it, and the mode bits.
  uint64_t fac = ApHwinfo::APSC | (host.qci.apxa ? ApHwinfo::APXA : 0);
  switch (card.mode) {
    case CardMode::Accel: fac |= ApHwinfo::MEX4K | ApHwinfo::CRT4K | ApHwinfo::ACCEL; break;
    case CardMode::CCA: fac |= ApHwinfo::CCA; break;
    case CardMode::EP11: fac |= ApHwinfo::EP11; break;
  }
  if (gen == 8) fac |= ApHwinfo::SLCF | ApHwinfo::CLASS_FULL;
  if (c.contains("functions")) {
    const json& f = c["functions"];
    uint64_t v = 0;
    if (f.is_string()) {
      auto r = base::kstrtoul(f.get<std::string>());
      if (!r || *r > 0xffffffffULL) fail(where + ".functions", "must be a 32-bit number such as \"0x92000000\"");
      v = *r;
    } else {
      v = get_uint(f, where + ".functions", 0xffffffffU);
    }
    fac = v << 32;
    uint64_t modes = fac & (ApHwinfo::CCA | ApHwinfo::ACCEL | ApHwinfo::EP11);
    uint64_t want = card.mode == CardMode::Accel ? ApHwinfo::ACCEL : card.mode == CardMode::CCA ? ApHwinfo::CCA : ApHwinfo::EP11;
    if (modes != want)
      fail(where + ".functions", fmt::format("0x{:08X} does not have exactly the mode bit of type {}", v, t));
  }
  unsigned depth = c.contains("depth") ? get_uint(c["depth"], where + ".depth", 15) : 7;
  unsigned ml = 0;
  if (c.contains("max_msg_size")) {
    unsigned size = get_uint(c["max_msg_size"], where + ".max_msg_size", 15 * 4096);
    if (size == AP_DEFAULT_MAX_MSG_SIZE) ml = 0;
    else if (size % 4096 == 0 && size >= 4 * 4096) ml = size / 4096;
    else fail(where + ".max_msg_size", fmt::format("{} is neither 12288 nor a multiple of 4096 from 16384 to 61440", size));
  }
  card.hwinfo.value = fac | ApHwinfo::make_apinfo(card.raw_type, host.max_domain_id, ml, depth);
  if (c.contains("config")) card.config = get_bool(c["config"], where + ".config");
  if (c.contains("chkstop")) card.chkstop = get_bool(c["chkstop"], where + ".chkstop");
  // A working CCA or EP11 adapter reports a serial number; make one up.
  if (card.mode == CardMode::CCA) card.serialnr = fmt::format("SIM{:05X}", card.id);
  if (card.mode == CardMode::EP11) card.serialnr = fmt::format("SIM{:013X}", card.id);
  if (c.contains("serialnr")) {
    // As a card reports it: CCA 8 characters of the FQ reply, EP11 16;
    // letters and digits, since sysfs, replies and logs show it as is.
    if (card.mode == CardMode::Accel)
      fail(where + ".serialnr", fmt::format("only CCA and EP11 coprocessors report a serial number, not {}", t));
    size_t max = card.mode == CardMode::CCA ? 8 : 16;
    auto alnum = [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); };
    const json& s = c["serialnr"];
    std::string sn = s.is_string() ? s.get<std::string>() : "";
    if (!s.is_string() || sn.size() > max || !std::all_of(sn.begin(), sn.end(), alnum))
      fail(where + ".serialnr", fmt::format("must be at most {} letters and digits, as {} card reports it", max,
                                            card.mode == CardMode::CCA ? "a CCA" : "an EP11"));
    card.serialnr = sn;
  }
  if (c.contains("master_keys")) {
    if (card.mode != CardMode::CCA) fail(where + ".master_keys", fmt::format("only CCA coprocessors hold master keys, not {}", t));
    if (!c["master_keys"].is_string() || c["master_keys"].get<std::string>().empty())
      fail(where + ".master_keys", "must be a non-empty string naming a set of master keys");
    card.master_keys = c["master_keys"].get<std::string>();
  }
  return card;
}

HostConfig parse(const json& doc) {
  // "css" is the channel subsystem's (ccw/css_config.h).
  only_keys(doc, "", {"ap", "vfio_ap", "css"});
  if (!doc.contains("ap")) fail("ap", "is missing");
  const json& a = doc["ap"];
  only_keys(a, "ap", {"max_adapter_id", "max_domain_id", "usage_domains", "control_domains", "apmask", "aqmask",
                      "domain", "features", "interrupts", "cards"});
  HostConfig host;
  if (doc.contains("vfio_ap")) {
    const json& v = doc["vfio_ap"];
    only_keys(v, "vfio_ap", {"migration"});
    if (v.contains("migration")) host.vfio_ap_migration = get_bool(v["migration"], "vfio_ap.migration");
  }
  if (a.contains("features")) host.qci = get_features(a["features"], "ap.features");
  if (a.contains("max_adapter_id")) host.max_adapter_id = get_uint(a["max_adapter_id"], "ap.max_adapter_id", 255);
  if (a.contains("max_domain_id")) host.max_domain_id = get_uint(a["max_domain_id"], "ap.max_domain_id", 255);
  if (a.contains("usage_domains")) host.usage_domains = get_id_list(a["usage_domains"], "ap.usage_domains", host.max_domain_id);
  if (a.contains("control_domains")) host.control_domains = get_id_list(a["control_domains"], "ap.control_domains", host.max_domain_id);
  if (a.contains("apmask")) host.apmask = get_mask(a["apmask"], "ap.apmask");
  if (a.contains("aqmask")) host.aqmask = get_mask(a["aqmask"], "ap.aqmask");
  if (a.contains("domain")) host.domain = static_cast<int>(get_uint(a["domain"], "ap.domain", host.max_domain_id));
  if (a.contains("interrupts")) host.interrupts = get_bool(a["interrupts"], "ap.interrupts");
  if (a.contains("cards")) {
    if (!a["cards"].is_array()) fail("ap.cards", "must be a list of cards");
    std::set<unsigned> seen;
    for (size_t i = 0; i < a["cards"].size(); ++i) {
      std::string where = fmt::format("ap.cards[{}]", i);
      CardConfig card = get_card(a["cards"][i], where, host);
      if (!seen.insert(card.id).second) fail(where + ".id", fmt::format("adapter {} is listed twice", card.id));
      host.cards.push_back(std::move(card));
    }
    std::sort(host.cards.begin(), host.cards.end(), [](auto& x, auto& y) { return x.id < y.id; });
  }
  return host;
}

}  // namespace

Result<HostConfig> parse_host_config(std::string_view json_text, std::string& error) {
  return parse_document<HostConfig>(json_text, error, parse);
}

Result<HostConfig> load_host_file(const std::string& path, std::string& error) {
  auto text = base::read_input_file(path, error);
  auto host = text ? parse_host_config(*text, error) : Result<HostConfig>(text.error());
  if (!host) error = fmt::format("host file {}: {}", path, error);
  return host;
}

HostConfig default_host() {
  std::string error;
  return *parse_host_config(DEFAULT_HOST_JSON, error);
}

}  // namespace ap
