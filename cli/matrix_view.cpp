#include "cli/matrix_view.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/bitmap256.h"
#include "base/json_fields.h"
#include "cli/picture.h"
#include "cli/system.h"

namespace mdevsim {
namespace {

using base::Bitmap256;
using nlohmann::json;
using picture::paint;
using picture::xml;

constexpr const char* kFormat = "mdevsim-matrix";
constexpr int kVersion = 1;

json id_array(const Bitmap256& b) {
  json a = json::array();
  b.for_each([&](unsigned n) { a.push_back(n); });
  return a;
}

}  // namespace

// ---------------------------------------------------------------- snapshot

std::string matrix_snapshot_json(System& sys) {
  const ap::ApBus& bus = sys.ap_bus();
  const vfio_ap::MatrixDev& md = sys.matrix_dev();

  // Creation order: the mdev core numbers IOMMU groups as it creates devices.
  std::vector<const vfio_ap::MatrixMdev*> mdevs;
  for (const auto& m : md.mdevs()) mdevs.push_back(&m);
  std::stable_sort(mdevs.begin(), mdevs.end(), [](const auto* a, const auto* b) {
    if (a->mdev->iommu_group != b->mdev->iommu_group) return a->mdev->iommu_group < b->mdev->iommu_group;
    return a->uuid() < b->uuid();
  });

  Bitmap256 rows = bus.qci_apm(), cols = bus.qci_aqm();
  for (const auto& [id, card] : bus.cards()) {
    rows.set(id);
    for (const auto& q : card->queues) cols.set(q->apqi);
  }
  for (const auto* m : mdevs) {
    rows = rows | m->matrix.apm;
    cols = cols | m->matrix.aqm;
  }

  json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["host"] = {
      {"max_adapter_id", bus.max_adapter_id()},
      {"max_domain_id", bus.max_domain_id()},
      {"adapters", id_array(bus.qci_apm())},
      {"usage_domains", id_array(bus.qci_aqm())},
      {"control_domains", id_array(bus.qci_adm())},
      {"apmask", "0x" + bus.apmask().hex()},
      {"aqmask", "0x" + bus.aqmask().hex()},
  };
  j["domains"] = id_array(cols);

  json adapters = json::array();
  rows.for_each([&](unsigned apid) {
    json a;
    a["id"] = apid;
    a["in_host"] = bus.qci_apm().test(apid);
    json queues = json::object(), unbound = json::array();
    if (const ap::ApCard* card = bus.card(apid)) {
      a["type"] = card->cfg.type;
      a["config"] = card->config;
      a["chkstop"] = card->chkstop;
      a["driver"] = card->driver ? json(card->driver->name()) : json(nullptr);
      for (const auto& q : card->queues) {
        if (q->driver)
          queues[q->driver->name()].push_back(q->apqi);
        else
          unbound.push_back(q->apqi);
      }
    } else {
      a["type"] = nullptr;
    }
    a["queues"] = std::move(queues);
    a["unbound"] = std::move(unbound);
    json reserved = json::array();
    cols.for_each([&](unsigned apqi) {
      if (bus.apqn_owned_by_def_drv(apid, apqi)) reserved.push_back(apqi);
    });
    a["reserved"] = std::move(reserved);
    adapters.push_back(std::move(a));
  });
  j["adapters"] = std::move(adapters);

  json mj = json::array();
  for (const auto* m : mdevs) {
    mj.push_back({
        {"uuid", m->uuid()},
        {"iommu_group", m->mdev->iommu_group},
        {"adapters", id_array(m->matrix.apm)},
        {"domains", id_array(m->matrix.aqm)},
        {"control_domains", id_array(m->matrix.adm)},
        {"guest_view",
         {{"adapters", id_array(m->shadow_apcb.apm)},
          {"domains", id_array(m->shadow_apcb.aqm)},
          {"control_domains", id_array(m->shadow_apcb.adm)}}},
        {"guest", m->kvm() ? json(m->kvm()->name) : json(nullptr)},
    });
  }
  j["mdevs"] = std::move(mj);

  json gj = json::array();
  for (const auto& [name, g] : sys.guests().all())
    gj.push_back({{"name", name}, {"mdev", g->ap ? json(g->ap->mdev->uuid) : json(nullptr)}});
  j["guests"] = std::move(gj);
  return j.dump();
}

// --------------------------------------------------------------- the model

namespace {

enum class Kind { Empty, Host, Free, Unbound, Assigned, InUse, NotAvailable, ConflictHost, ConflictShared };
constexpr int kKinds = 9;

struct Cell {
  Kind kind = Kind::Empty;
  int mdev = -1;  // the mdev for Assigned/InUse/NotAvailable, the first claimant for conflicts
  std::string text;
};

constexpr int NO_QUEUE = -2, UNBOUND = -1;

struct Adapter {
  unsigned id = 0;
  bool in_host = false;
  bool has_card = false;
  std::string type;
  bool config = true, chkstop = false;
  std::array<int, 256> queue;  // NO_QUEUE, UNBOUND or an index into Model::drivers
  Bitmap256 reserved;
  Adapter() { queue.fill(NO_QUEUE); }
};

struct Mdev {
  std::string uuid, letter, guest;
  bool running = false;
  Bitmap256 apm, aqm, adm, vapm, vaqm, vadm;
};

struct Model {
  Bitmap256 host_apm, host_aqm, host_adm;
  std::vector<std::string> drivers;
  std::vector<Adapter> adapters;  // ascending id
  std::vector<unsigned> domains;  // ascending
  std::vector<Mdev> mdevs;
  std::vector<std::string> guests_without_mdev;
  std::vector<std::vector<Cell>> cells;  // [adapter index][domain index]
};

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("matrix snapshot: " + why); }

unsigned to_id(const json& v) {
  if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 255) bad("bad id " + v.dump());
  return v.get<unsigned>();
}

