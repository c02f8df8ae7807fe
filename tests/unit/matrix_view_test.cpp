// `mdevsim matrix`: the snapshot of the AP matrix and its pictures (plain
// text, ANSI colours, SVG), on the upstream vfio-ap documentation's example
// (three mdevs on the LPAR with adapters 5 and 6 and domains 4, 0x47, 0xab,
// 0xff), on states that keep APQNs from a guest or conflict, and on big hosts.
#include "cli/matrix_view.h"

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apbus/host_config.h"
#include "cli/system.h"

namespace {

using mdevsim::MatrixStyle;
using mdevsim::render_matrix;
using nlohmann::json;

const std::string kUuid1 = "62177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kUuid2 = "b5a1ef6c-3a4e-4bd4-9b5c-4e1a2ff1fd1a";
const std::string kUuid3 = "0c0c3d25-1f7a-4ea3-8a5c-c3b1e9a8a2c4";
const std::string kCreate = "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create";

// Starts a guest with one vfio-ap device.
bool start_guest(mdevsim::System& sys, const std::string& name, const std::string& uuid, std::string& error) {
  return sys.guests().start(name, {.devices = {"vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/" + uuid}}, error);
}

// Drops SGR sequences (ESC [ digits and semicolons m).
std::string strip_ansi(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    size_t end = i;
    if (s.compare(i, 2, "\x1b[") == 0) end = s.find_first_not_of("0123456789;", i + 2);
    if (end != i && end != std::string::npos && s[end] == 'm') i = end;
    else out += s[i];
  }
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + what.size())) ++n;
  return n;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Tags nest and close, attribute values are quoted, and every '&' starts
// one of XML's predefined entities.
::testing::AssertionResult well_formed_xml(const std::string& doc) {
  std::vector<std::string> open;
  for (size_t i = 0; i < doc.size(); ++i) {
    if (doc[i] == '&') {
      bool entity = false;
      for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
        entity = entity || doc.compare(i, strlen(e), e) == 0;
      if (!entity) return ::testing::AssertionFailure() << "bare & at " << i;
      continue;
    }
    if (doc[i] == '>') return ::testing::AssertionFailure() << "bare > at " << i;
    if (doc[i] != '<') continue;
    size_t end = i + 1;
    bool quoted = false;
    while (end < doc.size() && (quoted || doc[end] != '>')) {
      if (doc[end] == '"') quoted = !quoted;
      if (doc[end] == '<' && !quoted) return ::testing::AssertionFailure() << "< inside a tag at " << end;
      ++end;
    }
    if (end == doc.size()) return ::testing::AssertionFailure() << "unterminated tag at " << i;
    std::string tag = doc.substr(i + 1, end - i - 1);
    i = end;
    if (tag.front() == '/') {
      std::string name = tag.substr(1);
      if (open.empty() || open.back() != name)
        return ::testing::AssertionFailure() << "</" << name << "> closes " << (open.empty() ? "nothing" : open.back());
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find(' ')));
    }
    if (open.empty() && i + 1 < doc.size() && doc.substr(i + 1) != "\n")
      return ::testing::AssertionFailure() << "content after the root element";
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

class MatrixView : public ::testing::Test {
 protected:
  MatrixView() : sys(ap::default_host()) {}

  void write(const std::string& path, const std::string& data) {
    std::lock_guard g(sys.lock());
    auto r = sys.tree().write(path, data);
    ASSERT_TRUE(r.has_value()) << path << " <- " << data << ": errno " << r.error().code;
  }
  void mdev(const std::string& uuid, const std::string& attr, const std::string& value) {
    write("devices/vfio_ap/matrix/" + uuid + "/" + attr, value + "\n");
  }
  void start(const std::string& name, const std::string& uuid) {
    std::lock_guard g(sys.lock());
    std::string error;
    ASSERT_TRUE(start_guest(sys, name, uuid, error)) << error;
  }
  std::string snapshot() {
    std::shared_lock g(sys.lock());
    return mdevsim::matrix_snapshot_json(sys);
  }
  std::string plain() { return render_matrix(snapshot(), MatrixStyle::Plain); }

