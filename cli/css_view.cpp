#include "cli/css_view.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json_fields.h"
#include "cli/picture.h"
#include "cli/system.h"

namespace mdevsim {
namespace {

using nlohmann::json;
using picture::paint;

constexpr const char* kFormat = "mdevsim-css";
constexpr int kVersion = 1;

}  // namespace

std::string css_snapshot_json(System& sys) {
  const ccw::Css& css = sys.css();
  json chps = json::array();
  for (auto& [id, chp] : css.chps())
    chps.push_back({{"id", id}, {"type", chp->cfg.type}, {"online", chp->online}, {"configured", chp->configured}});
  // Which guest has each vfio_ccw mdev, and under which ids.
  std::map<const mdev::MdevDevice*, std::pair<std::string, const qemu::CcwDevice*>> users;
  for (auto& [name, g] : sys.guests().all())
    for (auto& d : g->ccw)
      if (d.mdev) users[d.mdev] = {name, &d};
  std::map<const ccw::Subchannel*, const mdev::MdevDevice*> mdevs;
  for (auto& [uuid, dev] : sys.mdev_core().devices())
    if (const ccw::VfioCcwPrivate* p = sys.vfio_ccw().private_of(*dev)) mdevs[p->sch] = dev.get();

  json subs = json::array();
  for (auto& [id, s] : css.subchannels()) {
    const ccw::SubchannelConfig& c = s->cfg;
    json paths = json::array();
    for (int i = 0; i < 8; ++i) {
      const uint8_t bit = static_cast<uint8_t>(0x80 >> i);
      if (!(c.pim & bit)) continue;
      auto chp = css.chps().find(c.chpids[i]);
      bool usable = (c.pam & c.pom & bit) && chp != css.chps().end() && chp->second->online && chp->second->configured;
      paths.push_back({c.chpids[i], usable});
    }
    json j = {{"schid", s->name}, {"type", c.type}, {"devno", nullptr}, {"dev", nullptr}, {"cu", nullptr},
              {"driver", s->driver ? json(s->driver->name()) : json(nullptr)}, {"qdio", c.qdio},
              {"online", s->cdev && s->cdev->online}, {"paths", std::move(paths)}, {"mdev", nullptr}};
    if (c.dev) {
      j["devno"] = ccw::format_bus_id({c.schid.ssid, c.dev->devno});
      j["dev"] = fmt::format("{:04x}/{:02x}", c.dev->dev_type, c.dev->dev_model);
      j["cu"] = fmt::format("{:04x}/{:02x}", c.dev->cu_type, c.dev->cu_model);
    }
    if (auto it = mdevs.find(s.get()); it != mdevs.end()) {
      json m = {{"uuid", it->second->uuid}, {"guest", nullptr}, {"dev_id", nullptr}, {"subch_id", nullptr}};
      if (auto u = users.find(it->second); u != users.end()) {
        m["guest"] = u->second.first;
        m["dev_id"] = qemu::format_css_devid(u->second.second->dev_id);
        m["subch_id"] = qemu::format_css_devid(u->second.second->subch_id);
      }
      j["mdev"] = std::move(m);
    }
    subs.push_back(std::move(j));
  }
  return json{{"format", kFormat}, {"version", kVersion}, {"cssid", css.config().cssid}, {"chpids", std::move(chps)},
              {"subchannels", std::move(subs)}}
      .dump();
}

namespace {

// One row of the picture: a subchannel, or a run of alike ones.
struct Row {
  std::string schid, devno, dev, cu, driver, note, mdev;
  std::vector<char> cells;  // per channel path column: '#', 'o', '.'
  unsigned count = 1;
};

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("css snapshot: " + why); }

const json& field(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key)) bad(fmt::format("missing \"{}\"", key));
  return o[key];
}
std::string str_or(const json& v, std::string_view none) {
  if (v.is_null()) return std::string(none);
  if (!v.is_string()) bad("expected a string, got " + v.dump());
  return v.get<std::string>();
}
unsigned id_of(const json& v) {
  if (!v.is_number_unsigned() || v.get<unsigned long long>() > 255) bad("bad channel path id " + v.dump());
  return v.get<unsigned>();
}

// "0.0.0313" -> (set, number); the snapshot came from the simulator.
std::pair<unsigned, unsigned> bus_id(const std::string& s) {
  unsigned cssid = 0, ssid = 0, number = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%x.%x.%x%c", &cssid, &ssid, &number, &tail) != 3) bad("bad bus id " + s);
  return {ssid, number};
}

struct Picture {
  unsigned cssid = 0;
  std::vector<unsigned> chpids;
  std::vector<std::string> chp_notes;
  std::vector<Row> rows;
  std::vector<std::string> mdev_lines;
  size_t subchannels = 0;
};