Bitmap256 to_bits(const json& a) {
  if (!a.is_array()) bad("expected an array of ids, got " + a.dump());
  Bitmap256 b;
  for (const auto& v : a) b.set(to_id(v));
  return b;
}

// A, B, ..., Z, AA, AB, ...
std::string letters(size_t i) {
  std::string s;
  for (++i; i; i /= 26) {
    --i;
    s.insert(s.begin(), static_cast<char>('A' + i % 26));
  }
  return s;
}

Cell classify(const Model& m, const Adapter& a, unsigned apqi) {
  const int q = a.queue[apqi];
  const bool reserved = a.reserved.test(apqi);
  std::vector<int> claim;
  for (size_t i = 0; i < m.mdevs.size(); ++i)
    if (m.mdevs[i].apm.test(a.id) && m.mdevs[i].aqm.test(apqi)) claim.push_back(static_cast<int>(i));
  Cell c;
  if (claim.size() > 1 || (claim.size() == 1 && reserved)) {
    c.kind = reserved ? Kind::ConflictHost : Kind::ConflictShared;
    c.mdev = claim.front();
    c.text = reserved ? "#h" : "#";
    for (int i : claim) c.text += m.mdevs[i].letter;
    if (c.text.size() > 5) c.text = c.text.substr(0, 4) + "+";
    return c;
  }
  if (claim.size() == 1) {
    const Mdev& md = m.mdevs[claim.front()];
    c.mdev = claim.front();
    const bool in_view = md.vapm.test(a.id) && md.vaqm.test(apqi);
    const bool available =
        m.host_apm.test(a.id) && m.host_aqm.test(apqi) && q >= 0 && m.drivers[q] == "vfio_ap";
    if (in_view && md.running) {
      c.kind = Kind::InUse;
      c.text = md.letter + "*";
    } else if (!available) {
      c.kind = Kind::NotAvailable;
      c.text = md.letter + "!";
    } else {
      c.kind = Kind::Assigned;
      c.text = md.letter;
    }
    return c;
  }
  if (q == NO_QUEUE) {
    c.kind = Kind::Empty;
    c.text = '.';
  } else if (reserved || (q >= 0 && m.drivers[q] != "vfio_ap")) {
    c.kind = Kind::Host;
    c.text = 'h';
  } else if (q == UNBOUND) {
    c.kind = Kind::Unbound;
    c.text = 'u';
  } else {
    c.kind = Kind::Free;
    c.text = '-';
  }
  return c;
}