  // Steps 2 to 4 of "Example: Configure AP Matrices for Three Linux
  // Guests", with control domains 4 and 0xab for Guest1's mdev.
  void doc_example() {
    write("bus/ap/apmask", "-5,-6\n");
    write("bus/ap/aqmask", "-4,-0x47,-0xab,-0xff\n");
    for (const auto* u : {&kUuid1, &kUuid2, &kUuid3}) write(kCreate, *u + "\n");
    mdev(kUuid1, "assign_adapter", "5");
    mdev(kUuid1, "assign_adapter", "6");
    mdev(kUuid1, "assign_domain", "4");
    mdev(kUuid1, "assign_domain", "0xab");
    mdev(kUuid1, "assign_control_domain", "4");
    mdev(kUuid1, "assign_control_domain", "0xab");
    mdev(kUuid2, "assign_adapter", "5");
    mdev(kUuid2, "assign_domain", "0x47");
    mdev(kUuid2, "assign_domain", "0xff");
    mdev(kUuid3, "assign_adapter", "6");
    mdev(kUuid3, "assign_domain", "0x47");
    mdev(kUuid3, "assign_domain", "0xff");
  }

  mdevsim::System sys;
};

const char* const kHostPart =
    "Host AP configuration (QCI):\n"
    "  adapters:        05,06\n"
    "  usage domains:   0004,0047,00ab,00ff\n"
    "  control domains: 0004,0047,00ab,00ff\n"
    "\n";

TEST_F(MatrixView, BootedHostOwnsEverything) {
  EXPECT_EQ(plain(), std::string(kHostPart) +
                         "Adapters (rows) x usage domains (columns):\n"
                         "          0004  0047  00ab  00ff\n"
                         "05 CEX5C  h     h     h     h\n"
                         "06 CEX5A  h     h     h     h\n"
                         "\n"
                         "  h    owned by the host: cex4queue, or reserved by apmask/aqmask (8)\n");
}

TEST_F(MatrixView, SecuredQueuesAreFree) {
  write("bus/ap/apmask", "-5,-6\n");
  write("bus/ap/aqmask", "-4,-0x47,-0xab,-0xff\n");
  EXPECT_EQ(plain(), std::string(kHostPart) +
                         "Adapters (rows) x usage domains (columns):\n"
                         "          0004  0047  00ab  00ff\n"
                         "05 CEX5C  -     -     -     -\n"
                         "06 CEX5A  -     -     -     -\n"
                         "\n"
                         "  -    free for vfio_ap: bound to vfio_ap, not assigned (8)\n");
}

TEST_F(MatrixView, DocExampleThreeMdevsOneGuest) {
  doc_example();
  start("Guest1", kUuid1);
  EXPECT_EQ(plain(), std::string(kHostPart) +
                         "Adapters (rows) x usage domains (columns):\n"
                         "          0004  0047  00ab  00ff\n"
                         "05 CEX5C  A*    B     A*    B\n"
                         "06 CEX5A  A*    C     A*    C\n"
                         "\n"
                         "  X*   in use by the running guest of mdev X (4)\n"
                         "  X    assigned to mdev X, not in use by a guest (4)\n"
                         "\n"
                         "Mediated devices:\n"
                         "  A  62177883-f1bb-47f0-914d-32a22e3a8804  guest Guest1: 4 of 4 APQNs in use\n"
                         "     adapters 05,06; usage domains 0004,00ab; control domains 0004,00ab\n"
                         "  B  b5a1ef6c-3a4e-4bd4-9b5c-4e1a2ff1fd1a  no guest: 2 APQNs assigned\n"
                         "     adapters 05; usage domains 0047,00ff; control domains none\n"
                         "  C  0c0c3d25-1f7a-4ea3-8a5c-c3b1e9a8a2c4  no guest: 2 APQNs assigned\n"
                         "     adapters 06; usage domains 0047,00ff; control domains none\n");
}

