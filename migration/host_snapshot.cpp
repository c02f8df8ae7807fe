#include "migration/host_snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "base/json_fields.h"
#include "base/json_input.h"
#include "base/kstrto.h"

namespace migration {
namespace {

using base::Bitmap256;
using base::Errno;
using json = nlohmann::ordered_json;  // keys in the order written

constexpr int FORMAT = 1;  // "mdevsim_snapshot": the layout's version

// The snapshot's own readers (ordered keys, its own wording); errors go
// out as base::json_fields::parse_document() reports them.
[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw base::json_fields::BadKey{key + ": " + why};
}

std::string mask_text(const Bitmap256& m) { return "0x" + m.hex(); }

json id_list(const Bitmap256& m) {
  json a = json::array();
  m.for_each([&](unsigned id) { a.push_back(id); });
  return a;
}

json masks_json(const Masks& m) {
  return {{"adapters", id_list(m.apm)}, {"domains", id_list(m.aqm)}, {"control_domains", id_list(m.adm)}};
}

const json& member(const json& obj, const std::string& where, const char* key) {
  if (!obj.contains(key)) fail(where.empty() ? key : where + "." + key, "is missing");
  return obj[key];
}

using base::json_fields::only_keys;

std::string get_string(const json& v, const std::string& key) {
  if (!v.is_string()) fail(key, "must be a string");
  return v.get<std::string>();
}

bool get_bool(const json& v, const std::string& key) {
  if (!v.is_boolean()) fail(key, "must be true or false");
  return v.get<bool>();
}

unsigned get_uint(const json& v, const std::string& key, unsigned max) {
  // nlohmann keeps a number above INT64_MAX unsigned, a negative one signed.
  bool ok = v.is_number_unsigned() ? v.get<uint64_t>() <= max
                                   : v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= max;
  if (!ok) fail(key, fmt::format("must be an integer from 0 to {}", max));
  return v.get<unsigned>();
}

// "0x" and 64 hex digits, as the bus attributes print a mask. Exactly: the
// kernel's parser would also take "0xx" or a newline with 63 digits.
Bitmap256 get_mask(const json& v, const std::string& key) {
  std::string s = v.is_string() ? v.get<std::string>() : "";
  bool exact = s.size() == 66 && s.starts_with("0x") &&
               std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  auto m = exact ? base::parse_bitmap_str(s, Bitmap256()) : base::Result<Bitmap256>(Errno{EINVAL});
  if (!m) fail(key, "must be \"0x\" and 64 hex digits, as /sys/bus/ap shows a mask");
  return *m;
}

Bitmap256 get_ids(const json& v, const std::string& key) {
  if (!v.is_array()) fail(key, "must be a list of numbers from 0 to 255");
  Bitmap256 m;
  for (size_t i = 0; i < v.size(); ++i) m.set(get_uint(v[i], fmt::format("{}[{}]", key, i), 255));
  return m;
}

Masks get_masks(const json& v, const std::string& where) {
  only_keys(v, where, {"adapters", "domains", "control_domains"});
  return {get_ids(member(v, where, "adapters"), where + ".adapters"), get_ids(member(v, where, "domains"), where + ".domains"),
          get_ids(member(v, where, "control_domains"), where + ".control_domains")};
}

// An mdev's name as sysfs shows it: a lower-case UUID.
std::string get_uuid(const json& v, const std::string& key) {
  std::string s = v.is_string() ? v.get<std::string>() : "";
  bool ok = s.size() == 36;
  for (size_t i = 0; ok && i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash ? s[i] == '-' : (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
  }
  if (!ok) fail(key, "must be a lower-case UUID such as \"62177883-f1bb-47f0-914d-32a22e3a8804\"");
  return s;
}

uint16_t get_apqn(const json& v, const std::string& key) {
  std::string s = v.is_string() ? v.get<std::string>() : "";
  unsigned apid = 0, apqi = 0;
  int end = 0;
  bool hex = s.size() == 7 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '.'; });
  if (!hex || std::sscanf(s.c_str(), "%2x.%4x%n", &apid, &apqi, &end) != 2 || end != 7 || apqi > 0xff)
    fail(key, "must be an APQN such as \"05.0047\"");
  return static_cast<uint16_t>(apid << 8 | apqi);
}

QueueSnapshot get_queue(const json& v, const std::string& where) {
  only_keys(v, where, {"apqn", "driver", "tapq_rc", "tapq_async", "hwinfo", "mkvps"});
  QueueSnapshot q;
  q.apqn = get_apqn(member(v, where, "apqn"), where + ".apqn");
  const json& d = member(v, where, "driver");
  if (!d.is_null()) q.driver = get_string(d, where + ".driver");
  q.tapq.rc = static_cast<uint8_t>(get_uint(member(v, where, "tapq_rc"), where + ".tapq_rc", 255));
  q.tapq.async = v.contains("tapq_async") && get_bool(v["tapq_async"], where + ".tapq_async");
  std::string hw = get_string(member(v, where, "hwinfo"), where + ".hwinfo");
  auto word = hw.starts_with("0x") ? base::kstrtoul_base(hw, 16) : base::Result<uint64_t>(Errno{EINVAL});
  if (!word) fail(where + ".hwinfo", "must be the TAPQ word as \"0x\" and hex digits");
  q.tapq.hwinfo = *word;
  if (v.contains("mkvps")) {
    only_keys(v["mkvps"], where + ".mkvps", {"AES", "APKA", "ASYM"});
    QueueSnapshot::MasterKeys mk;
    for (int r = 0; r < 3; ++r) {
      const char* name = QueueSnapshot::MasterKeys::NAMES[r];
      std::string key = where + ".mkvps." + name, text = get_string(member(v["mkvps"], where + ".mkvps", name), key);
      auto bytes = text.starts_with("0x") ? base::from_hex(text.substr(2)) : std::nullopt;
      if (!bytes || bytes->size() != mk.size(r)) fail(key, fmt::format("must be \"0x\" and {} hex digits", 2 * mk.size(r)));
      std::copy(bytes->begin(), bytes->end(), mk.reg[r].begin());
    }
    q.mkvps = mk;
  }
  return q;
}

HostSnapshot parse(const json& doc) {
  only_keys(doc, "(top level)", {"mdevsim_snapshot", "host", "vfio_ap", "ap", "queues", "mdevs", "guests"});
  // An integer: json compares 1.0 equal to 1.
  if (!doc.contains("mdevsim_snapshot") || !doc["mdevsim_snapshot"].is_number_integer() || doc["mdevsim_snapshot"] != FORMAT)
    fail("mdevsim_snapshot", fmt::format("must be {}: this is not an mdevsim snapshot of this layout", FORMAT));
  HostSnapshot s;
  s.host = get_string(member(doc, "", "host"), "host");
  const json& v = member(doc, "", "vfio_ap");
  only_keys(v, "vfio_ap", {"migratable"});
  s.migratable = get_bool(member(v, "vfio_ap", "migratable"), "vfio_ap.migratable");
  const json& ap = member(doc, "", "ap");
  only_keys(ap, "ap", {"apmask", "aqmask", "ap_adapter_mask", "ap_usage_domain_mask", "ap_control_domain_mask"});
  s.apmask = get_mask(member(ap, "ap", "apmask"), "ap.apmask");
  s.aqmask = get_mask(member(ap, "ap", "aqmask"), "ap.aqmask");
  s.config = {get_mask(member(ap, "ap", "ap_adapter_mask"), "ap.ap_adapter_mask"),
              get_mask(member(ap, "ap", "ap_usage_domain_mask"), "ap.ap_usage_domain_mask"),
              get_mask(member(ap, "ap", "ap_control_domain_mask"), "ap.ap_control_domain_mask")};

  const json& queues = member(doc, "", "queues");
  if (!queues.is_array()) fail("queues", "must be a list");
  std::vector<bool> seen(1u << 16);
  for (size_t i = 0; i < queues.size(); ++i) {
    std::string where = fmt::format("queues[{}]", i);
    QueueSnapshot q = get_queue(queues[i], where);
    if (seen[q.apqn]) fail(where + ".apqn", fmt::format("{:02x}.{:04x} is listed twice", q.apid(), q.apqi()));
    seen[q.apqn] = true;
    s.queues.push_back(std::move(q));
  }
  std::sort(s.queues.begin(), s.queues.end(), [](auto& a, auto& b) { return a.apqn < b.apqn; });

  const json& mdevs = member(doc, "", "mdevs");
  if (!mdevs.is_array()) fail("mdevs", "must be a list");
  std::map<std::string, size_t> mdev_at;  // uuid -> index in s.mdevs
  for (size_t i = 0; i < mdevs.size(); ++i) {
    std::string where = fmt::format("mdevs[{}]", i);
    only_keys(mdevs[i], where, {"uuid", "matrix", "guest_matrix", "guest"});
    MdevSnapshot m;
    m.uuid = get_uuid(member(mdevs[i], where, "uuid"), where + ".uuid");
    if (!mdev_at.emplace(m.uuid, i).second) fail(where + ".uuid", m.uuid + " is listed twice");
    m.matrix = get_masks(member(mdevs[i], where, "matrix"), where + ".matrix");
    m.guest_matrix = get_masks(member(mdevs[i], where, "guest_matrix"), where + ".guest_matrix");
    const json& g = member(mdevs[i], where, "guest");
    if (!g.is_null()) m.guest = get_string(g, where + ".guest");
    s.mdevs.push_back(std::move(m));
  }

  const json& guests = member(doc, "", "guests");
  if (!guests.is_array()) fail("guests", "must be a list");
  std::map<std::string, std::string> mdev_of;  // guest name -> its mdev or ""
  for (size_t i = 0; i < guests.size(); ++i) {
    std::string where = fmt::format("guests[{}]", i);
    only_keys(guests[i], where, {"name", "mdev", "vfio_ccw"});
    GuestSnapshot g;
    g.name = get_string(member(guests[i], where, "name"), where + ".name");
    if (g.name.empty()) fail(where + ".name", "must not be empty");  // "" is an mdev's "no guest"
    const json& m = member(guests[i], where, "mdev");
    if (!m.is_null()) g.mdev = get_string(m, where + ".mdev");
    if (guests[i].contains("vfio_ccw")) {  // absent in snapshots before vfio-ccw
      const json& c = guests[i]["vfio_ccw"];
      if (!c.is_array()) fail(where + ".vfio_ccw", "must be a list of device numbers such as \"fe.0.1234\"");
      for (size_t k = 0; k < c.size(); ++k) g.vfio_ccw.push_back(get_string(c[k], fmt::format("{}.vfio_ccw[{}]", where, k)));
    }
    if (!mdev_of.emplace(g.name, g.mdev).second) fail(where + ".name", g.name + " is listed twice");
    s.guests.push_back(std::move(g));
  }
  // A guest and its mdev name each other, as vfio_ap links the KVM and the
  // device: one guest per mdev, one mdev per guest.
  for (size_t i = 0; i < s.guests.size(); ++i) {
    const GuestSnapshot& g = s.guests[i];
    if (g.mdev.empty()) continue;
    auto it = mdev_at.find(g.mdev);
    if (it == mdev_at.end()) fail(fmt::format("guests[{}].mdev", i), g.mdev + " is not among the mdevs");
    const std::string& other = s.mdevs[it->second].guest;
    if (other != g.name)
      fail(fmt::format("guests[{}].mdev", i), fmt::format("the mdev {} names {}", g.mdev, other.empty() ? "no guest" : "guest " + other));
  }
  for (size_t i = 0; i < s.mdevs.size(); ++i) {
    const MdevSnapshot& m = s.mdevs[i];
    if (m.guest.empty()) continue;
    auto it = mdev_of.find(m.guest);
    if (it == mdev_of.end()) fail(fmt::format("mdevs[{}].guest", i), m.guest + " is not among the guests");
    if (it->second != m.uuid)
      fail(fmt::format("mdevs[{}].guest", i),
           fmt::format("guest {} uses {}", m.guest, it->second.empty() ? "no mdev" : "the mdev " + it->second));
  }
  s.index();
  return s;
}

}  // namespace