Model parse(const std::string& text) {
  // The reply comes over a socket: bounded like every JSON input.
  json j;
  if (std::string why = base::json_fields::parse_checked(text, j); !why.empty()) bad(why);
  Model m;
  try {
    if (!j.is_object() || j.value("format", "") != kFormat) bad("not an mdevsim matrix snapshot");
    if (j.value("version", 0) != kVersion) bad("unsupported version " + j.value("version", json()).dump());
    const json& host = j.at("host");
    m.host_apm = to_bits(host.at("adapters"));
    m.host_aqm = to_bits(host.at("usage_domains"));
    m.host_adm = to_bits(host.at("control_domains"));

    auto driver_index = [&](const std::string& name) {
      auto it = std::find(m.drivers.begin(), m.drivers.end(), name);
      if (it != m.drivers.end()) return static_cast<int>(it - m.drivers.begin());
      m.drivers.push_back(name);
      return static_cast<int>(m.drivers.size() - 1);
    };

    Bitmap256 cols = to_bits(j.at("domains")), rows;
    std::map<unsigned, Adapter> adapters;
    for (const auto& a : j.at("adapters")) {
      Adapter ad;
      ad.id = to_id(a.at("id"));
      ad.in_host = a.value("in_host", m.host_apm.test(ad.id));
      ad.has_card = a.contains("type") && a["type"].is_string();
      if (ad.has_card) ad.type = a["type"].get<std::string>();
      ad.config = a.value("config", true);
      ad.chkstop = a.value("chkstop", false);
      if (a.contains("queues"))
        for (const auto& [drv, doms] : a["queues"].items()) {
          int idx = driver_index(drv);
          for (const auto& d : doms) ad.queue[to_id(d)] = idx;
        }
      if (a.contains("unbound"))
        for (const auto& d : a["unbound"]) ad.queue[to_id(d)] = UNBOUND;
      if (a.contains("reserved")) ad.reserved = to_bits(a["reserved"]);
      for (unsigned d = 0; d < 256; ++d)
        if (ad.queue[d] != NO_QUEUE) cols.set(d);
      rows.set(ad.id);
      adapters[ad.id] = std::move(ad);
    }

    const json& mdevs = j.at("mdevs");
    for (size_t i = 0; i < mdevs.size(); ++i) {
      const json& x = mdevs[i];
      Mdev md;
      md.uuid = x.at("uuid").get<std::string>();
      md.letter = letters(i);
      md.apm = to_bits(x.at("adapters"));
      md.aqm = to_bits(x.at("domains"));
      md.adm = to_bits(x.at("control_domains"));
      if (x.contains("guest_view")) {
        const json& v = x["guest_view"];
        md.vapm = to_bits(v.at("adapters"));
        md.vaqm = to_bits(v.at("domains"));
        md.vadm = to_bits(v.at("control_domains"));
      }
      md.running = x.contains("guest") && x["guest"].is_string();
      if (md.running) md.guest = x["guest"].get<std::string>();
      rows = rows | md.apm;
      cols = cols | md.aqm;
      m.mdevs.push_back(std::move(md));
    }
    if (j.contains("guests"))
      for (const auto& g : j["guests"]) {
        const std::string name = g.at("name").get<std::string>();
        bool attached = false;
        if (g.contains("mdev") && g["mdev"].is_string())
          for (const auto& md : m.mdevs) attached = attached || md.uuid == g["mdev"].get<std::string>();
        if (!attached) m.guests_without_mdev.push_back(name);
      }

    // Adapters assigned but missing from the list: no card, nothing reserved.
    rows.for_each([&](unsigned apid) {
      if (adapters.count(apid)) return;
      Adapter ad;
      ad.id = apid;
      ad.in_host = m.host_apm.test(apid);
      adapters[apid] = std::move(ad);
    });
    for (auto& [id, ad] : adapters) m.adapters.push_back(std::move(ad));
    cols.for_each([&](unsigned apqi) { m.domains.push_back(apqi); });
  } catch (const json::exception& e) {
    bad(e.what());
  }

  m.cells.resize(m.adapters.size());
  for (size_t r = 0; r < m.adapters.size(); ++r)
    for (unsigned d : m.domains) m.cells[r].push_back(classify(m, m.adapters[r], d));
  return m;
}

// ------------------------------------------------------------------ layout

// One displayed row or column: a single adapter/domain or a merged run.
struct Group {
  std::vector<size_t> members;  // indices into Model::adapters / Model::domains
  std::string label;            // "05", "10-3f", "0047", "0010-003f"
};

struct Layout {
  std::vector<size_t> shown_rows, shown_cols;  // before merging
  std::vector<Group> rows, cols;
  bool merged = false;
};

constexpr size_t kMergeAbove = 16;  // merge runs only in grids larger than this
constexpr size_t kMinRun = 3;

std::vector<Group> make_groups(const std::vector<size_t>& shown, const std::vector<unsigned>& ids,
                               const std::vector<std::string>& keys, unsigned digits, bool& merged) {
  std::vector<Group> out;
  const bool merge = shown.size() > kMergeAbove;
  for (size_t i = 0; i < shown.size();) {
    size_t k = i + 1;
    if (merge)
      while (k < shown.size() && ids[k] == ids[k - 1] + 1 && keys[k] == keys[i]) ++k;
    if (k - i < kMinRun) k = i + 1;
    Group g;
    for (size_t x = i; x < k; ++x) g.members.push_back(shown[x]);
    g.label = k - i == 1 ? fmt::format("{:0{}x}", ids[i], digits)
                         : fmt::format("{:0{}x}-{:0{}x}", ids[i], digits, ids[k - 1], digits);
    if (k - i > 1) merged = true;
    out.push_back(std::move(g));
    i = k;
  }
  return out;
}

