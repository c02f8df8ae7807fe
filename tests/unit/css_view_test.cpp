// `mdevsim css`: the snapshot of the channel subsystem and its pictures,
// on the vfio-ccw document's host with the DASD in a guest, on a big host
// whose runs of alike subchannels merge, and on snapshots that are not one.
#include "cli/css_view.h"

#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "cli/system.h"

namespace {

using mdevsim::MatrixStyle;
using mdevsim::render_css;

const std::string kUuid = "7e270a25-e163-4922-af60-757fc8ed48c6";

void write(mdevsim::System& sys, const std::string& path, const std::string& value) {
  ASSERT_TRUE(sys.tree().write(path, value).has_value()) << path;
}

// Drops SGR sequences (ESC [ digits and semicolons m).
std::string strip_ansi(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "\x1b[") == 0) {
      size_t end = s.find_first_not_of("0123456789;", i + 2);
      if (end != std::string::npos && s[end] == 'm') {
        i = end;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

TEST(CssView, TheDocumentsHostWithItsDasdInAGuest) {
  mdevsim::System sys(mdevsim::default_host());
  write(sys, "bus/css/devices/0.0.0313/driver/unbind", "0.0.0313");
  write(sys, "bus/css/drivers/vfio_ccw/bind", "0.0.0313");
  write(sys, "bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create", kUuid);
  write(sys, "devices/css0/chp0.2a/status", "offline");
  std::string error;
  ASSERT_TRUE(sys.guests().start("vm1", {.devices = {"virtio-net-ccw", "vfio-ccw,devno=fe.0.1234,sysfsdev=/sys/bus/mdev/devices/" + kUuid}}, error))
      << error;
  std::string snap;
  {
    std::shared_lock g(sys.lock());
    snap = mdevsim::css_snapshot_json(sys);
  }
  const std::string plain = render_css(snap, MatrixStyle::Plain);
  EXPECT_EQ(plain, fmt::format(
                       "css0: 6 subchannels, 5 channel paths\n"
                       "Subchannel        Device            DevType CU Type Driver         0a 1a 2a 3a e0        mdev, guest\n"
                       "0.0.0313          0.0.2b09          3390/0e 3990/e9 vfio_ccw        #  #  o  #  .        {0} vm1\n"
                       "0.0.0314          0.0.2b0a          3390/0c 3990/e9 io_subchannel   #  #  o  #  .\n"
                       "0.0.0a00-0.0.0a02 0.0.f500-0.0.f502 1732/01 1731/01 io_subchannel   .  .  .  .  #  QDIO\n"
                       "0.1.0000          0.1.0100          3390/0c 3990/e9 io_subchannel   #  .  .  .  .\n"
                       "Paths: # usable (installed, available, operational, channel path online), o installed but "
                       "not usable, . none\n"
                       "chp0.2a is varied offline (status offline)\n"
                       "mdev {0} on 0.0.0313: guest vm1 as fe.0.1234 on subchannel fe.0.0001\n",
                       kUuid));
  const std::string color = render_css(snap, MatrixStyle::Color);
  EXPECT_NE(color, plain);
  EXPECT_EQ(strip_ansi(color), plain);
  // SVG: one square per path a subchannel has (usable or not), the text.
  const std::string svg = render_css(snap, MatrixStyle::Svg);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  size_t rects = 0;
  for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) ++rects;
  EXPECT_EQ(rects, 4u + 4u + 1u + 1u);
  EXPECT_NE(svg.find("guest vm1 as fe.0.1234"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");

  // Stopped, the guest is gone from the picture; the mdev stays.
  ASSERT_TRUE(sys.guests().stop("vm1", error));
  std::shared_lock g(sys.lock());
  EXPECT_NE(render_css(mdevsim::css_snapshot_json(sys), MatrixStyle::Plain)
                .find(fmt::format("mdev {} on 0.0.0313: no guest has it\n", kUuid)),
            std::string::npos);
}

TEST(CssView, RunsOfAlikeSubchannelsMerge) {
  // 0.0.0000-0.0.0063 with devices 0.0.1000-0.0.1063, but 0.0.0010 is a CHSC
  // subchannel and 0.0.0020 is QDIO; two alike rows stay apart.
  std::string subs;
  for (unsigned i = 0; i < 100; ++i) {
    if (!subs.empty()) subs += ",";
    if (i == 0x10)
      subs += R"({"schid": "0.0.0010", "type": 1})";
    else
      subs += fmt::format(R"({{"schid": "0.0.{:04x}", "devno": "0.0.{:04x}", "cu": "3990/e9", "dev": "3390/0c", "chpids": ["40"]{}}})",
                          i, 0x1000 + i, i == 0x20 ? R"(, "qdio": true)" : "");
  }
  subs += R"(,{"schid": "0.1.0000", "devno": "0.1.0000", "cu": "3490/01", "dev": "3480/00", "chpids": ["40"]},)"
          R"({"schid": "0.1.0001", "devno": "0.1.0001", "cu": "3490/01", "dev": "3480/00", "chpids": ["40"]})";
  std::string error;
  auto css = ccw::parse_css_config(R"({"css": {"chpids": [{"id": "40", "type": "1a"}], "subchannels": [)" + subs + "]}}", error);
  ASSERT_TRUE(css.has_value()) << error;
  mdevsim::System sys(ap::default_host(), *css);
  std::shared_lock g(sys.lock());
  const std::string plain = render_css(mdevsim::css_snapshot_json(sys), MatrixStyle::Plain);
  EXPECT_EQ(plain.substr(0, plain.find("Paths:")),
            "css0: 102 subchannels, 1 channel paths\n"
            "Subchannel        Device            DevType CU Type Driver         40        mdev, guest\n"
            "0.0.0000-0.0.000f 0.0.1000-0.0.100f 3390/0c 3990/e9 io_subchannel   #\n"
            "0.0.0010                                            -               .  CHSC\n"
            "0.0.0011-0.0.001f 0.0.1011-0.0.101f 3390/0c 3990/e9 io_subchannel   #\n"
            "0.0.0020          0.0.1020          3390/0c 3990/e9 io_subchannel   #  QDIO\n"
            "0.0.0021-0.0.0063 0.0.1021-0.0.1063 3390/0c 3990/e9 io_subchannel   #\n"
            "0.1.0000          0.1.0000          3480/00 3490/01 io_subchannel   #\n"
            "0.1.0001          0.1.0001          3480/00 3490/01 io_subchannel   #\n");
}

TEST(CssView, NotASnapshotIsOneError) {
  for (const char* bad : {"", "[]", "{\"format\": \"mdevsim-matrix\", \"version\": 1}",
                          "{\"format\": \"mdevsim-css\", \"version\": 2}",
                          "{\"format\": \"mdevsim-css\", \"version\": 1, \"cssid\": 0}",
                          "{\"format\": \"mdevsim-css\", \"version\": 1, \"cssid\": 0, \"chpids\": [{\"id\": 300}], \"subchannels\": []}",
                          "{\"format\": \"mdevsim-css\", \"version\": 1, \"cssid\": 0, \"chpids\": [], \"subchannels\": [{\"schid\": 5}]}"}) {
    EXPECT_THROW(render_css(bad, MatrixStyle::Plain), std::invalid_argument) << bad;
  }
}

}  // namespace