// Merges runs of three or more rows alike but for consecutive numbers.
std::vector<Row> merge(const std::vector<Row>& in) {
  auto next_to = [](const Row& a, const Row& b) {
    if (a.driver != b.driver || a.dev != b.dev || a.cu != b.cu || a.note != b.note || a.cells != b.cells ||
        !a.mdev.empty() || !b.mdev.empty() || a.devno.empty() != b.devno.empty())
      return false;
    auto [as, an] = bus_id(a.schid);
    auto [bs, bn] = bus_id(b.schid);
    if (as != bs || bn != an + 1) return false;
    if (a.devno.empty()) return true;
    auto [ads, adn] = bus_id(a.devno);
    auto [bds, bdn] = bus_id(b.devno);
    return ads == bds && bdn == adn + 1;
  };
  std::vector<Row> out;
  for (size_t i = 0; i < in.size();) {
    size_t k = i + 1;
    while (k < in.size() && next_to(in[k - 1], in[k])) ++k;
    if (k - i < 3) k = i + 1;
    Row r = in[i];
    if (k - i > 1) {
      r.schid += "-" + in[k - 1].schid;
      if (!r.devno.empty()) r.devno += "-" + in[k - 1].devno;
      r.count = static_cast<unsigned>(k - i);
    }
    out.push_back(std::move(r));
    i = k;
  }
  return out;
}

Picture parse(const std::string& text) {
  json j;
  if (std::string why = base::json_fields::parse_checked(text, j); !why.empty()) bad(why);
  if (str_or(field(j, "format"), "") != kFormat || field(j, "version") != kVersion) bad("not a version 1 snapshot");
  Picture p;
  p.cssid = id_of(field(j, "cssid"));
  const json& chps = field(j, "chpids");
  if (!chps.is_array()) bad("\"chpids\" is not an array");
  for (const json& c : chps) {
    unsigned id = id_of(field(c, "id"));
    p.chpids.push_back(id);
    bool online = field(c, "online") == true, configured = field(c, "configured") == true;
    if (!online || !configured)
      p.chp_notes.push_back(fmt::format("chp{:x}.{:02x} is {}", p.cssid, id,
                                        !configured ? "deconfigured (configure 0)" : "varied offline (status offline)"));
  }
  const json& subs = field(j, "subchannels");
  if (!subs.is_array()) bad("\"subchannels\" is not an array");
  std::vector<Row> rows;
  for (const json& s : subs) {
    Row r;
    r.schid = str_or(field(s, "schid"), "");
    r.devno = str_or(field(s, "devno"), "");
    r.dev = str_or(field(s, "dev"), "");
    r.cu = str_or(field(s, "cu"), "");
    r.driver = str_or(field(s, "driver"), "-");
    // SUBCHANNEL_TYPE_IO, _CHSC, _MSG, _ADM
    static const char* const kTypes[] = {"", "CHSC", "MSG", "ADM"};
    const json& type = field(s, "type");
    if (!type.is_number_unsigned()) bad("bad subchannel type " + type.dump());
    if (type != 0) r.note = type.get<unsigned>() < 4 ? kTypes[type.get<unsigned>()] : "type " + type.dump();
    else if (field(s, "qdio") == true) r.note = "QDIO";
    if (field(s, "online") == true) r.note += r.note.empty() ? "online" : ", online";
    r.cells.assign(p.chpids.size(), '.');
    for (const json& path : field(s, "paths")) {
      if (!path.is_array() || path.size() != 2) bad("bad path " + path.dump());
      auto at = std::find(p.chpids.begin(), p.chpids.end(), id_of(path[0]));
      if (at != p.chpids.end()) r.cells[static_cast<size_t>(at - p.chpids.begin())] = path[1] == true ? '#' : 'o';
    }
    const json& m = field(s, "mdev");
    if (!m.is_null()) {
      std::string uuid = str_or(field(m, "uuid"), "");
      std::string guest = str_or(field(m, "guest"), "");
      r.mdev = guest.empty() ? uuid : uuid + " " + guest;
      p.mdev_lines.push_back(
          guest.empty() ? fmt::format("mdev {} on {}: no guest has it", uuid, r.schid)
                        : fmt::format("mdev {} on {}: guest {} as {} on subchannel {}", uuid, r.schid, guest,
                                      str_or(field(m, "dev_id"), "?"), str_or(field(m, "subch_id"), "?")));
    }
    rows.push_back(std::move(r));
  }
  p.subchannels = rows.size();
  p.rows = merge(rows);
  return p;
}

const char* driver_sgr(const std::string& driver) {
  if (driver == "vfio_ccw") return "36";
  if (driver == "-") return "2";
  return "32";
}

struct Columns {
  size_t schid = 10, devno = 8, dev = 7, cu = 7, driver = 13, note = 0;
};