Layout make_layout(const Model& m) {
  Layout L;
  std::vector<bool> col_used(m.domains.size(), false);
  for (size_t r = 0; r < m.adapters.size(); ++r) {
    bool used = false;
    for (size_t c = 0; c < m.domains.size(); ++c)
      if (m.cells[r][c].kind != Kind::Empty) used = col_used[c] = true;
    if (used) L.shown_rows.push_back(r);
  }
  for (size_t c = 0; c < m.domains.size(); ++c)
    if (col_used[c]) L.shown_cols.push_back(c);

  std::vector<unsigned> ids;
  std::vector<std::string> keys;
  const bool merge_rows = L.shown_rows.size() > kMergeAbove;
  for (size_t r : L.shown_rows) {
    const Adapter& a = m.adapters[r];
    // Types alternate in big hosts; merged rows name a type only if they share it.
    std::string key = fmt::format("{}|{}{}{}{}|", merge_rows ? "" : a.has_card ? a.type : "-", a.in_host, a.config,
                                  a.chkstop, a.has_card);
    for (size_t c : L.shown_cols) key += m.cells[r][c].text + "|";
    ids.push_back(a.id);
    keys.push_back(std::move(key));
  }
  L.rows = make_groups(L.shown_rows, ids, keys, 2, L.merged);
  ids.clear();
  keys.clear();
  for (size_t c : L.shown_cols) {
    std::string key = fmt::format("{}|", m.host_aqm.test(m.domains[c]));
    for (size_t r : L.shown_rows) key += m.cells[r][c].text + "|";
    ids.push_back(m.domains[c]);
    keys.push_back(std::move(key));
  }
  L.cols = make_groups(L.shown_cols, ids, keys, 4, L.merged);
  return L;
}

// --------------------------------------------------------------- text bits

// "none", or ids in hex joined by ",", runs of 3 or more as "a-b".
std::string id_list(const Bitmap256& b, unsigned digits, const Bitmap256* flag = nullptr) {
  std::vector<unsigned> v;
  b.for_each([&](unsigned n) { v.push_back(n); });
  if (v.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < v.size();) {
    size_t k = i + 1;
    // Runs do not cross flagged/unflagged boundaries.
    auto flagged = [&](size_t x) { return flag && !flag->test(v[x]); };
    while (k < v.size() && v[k] == v[k - 1] + 1 && flagged(k) == flagged(i)) ++k;
    if (k - i < 3) k = i + 1;
    if (!out.empty()) out += ",";
    out += k - i == 1 ? fmt::format("{:0{}x}", v[i], digits)
                      : fmt::format("{:0{}x}-{:0{}x}", v[i], digits, v[k - 1], digits);
    if (flagged(i)) out += "!";
    i = k;
  }
  return out;
}