TEST_F(MatrixView, SnapshotHoldsTheFacts) {
  doc_example();
  start("Guest1", kUuid1);
  json j = json::parse(snapshot());
  EXPECT_EQ(j["format"], "mdevsim-matrix");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["host"]["adapters"], json({5, 6}));
  EXPECT_EQ(j["host"]["usage_domains"], json({4, 0x47, 0xab, 0xff}));
  EXPECT_EQ(j["host"]["apmask"], "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  EXPECT_EQ(j["domains"], json({4, 0x47, 0xab, 0xff}));
  ASSERT_EQ(j["adapters"].size(), 2u);
  EXPECT_EQ(j["adapters"][0]["type"], "CEX5C");
  EXPECT_EQ(j["adapters"][0]["queues"], json({{"vfio_ap", {4, 0x47, 0xab, 0xff}}}));
  EXPECT_EQ(j["adapters"][0]["reserved"], json::array());
  // Creation order, whatever order the driver keeps.
  ASSERT_EQ(j["mdevs"].size(), 3u);
  EXPECT_EQ(j["mdevs"][0]["uuid"], kUuid1);
  EXPECT_EQ(j["mdevs"][1]["uuid"], kUuid2);
  EXPECT_EQ(j["mdevs"][2]["uuid"], kUuid3);
  EXPECT_EQ(j["mdevs"][0]["guest"], "Guest1");
  EXPECT_TRUE(j["mdevs"][1]["guest"].is_null());
  EXPECT_EQ(j["mdevs"][0]["control_domains"], json({4, 0xab}));
  EXPECT_EQ(j["mdevs"][0]["guest_view"]["adapters"], json({5, 6}));
  EXPECT_EQ(j["guests"], json::parse(R"([{"name": "Guest1", "mdev": ")" + kUuid1 + R"("}])"));
}

TEST_F(MatrixView, ColorIsPlainWithEscapes) {
  doc_example();
  start("Guest1", kUuid1);
  const std::string snap = snapshot();
  const std::string color = render_matrix(snap, MatrixStyle::Color);
  EXPECT_NE(color.find("\x1b["), std::string::npos);
  EXPECT_NE(color.find("\x1b[0m"), std::string::npos);
  EXPECT_EQ(strip_ansi(color), render_matrix(snap, MatrixStyle::Plain));
  // Every kind of cell, including the problem ones, keeps the same text.
  json j = json::parse(snap);
  j["mdevs"][1]["adapters"].push_back(6);
  j["mdevs"][1]["adapters"].push_back(7);
  j["adapters"][0]["reserved"].push_back(0xff);
  j["adapters"][1]["unbound"].push_back(0x47);
  j["adapters"][1]["queues"]["vfio_ap"] = {4, 0xab, 0xff};
  const std::string odd = j.dump();
  const std::string odd_color = render_matrix(odd, MatrixStyle::Color);
  EXPECT_NE(odd_color.find("\x1b[1;97;41m"), std::string::npos);  // conflicts
  EXPECT_EQ(strip_ansi(odd_color), render_matrix(odd, MatrixStyle::Plain));
}

TEST_F(MatrixView, SvgIsAStandaloneDocument) {
  doc_example();
  start("Guest<1>&\"x\"", kUuid1);
  const std::string svg = render_matrix(snapshot(), MatrixStyle::Svg);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_TRUE(well_formed_xml(svg));
  EXPECT_EQ(count(svg, "<rect"), 8u);  // one per APQN of the 2x4 grid
  EXPECT_EQ(count(svg, "</rect>"), 8u);
  for (const auto* u : {&kUuid1, &kUuid2, &kUuid3}) EXPECT_NE(svg.find(*u), std::string::npos) << *u;
  EXPECT_NE(svg.find("guest Guest&lt;1&gt;&amp;&quot;x&quot;: 4 of 4 APQNs in use"), std::string::npos);
  EXPECT_NE(svg.find("<title>05.0004: in use by guest Guest&lt;1&gt;&amp;&quot;x&quot;, mdev A ("), std::string::npos);
  EXPECT_NE(svg.find(">0047</text>"), std::string::npos);
  EXPECT_NE(svg.find(">05 CEX5C</text>"), std::string::npos);
}