const MdevSnapshot* HostSnapshot::mdev(std::string_view uuid) const {
  for (auto& m : mdevs)
    if (m.uuid == uuid) return &m;
  return nullptr;
}

const GuestSnapshot* HostSnapshot::guest(std::string_view name) const {
  for (auto& g : guests)
    if (g.name == name) return &g;
  return nullptr;
}

void HostSnapshot::index() {
  m_index.assign(1u << 16, -1);
  m_vfio_ap.assign(1u << 16, false);
  for (size_t i = 0; i < queues.size(); ++i) {
    m_index[queues[i].apqn] = static_cast<int32_t>(i);
    m_vfio_ap[queues[i].apqn] = queues[i].driver == "vfio_ap";
  }
}

// One queue per line: a 65,536-queue host stays readable with grep.
std::string to_json(const HostSnapshot& s) {
  json head = {{"mdevsim_snapshot", FORMAT},
               {"host", s.host},
               {"vfio_ap", {{"migratable", s.migratable}}},
               {"ap",
                {{"apmask", mask_text(s.apmask)},
                 {"aqmask", mask_text(s.aqmask)},
                 {"ap_adapter_mask", mask_text(s.config.apm)},
                 {"ap_usage_domain_mask", mask_text(s.config.aqm)},
                 {"ap_control_domain_mask", mask_text(s.config.adm)}}}};
  std::string out = head.dump();
  out.pop_back();  // the closing brace; the lists follow
  auto list = [&](const char* name, const auto& items, auto to) {
    out += fmt::format(",\n\"{}\": [", name);
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ",\n  " : "\n  ") + to(items[i]).dump();
    out += items.empty() ? "]" : "\n]";
  };
  list("queues", s.queues, [](const QueueSnapshot& q) {
    json j = {{"apqn", fmt::format("{:02x}.{:04x}", q.apid(), q.apqi())},
              {"driver", q.driver.empty() ? json(nullptr) : json(q.driver)},
              {"tapq_rc", q.tapq.rc},
              {"hwinfo", fmt::format("0x{:016x}", q.tapq.hwinfo)}};
    if (q.tapq.async) j["tapq_async"] = true;
    if (q.mkvps) {
      json& mk = j["mkvps"];
      for (int r = 0; r < 3; ++r)
        mk[QueueSnapshot::MasterKeys::NAMES[r]] = "0x" + base::to_hex(std::span(q.mkvps->reg[r]).first(q.mkvps->size(r)));
    }
    return j;
  });
  list("mdevs", s.mdevs, [](const MdevSnapshot& m) {
    return json{{"uuid", m.uuid},
                {"matrix", masks_json(m.matrix)},
                {"guest_matrix", masks_json(m.guest_matrix)},
                {"guest", m.guest.empty() ? json(nullptr) : json(m.guest)}};
  });
  list("guests", s.guests, [](const GuestSnapshot& g) {
    json j{{"name", g.name}, {"mdev", g.mdev.empty() ? json(nullptr) : json(g.mdev)}};
    if (!g.vfio_ccw.empty()) j["vfio_ccw"] = g.vfio_ccw;
    return j;
  });
  return out + "\n}\n";
}

base::Result<HostSnapshot> parse_snapshot(std::string_view json_text, std::string& error) {
  return base::json_fields::parse_document<HostSnapshot, json>(json_text, error, parse);
}

base::Result<HostSnapshot> load_snapshot(const std::string& path, std::string& error) {
  auto text = base::read_input_file(path, error);
  auto s = text ? parse_snapshot(*text, error) : base::Result<HostSnapshot>(text.error());
  if (!s) error = fmt::format("snapshot {}: {}", path, error);
  return s;
}

}  // namespace migration