const char* const kAnsiPalette[] = {"34", "35", "36", "94", "95", "96"};
const char* const kSvgStrong[] = {"#1f77b4", "#9467bd", "#17becf", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22"};
const char* const kSvgLight[] = {"#c6dbef", "#dadaeb", "#c7eef3", "#fdd0a2", "#e2cdc6", "#f7d0ea", "#ecedb8"};

std::string mdev_sgr(int i) { return kAnsiPalette[static_cast<size_t>(i) % std::size(kAnsiPalette)]; }

std::string paint_cell(const Cell& c, bool color) {
  switch (c.kind) {
    case Kind::Empty: return paint(c.text, "2", color);
    case Kind::Host: return paint(c.text, "90", color);
    case Kind::Free: return paint(c.text, "32", color);
    case Kind::Unbound: return paint(c.text, "33", color);
    case Kind::Assigned: return paint(c.text, mdev_sgr(c.mdev), color);
    case Kind::InUse: return paint(c.text, "1;7;" + mdev_sgr(c.mdev), color);
    case Kind::NotAvailable:
      return paint(c.text.substr(0, c.text.size() - 1), mdev_sgr(c.mdev), color) + paint("!", "1;31", color);
    case Kind::ConflictHost:
    case Kind::ConflictShared: return paint(c.text, "1;97;41", color);
  }
  return c.text;
}

struct KeyEntry {
  const char* glyph;
  const char* text;
};
const KeyEntry kKey[kKinds] = {
    {".", "no queue"},
    {"h", "owned by the host: cex4queue, or reserved by apmask/aqmask"},
    {"-", "free for vfio_ap: bound to vfio_ap, not assigned"},
    {"u", "unbound queue"},
    {"X", "assigned to mdev X, not in use by a guest"},
    {"X*", "in use by the running guest of mdev X"},
    {"X!", "not available to mdev X: not in the host or not bound to vfio_ap"},
    {"#hX", "conflict: assigned to mdev X, reserved for the host by the masks"},
    {"#XY", "conflict: assigned to mdevs X and Y"},
};
// The order of the key: the mdev states first, then the host's.
const Kind kKeyOrder[kKinds] = {Kind::InUse,        Kind::Assigned, Kind::NotAvailable,
                                Kind::ConflictHost, Kind::ConflictShared, Kind::Free,
                                Kind::Unbound,      Kind::Host,           Kind::Empty};

std::string key_glyph(Kind k, bool color) {
  Cell c;
  c.kind = k;
  c.text = kKey[static_cast<int>(k)].glyph;
  switch (k) {
    case Kind::Assigned: return c.text;
    case Kind::InUse: return paint(c.text, "1;7", color);
    case Kind::NotAvailable: return "X" + paint("!", "1;31", color);
    default: return paint_cell(c, color);
  }
}

std::string pad(std::string painted, size_t visible, size_t width) {
  if (visible < width) painted.append(width - visible, ' ');
  return painted;
}

void rstrip_line(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

std::string row_type(const Model& m, const Group& g) {
  auto type = [&](size_t r) { return m.adapters[r].has_card ? m.adapters[r].type : "-"; };
  for (size_t r : g.members)
    if (type(r) != type(g.members.front())) return "mixed";
  return type(g.members.front());
}

struct Counts {
  std::array<size_t, kKinds> n{};
};

Counts count_cells(const Model& m, const Layout& L) {
  Counts c;
  for (size_t r : L.shown_rows)
    for (size_t col : L.shown_cols) ++c.n[static_cast<int>(m.cells[r][col].kind)];
  return c;
}

// Per mdev: APQNs assigned and APQNs in the guest view.
std::pair<int, int> apqn_counts(const Mdev& md) {
  int assigned = md.apm.count() * md.aqm.count();
  int view = md.vapm.count() * md.vaqm.count();
  return {assigned, view};
}

std::string unbound_list(const Model& m, size_t max_shown, size_t& total) {
  std::string out;
  total = 0;
  for (const Adapter& a : m.adapters)
    for (unsigned d = 0; d < 256; ++d)
      if (a.queue[d] == UNBOUND) {
        if (total++ < max_shown) out += fmt::format("{}{:02x}.{:04x}", out.empty() ? "" : ",", a.id, d);
      }
  return out;
}

constexpr size_t kMaxWidth = 80;

// `text` wrapped after commas or at spaces so that lines stay within
// kMaxWidth, given that the first line already holds `col` characters;
// continuation lines start with `indent` spaces. Runs of spaces become one.
std::string wrap(std::string_view text, size_t col, size_t indent) {
  std::string out;
  size_t cur = col;
  bool space = false;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      space = true;
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != ',') ++j;
    if (j < text.size() && text[j] == ',') ++j;
    std::string_view tok = text.substr(i, j - i);
    if (cur + (space ? 1 : 0) + tok.size() > kMaxWidth && cur > indent) {
      out += "\n" + std::string(indent, ' ');
      cur = indent;
      space = false;
    }
    if (space) {
      out += ' ';
      ++cur;
    }
    out += tok;
    cur += tok.size();
    space = false;
    i = j;
  }
  return out;
}

// The host's QCI masks, one line each (lists wrapped).
std::vector<std::string> host_lines(const Model& m) {
  auto item = [](const char* name, const std::string& list) {
    std::string head = fmt::format("  {:<17}", std::string(name) + ":");
    return head + wrap(list, head.size(), head.size());
  };
  return {"Host AP configuration (QCI):", item("adapters", id_list(m.host_apm, 2)),
          item("usage domains", id_list(m.host_aqm, 4)), item("control domains", id_list(m.host_adm, 4))};
}