// A queue taken from vfio_ap and an adapter that is not in the host: the
// APQNs are not available; the rest of the adapter stays out of the guest.
TEST_F(MatrixView, NotAvailableAndUnbound) {
  doc_example();
  write("bus/ap/apmask", "-7\n");
  mdev(kUuid2, "assign_adapter", "7");
  mdev(kUuid2, "assign_control_domain", "5");
  write("bus/ap/drivers/vfio_ap/unbind", "06.0047\n");
  start("Guest1", kUuid1);
  start("Guest3", kUuid3);
  EXPECT_EQ(plain(), std::string(kHostPart) +
                         "Adapters (rows) x usage domains (columns):\n"
                         "          0004  0047  00ab  00ff\n"
                         "05 CEX5C  A*    B     A*    B\n"
                         "06 CEX5A  A*    C!    A*    C\n"
                         "07 -      .     B!    .     B!\n"
                         "\n"
                         "  X*   in use by the running guest of mdev X (4)\n"
                         "  X    assigned to mdev X, not in use by a guest (3)\n"
                         "  X!   not available to mdev X: not in the host or not bound to vfio_ap (3)\n"
                         "  .    no queue (2)\n"
                         "\n"
                         "Mediated devices:\n"
                         "  A  62177883-f1bb-47f0-914d-32a22e3a8804  guest Guest1: 4 of 4 APQNs in use\n"
                         "     adapters 05,06; usage domains 0004,00ab; control domains 0004,00ab\n"
                         "  B  b5a1ef6c-3a4e-4bd4-9b5c-4e1a2ff1fd1a  no guest: 4 APQNs assigned\n"
                         "     adapters 05,07; usage domains 0047,00ff; control domains 0005!\n"
                         "  C  0c0c3d25-1f7a-4ea3-8a5c-c3b1e9a8a2c4  guest Guest3: 0 of 2 APQNs in use\n"
                         "     adapters 06; usage domains 0047,00ff; control domains none\n"
                         "  (a control domain marked ! is not in the host configuration)\n"
                         "\n"
                         "Unbound queues: 06.0047\n"
                         "Not in the host configuration: adapters 07\n");
}

// States the kernel refuses to create but host changes can leave behind:
// an APQN of two mdevs, an APQN of an mdev that the masks give the host.
TEST_F(MatrixView, Conflicts) {
  doc_example();
  json j = json::parse(snapshot());
  j["mdevs"][1]["adapters"] = {5, 6};           // B now shares 06.0047 and 06.00ff with C
  j["adapters"][0]["reserved"] = {0xff};        // 05.00ff is the host's again
  j["adapters"][0]["queues"] = {{"cex4queue", {0xff}}, {"vfio_ap", {4, 0x47, 0xab}}};
  const std::string text = render_matrix(j.dump(), MatrixStyle::Plain);
  EXPECT_NE(text.find("          0004  0047  00ab  00ff\n"
                      "05 CEX5C  A     B     A     #hB\n"
                      "06 CEX5A  A     #BC   A     #BC\n"
                      "\n"
                      "  X    assigned to mdev X, not in use by a guest (5)\n"
                      "  #hX  conflict: assigned to mdev X, reserved for the host by the masks (1)\n"
                      "  #XY  conflict: assigned to mdevs X and Y (2)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  B  b5a1ef6c-3a4e-4bd4-9b5c-4e1a2ff1fd1a  no guest: 4 APQNs assigned\n"
                      "     adapters 05,06; usage domains 0047,00ff; control domains none\n"),
            std::string::npos)
      << text;
  const std::string svg = render_matrix(j.dump(), MatrixStyle::Svg);
  EXPECT_TRUE(well_formed_xml(svg));
  EXPECT_NE(svg.find("<title>06.0047: conflict: assigned to BC</title>"), std::string::npos);
}

TEST_F(MatrixView, MdevWithoutAdaptersAddsNoColumn) {
  // An mdev with a domain but no adapter adds no cell: its column is empty.
  write("bus/ap/aqmask", "-5\n");
  write(kCreate, kUuid1 + "\n");
  mdev(kUuid1, "assign_domain", "5");
  std::string text = plain();
  EXPECT_NE(text.find("          0004  0047  00ab  00ff\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  A  62177883-f1bb-47f0-914d-32a22e3a8804  no guest: no APQN assigned\n"
                      "     adapters none; usage domains 0005; control domains none\n"),
            std::string::npos)
      << text;
}

TEST(MatrixViewRender, RejectsWhatIsNotASnapshot) {
  EXPECT_THROW(render_matrix("not json", MatrixStyle::Plain), std::invalid_argument);
  EXPECT_THROW(render_matrix("{}", MatrixStyle::Plain), std::invalid_argument);
  EXPECT_THROW(render_matrix(R"({"format": "mdevsim-matrix", "version": 2})", MatrixStyle::Plain),
               std::invalid_argument);
  EXPECT_THROW(render_matrix(R"({"format": "mdevsim-matrix", "version": 1, "host": {}})", MatrixStyle::Svg),
               std::invalid_argument);
}