Columns widths(const Picture& p) {
  Columns w;
  for (auto& r : p.rows) {
    w.schid = std::max(w.schid, r.schid.size());
    w.devno = std::max(w.devno, r.devno.size());
    w.driver = std::max(w.driver, r.driver.size());
    w.note = std::max(w.note, r.note.size());
  }
  return w;
}

std::string heading(const Picture& p, const Columns& w) {
  std::string h = fmt::format("{:<{}} {:<{}} {:<7} {:<7} {:<{}} ", "Subchannel", w.schid, "Device", w.devno, "DevType",
                              "CU Type", "Driver", w.driver);
  for (unsigned id : p.chpids) h += fmt::format(" {:02x}", id);
  if (w.note) h += fmt::format("  {:<{}}", "", w.note);
  return h + "  mdev, guest";
}

// The row as text; path cell i is at column cells_at(w) + 3 * i + 2.
size_t cells_at(const Columns& w) { return w.schid + 1 + w.devno + 1 + 16 + w.driver + 1; }

std::string row_text(const Row& r, const Columns& w, bool color) {
  std::string t = fmt::format("{:<{}} {:<{}} {:<7} {:<7} ", r.schid, w.schid, r.devno, w.devno, r.dev, r.cu);
  t += paint(fmt::format("{:<{}}", r.driver, w.driver), driver_sgr(r.driver), color) + " ";
  for (char c : r.cells)
    t += "  " + paint(std::string(1, c), c == '#' ? "1;32" : c == 'o' ? "1;33" : "2", color);
  if (w.note) t += fmt::format("  {:<{}}", r.note, w.note);
  if (!r.mdev.empty()) t += "  " + paint(r.mdev, "1;36", color);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

std::vector<std::string> footer(const Picture& p) {
  std::vector<std::string> lines;
  lines.push_back("Paths: # usable (installed, available, operational, channel path online), o installed but not "
                  "usable, . none");
  for (auto& n : p.chp_notes) lines.push_back(n);
  for (auto& m : p.mdev_lines) lines.push_back(m);
  return lines;
}

std::string render_text(const Picture& p, bool color) {
  Columns w = widths(p);
  std::string out = fmt::format("css{:x}: {} subchannels, {} channel paths\n", p.cssid, p.subchannels, p.chpids.size());
  out += paint(heading(p, w), "1", color) + "\n";
  for (auto& r : p.rows) out += row_text(r, w, color) + "\n";
  for (auto& l : footer(p)) out += l + "\n";
  return out;
}

// The text picture in monospace with a coloured square under each path cell.
std::string render_svg(const Picture& p) {
  constexpr double kCharW = 7.2, kLineH = 16, kPad = 12;
  Columns w = widths(p);
  std::vector<std::string> lines = {fmt::format("css{:x}: {} subchannels, {} channel paths", p.cssid, p.subchannels,
                                                p.chpids.size()),
                                    heading(p, w)};
  std::string body;
  for (size_t i = 0; i < p.rows.size(); ++i) {
    const Row& r = p.rows[i];
    // The baseline of this row's text (line lines.size(), see below).
    double y = kPad + static_cast<double>(lines.size() + 1) * kLineH - 4;
    for (size_t c = 0; c < r.cells.size(); ++c) {
      if (r.cells[c] == '.') continue;
      double x = kPad + static_cast<double>(cells_at(w) + 3 * c + 2) * kCharW;
      body += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n", x - 2,
                          y - 11, kCharW + 4, 14.0, r.cells[c] == '#' ? "#a1d99b" : "#fdd0a2");
    }
    lines.push_back(row_text(r, w, false));
  }
  for (auto& l : footer(p)) lines.push_back(l);
  size_t max_len = 0;
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    max_len = std::max(max_len, lines[i].size());
    text += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\"{}>{}</text>\n", kPad, kPad + static_cast<double>(i + 1) * kLineH - 4,
                        i == 1 ? " font-weight=\"bold\"" : "", picture::xml(lines[i]));
  }
  const int width = static_cast<int>(kPad * 2 + static_cast<double>(max_len) * kCharW);
  const int height = static_cast<int>(kPad * 2 + static_cast<double>(lines.size()) * kLineH);
  return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
                     "font-family=\"monospace\" font-size=\"12\" xml:space=\"preserve\" style=\"background:#ffffff\">\n"
                     "<title>channel subsystem</title>\n",
                     width, height) +
         body + text + "</svg>\n";
}

}  // namespace

std::string render_css(const std::string& snapshot_json, MatrixStyle style) {
  Picture p = parse(snapshot_json);
  switch (style) {
    case MatrixStyle::Svg: return render_svg(p);
    case MatrixStyle::Color: return render_text(p, true);
    case MatrixStyle::Plain: break;
  }
  return render_text(p, false);
}

}  // namespace mdevsim