// Lines after the grid that are not the key or the mdevs.
std::vector<std::string> notes(const Model& m, const Layout& L) {
  std::vector<std::string> out;
  constexpr size_t kMaxUnbound = 16;
  size_t total = 0;
  std::string ub = unbound_list(m, kMaxUnbound, total);
  if (total > kMaxUnbound)
    out.push_back(fmt::format("Unbound queues ({}): {} and {} more", total, ub, total - kMaxUnbound));
  else if (total)
    out.push_back("Unbound queues: " + ub);

  Bitmap256 out_apm, out_aqm, deconf, chkstop;
  for (size_t r : L.shown_rows) {
    const Adapter& a = m.adapters[r];
    if (!m.host_apm.test(a.id)) out_apm.set(a.id);
    if (a.has_card && !a.config) deconf.set(a.id);
    if (a.has_card && a.chkstop) chkstop.set(a.id);
  }
  for (size_t c : L.shown_cols)
    if (!m.host_aqm.test(m.domains[c])) out_aqm.set(m.domains[c]);
  if (out_apm.any() || out_aqm.any()) {
    std::string s = "Not in the host configuration:";
    if (out_apm.any()) s += " adapters " + id_list(out_apm, 2);
    if (out_apm.any() && out_aqm.any()) s += ";";
    if (out_aqm.any()) s += " usage domains " + id_list(out_aqm, 4);
    out.push_back(s);
  }
  if (deconf.any()) out.push_back("Deconfigured adapters: " + id_list(deconf, 2));
  if (chkstop.any()) out.push_back("Checkstopped adapters: " + id_list(chkstop, 2));
  if (!m.guests_without_mdev.empty()) {
    std::string s = "Guests without a vfio-ap device:";
    for (const auto& g : m.guests_without_mdev) s += " " + g;
    out.push_back(s);
  }
  if (L.merged)
    out.push_back("A label a-b stands for consecutive adapters or domains with identical cells.");
  for (auto& line : out) line = wrap(line, 0, 2);
  return out;
}

std::string mdev_status(const Mdev& md) {
  auto [assigned, view] = apqn_counts(md);
  if (md.running) return fmt::format("guest {}: {} of {} APQNs in use", md.guest, view, assigned);
  if (assigned == 0) return "no guest: no APQN assigned";
  return fmt::format("no guest: {} APQN{} assigned", assigned, assigned == 1 ? "" : "s");
}

std::string mdev_assignment(const Mdev& md) {
  return fmt::format("adapters {}; usage domains {}; control domains {}", id_list(md.apm, 2), id_list(md.aqm, 4),
                     id_list(md.adm, 4, &md.vadm));
}

bool any_control_filtered(const Model& m) {
  for (const auto& md : m.mdevs)
    if (md.adm.andnot(md.vadm).any()) return true;
  return false;
}

// --------------------------------------------------------------- text view

std::string render_text(const Model& m, const Layout& L, bool color) {
  std::string out;
  for (const auto& line : host_lines(m)) out += line + "\n";
  out += "\n";
  if (L.rows.empty() || L.cols.empty()) {
    out += "No APQNs: no adapter has a queue or an assignment.\n";
  } else {
    out += "Adapters (rows) x usage domains (columns):\n";
    size_t id_w = 0, type_w = 0;
    for (const Group& g : L.rows) {
      id_w = std::max(id_w, g.label.size());
      type_w = std::max(type_w, row_type(m, g).size());
    }
    const size_t label_w = id_w + 1 + type_w;
    std::vector<size_t> col_w;
    for (size_t c = 0; c < L.cols.size(); ++c) {
      size_t w = L.cols[c].label.size();
      for (const Group& r : L.rows)
        w = std::max(w, m.cells[r.members.front()][L.cols[c].members.front()].text.size());
      col_w.push_back(w);
    }
    for (size_t c0 = 0; c0 < L.cols.size();) {
      size_t width = label_w, c1 = c0;
      while (c1 < L.cols.size() && (c1 == c0 || width + 2 + col_w[c1] <= kMaxWidth)) width += 2 + col_w[c1++];
      if (c0 > 0) out += "\n";
      std::string line(label_w, ' ');
      for (size_t c = c0; c < c1; ++c) line += "  " + pad(L.cols[c].label, L.cols[c].label.size(), col_w[c]);
      rstrip_line(line);
      out += line + "\n";
      for (const Group& r : L.rows) {
        line = fmt::format("{:<{}} {:<{}}", r.label, id_w, row_type(m, r), type_w);
        for (size_t c = c0; c < c1; ++c) {
          const Cell& cell = m.cells[r.members.front()][L.cols[c].members.front()];
          line += "  " + pad(paint_cell(cell, color), cell.text.size(), col_w[c]);
        }
        rstrip_line(line);
        out += line + "\n";
      }
      c0 = c1;
    }

    out += "\n";
    Counts n = count_cells(m, L);
    for (Kind k : kKeyOrder) {
      size_t cnt = n.n[static_cast<int>(k)];
      if (!cnt) continue;
      const KeyEntry& e = kKey[static_cast<int>(k)];
      out += fmt::format("  {}{}{}\n", key_glyph(k, color), std::string(5 - std::string_view(e.glyph).size(), ' '),
                         wrap(fmt::format("{} ({})", e.text, cnt), 7, 7));
    }
  }

  if (!m.mdevs.empty()) {
    out += "\nMediated devices:\n";
    size_t lw = 0;
    for (const auto& md : m.mdevs) lw = std::max(lw, md.letter.size());
    for (size_t i = 0; i < m.mdevs.size(); ++i) {
      const Mdev& md = m.mdevs[i];
      const std::string letter = paint(md.letter, "1;" + mdev_sgr(static_cast<int>(i)), color);
      out += fmt::format("  {}  {}  {}\n", pad(letter, md.letter.size(), lw), md.uuid, mdev_status(md));
      out += fmt::format("  {}  {}\n", std::string(lw, ' '), wrap(mdev_assignment(md), lw + 4, lw + 4));
    }
    if (any_control_filtered(m)) out += "  (a control domain marked ! is not in the host configuration)\n";
  }

  auto extra = notes(m, L);
  if (!extra.empty()) {
    out += "\n";
    for (const auto& s : extra) out += s + "\n";
  }
  return out;
}