// Probe issue 12, item 7: the control socket's reply is bounded like every
// JSON input; nothing recursive sees a deep value.
TEST(MatrixViewRender, DeepRepliesAreRefused) {
  for (size_t depth : {40, 100000}) {
    std::string text = R"({"format": "mdevsim-matrix", "version": )" + std::string(depth, '[') + std::string(depth, ']') + "}";
    try {
      render_matrix(text, MatrixStyle::Plain);
      ADD_FAILURE() << "accepted " << depth;
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "matrix snapshot: JSON nested deeper than 32 levels");
    }
  }
}

// 256 domains whose neighbours all differ: nothing merges, the columns go
// into blocks that fit 80 characters, each domain once.
TEST(MatrixViewRender, WideGridsBreakIntoBlocks) {
  json j = {{"format", "mdevsim-matrix"}, {"version", 1}, {"mdevs", json::array()}, {"guests", json::array()}};
  json all = json::array(), even = json::array(), odd = json::array();
  for (int d = 0; d < 256; ++d) {
    all.push_back(d);
    (d % 2 ? odd : even).push_back(d);
  }
  j["host"] = {{"adapters", {0, 1}}, {"usage_domains", all}, {"control_domains", all}};
  j["domains"] = all;
  for (int a : {0, 1})
    j["adapters"].push_back({{"id", a},
                             {"in_host", true},
                             {"type", "CEX8C"},
                             {"queues", {{"cex4queue", even}, {"vfio_ap", odd}}},
                             {"unbound", json::array()},
                             {"reserved", even}});
  const std::string text = render_matrix(j.dump(), MatrixStyle::Plain);
  size_t headers = 0;
  std::string header_text;
  for (const auto& l : lines(text)) {
    EXPECT_LE(l.size(), 80u) << l;
    if (l.rfind("          0", 0) == 0) {
      ++headers;
      header_text += l;
    }
  }
  EXPECT_EQ(headers, 22u);  // 12 columns of 6 after the 8 of "00 CEX8C"
  for (int d = 0; d < 256; ++d) EXPECT_EQ(count(header_text, fmt::format(" {:04x}", d)), 1u) << d;
  EXPECT_NE(text.find("  -    free for vfio_ap: bound to vfio_ap, not assigned (256)\n"), std::string::npos);
  EXPECT_EQ(count(render_matrix(j.dump(), MatrixStyle::Svg), "<rect"), 512u);
}

// The 256x256 host: runs of alike adapters and domains merge.
TEST(MatrixViewRender, FullHostMerges) {
  std::string error;
  auto host = ap::load_host_file(std::string(MDEVSIM_SOURCE_DIR) + "/testdata/hosts/full-256x256.json", error);
  ASSERT_TRUE(host.has_value()) << error;
  mdevsim::System sys(*host);
  {
    std::lock_guard g(sys.lock());
    ASSERT_TRUE(sys.tree().write("bus/ap/apmask", "-0x10,-0x11,-0x12,-0x13\n"));
    ASSERT_TRUE(sys.tree().write("bus/ap/aqmask", "-0x20,-0x21\n"));
    ASSERT_TRUE(sys.tree().write(kCreate, kUuid1 + "\n"));
    for (const char* a : {"0x10", "0x11", "0x12"})
      ASSERT_TRUE(sys.tree().write("devices/vfio_ap/matrix/" + kUuid1 + "/assign_adapter", a));
    ASSERT_TRUE(sys.tree().write("devices/vfio_ap/matrix/" + kUuid1 + "/assign_domain", "0x20"));
  }
  std::string snap;
  {
    std::shared_lock g(sys.lock());
    snap = mdevsim::matrix_snapshot_json(sys);
  }
  const std::string text = render_matrix(snap, MatrixStyle::Plain);
  EXPECT_NE(text.find("Adapters (rows) x usage domains (columns):\n"
                      "             0000-001f  0020  0021  0022-00ff\n"
                      "00-0f mixed  h          -     -     h\n"
                      "10-12 mixed  -          A     -     -\n"
                      "13    CEX8C  -          -     -     -\n"
                      "14-ff mixed  h          -     -     h\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  X    assigned to mdev X, not in use by a guest (3)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  h    owned by the host: cex4queue, or reserved by apmask/aqmask (64008)\n"), std::string::npos)
      << text;
  EXPECT_LT(lines(text).size(), 30u);
  const std::string svg = render_matrix(snap, MatrixStyle::Svg);
  EXPECT_EQ(count(svg, "<rect"), 16u);
  EXPECT_NE(svg.find(">00-0f mixed</text>"), std::string::npos);
}

}  // namespace