// ---------------------------------------------------------------- SVG view

constexpr double kCharW = 7.3;  // 12px monospace
constexpr int kPad = 12, kCellH = 22, kLineH = 18;

struct SvgStyle {
  std::string fill, stroke, text;
  bool bold = false;
  bool dashed = false;
};

SvgStyle svg_style(const Cell& c) {
  const size_t i = c.mdev < 0 ? 0 : static_cast<size_t>(c.mdev);
  const char* strong = kSvgStrong[i % std::size(kSvgStrong)];
  const char* light = kSvgLight[i % std::size(kSvgLight)];
  switch (c.kind) {
    case Kind::Empty: return {"#ffffff", "#e0e0e0", "#9e9e9e"};
    case Kind::Host: return {"#d5d5d5", "#ffffff", "#555555"};
    case Kind::Free: return {"#d8f0d8", "#ffffff", "#2e7d32"};
    case Kind::Unbound: return {"#fff0b3", "#ffffff", "#8a6d00"};
    case Kind::Assigned: return {light, "#ffffff", "#222222"};
    case Kind::InUse: return {strong, "#ffffff", "#ffffff", true};
    case Kind::NotAvailable: return {light, "#d62728", "#d62728", true, true};
    case Kind::ConflictHost:
    case Kind::ConflictShared: return {"#d62728", "#ffffff", "#ffffff", true};
  }
  return {};
}

std::string cell_title(const Model& m, const Group& r, const Group& c, const Cell& cell) {
  std::string where = fmt::format("{}.{}", r.label, c.label);
  const std::string who =
      cell.mdev >= 0 ? fmt::format("mdev {} ({})", m.mdevs[cell.mdev].letter, m.mdevs[cell.mdev].uuid) : "";
  switch (cell.kind) {
    case Kind::Empty: return where + ": no queue";
    case Kind::Host: return where + ": owned by the host";
    case Kind::Free: return where + ": free for vfio_ap";
    case Kind::Unbound: return where + ": unbound";
    case Kind::Assigned: return where + ": assigned to " + who;
    case Kind::InUse: return where + ": in use by guest " + m.mdevs[cell.mdev].guest + ", " + who;
    case Kind::NotAvailable: return where + ": assigned to " + who + ", not available";
    case Kind::ConflictHost: return where + ": conflict: reserved for the host, assigned to " + cell.text.substr(2);
    case Kind::ConflictShared: return where + ": conflict: assigned to " + cell.text.substr(1);
  }
  return where;
}

std::string svg_text(double x, double y, std::string_view text, std::string_view attrs = {}) {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\"{}{}>{}</text>\n", x, y, attrs.empty() ? "" : " ", attrs,
                     xml(text));
}

std::string render_svg(const Model& m, const Layout& L) {
  std::string body;
  double y = kPad + 14;
  double max_x = 0;
  auto line = [&](std::string_view text, double x, std::string_view attrs = {}) {
    body += svg_text(x, y, text, attrs);
    max_x = std::max(max_x, x + static_cast<double>(text.size()) * kCharW);
  };

  for (const auto& text : host_lines(m)) {
    std::istringstream lines(text);
    for (std::string l; std::getline(lines, l);) {
      line(l, kPad, text.front() == ' ' ? "" : "font-weight=\"bold\"");
      y += kLineH;
    }
  }
  y += 8;

  if (L.rows.empty() || L.cols.empty()) {
    line("No APQNs: no adapter has a queue or an assignment.", kPad);
    y += kLineH;
  } else {
    size_t label_chars = 0;
    for (const Group& g : L.rows) label_chars = std::max(label_chars, g.label.size() + 1 + row_type(m, g).size());
    const double label_w = static_cast<double>(label_chars) * kCharW + 12;
    std::vector<double> col_x, col_w;
    double x = kPad + label_w;
    for (const Group& c : L.cols) {
      size_t chars = c.label.size();
      for (const Group& r : L.rows) chars = std::max(chars, m.cells[r.members.front()][c.members.front()].text.size());
      double w = std::max(44.0, static_cast<double>(chars) * kCharW + 12);
      col_x.push_back(x);
      col_w.push_back(w);
      x += w;
    }
    max_x = std::max(max_x, x);
    // Column labels.
    for (size_t c = 0; c < L.cols.size(); ++c)
      body += svg_text(col_x[c] + col_w[c] / 2, y, L.cols[c].label, "text-anchor=\"middle\" fill=\"#333333\"");
    y += 6;
    for (const Group& r : L.rows) {
      body += svg_text(kPad, y + 15, fmt::format("{} {}", r.label, row_type(m, r)), "fill=\"#333333\"");
      for (size_t c = 0; c < L.cols.size(); ++c) {
        const Cell& cell = m.cells[r.members.front()][L.cols[c].members.front()];
        SvgStyle s = svg_style(cell);
        body += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" rx=\"3\" fill=\"{}\" stroke=\"{}\" "
            "stroke-width=\"{}\"{}><title>{}</title></rect>\n",
            col_x[c] + 1, y + 1, col_w[c] - 2, kCellH - 2, s.fill, s.stroke, s.dashed ? 2 : 1,
            s.dashed ? " stroke-dasharray=\"4 2\"" : "", xml(cell_title(m, r, L.cols[c], cell)));
        body += svg_text(col_x[c] + col_w[c] / 2, y + 15, cell.text,
                         fmt::format("text-anchor=\"middle\" fill=\"{}\"{}", s.text,
                                     s.bold ? " font-weight=\"bold\"" : ""));
      }
      y += kCellH;
    }
    y += kLineH;

    Counts n = count_cells(m, L);
    for (Kind k : kKeyOrder) {
      size_t cnt = n.n[static_cast<int>(k)];
      if (!cnt) continue;
      Cell sample;
      sample.kind = k;
      sample.mdev = 0;
      SvgStyle s = svg_style(sample);
      if (k == Kind::Assigned) s.fill = "#e6e6e6";
      if (k == Kind::InUse) s.fill = "#555555";
      body += fmt::format("<circle cx=\"{}\" cy=\"{:.1f}\" r=\"6\" fill=\"{}\" stroke=\"{}\"/>\n", kPad + 6, y - 4,
                          s.fill, k == Kind::NotAvailable ? "#d62728" : "#999999");
      const KeyEntry& e = kKey[static_cast<int>(k)];
      line(fmt::format("{:<4} {} ({})", e.glyph, e.text, cnt), kPad + 18);
      y += kLineH;
    }
  }

  if (!m.mdevs.empty()) {
    y += 8;
    line("Mediated devices:", kPad, "font-weight=\"bold\"");
    y += kLineH;
    for (size_t i = 0; i < m.mdevs.size(); ++i) {
      const Mdev& md = m.mdevs[i];
      body += fmt::format("<circle cx=\"{}\" cy=\"{:.1f}\" r=\"6\" fill=\"{}\"/>\n", kPad + 6, y - 4,
                          kSvgStrong[i % std::size(kSvgStrong)]);
      line(fmt::format("{}  {}  {}", md.letter, md.uuid, mdev_status(md)), kPad + 18);
      y += kLineH;
      line(mdev_assignment(md), kPad + 18 + static_cast<double>(md.letter.size() + 2) * kCharW, "fill=\"#555555\"");
      y += kLineH;
    }
    if (any_control_filtered(m)) {
      line("(a control domain marked ! is not in the host configuration)", kPad + 18, "fill=\"#555555\"");
      y += kLineH;
    }
  }

  auto extra = notes(m, L);
  if (!extra.empty()) {
    y += 8;
    for (const auto& text : extra) {
      std::istringstream lines(text);
      for (std::string l; std::getline(lines, l);) {
        line(l, kPad);
        y += kLineH;
      }
    }
  }

  const int width = static_cast<int>(max_x) + kPad;
  const int height = static_cast<int>(y) + kPad - kLineH + 8;
  return fmt::format(
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
             "font-family=\"monospace\" font-size=\"12\" xml:space=\"preserve\" style=\"background:#ffffff\">\n"
             "<title>AP matrix</title>\n",
             width, height) +
         body + "</svg>\n";
}

}  // namespace

std::string render_matrix(const std::string& snapshot_json, MatrixStyle style) {
  Model m = parse(snapshot_json);
  Layout L = make_layout(m);
  switch (style) {
    case MatrixStyle::Plain: return render_text(m, L, false);
    case MatrixStyle::Color: return render_text(m, L, true);
    case MatrixStyle::Svg: return render_svg(m, L);
  }
  return render_text(m, L, false);
}

}  // namespace mdevsim
