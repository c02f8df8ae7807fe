// QEMU's virtual channel subsystem (hw/s390x/css.c): the devno property's
// parser and printer, where css_create_sch() puts devices with and without
// a devno, and the QEMU log's bound.
#include "qemu/virtual_css.h"

#include <gtest/gtest.h>

#include <string>

#include "cli/system.h"

namespace {

using qemu::CssDevId;
using qemu::VirtualCss;

TEST(VirtualCss, DevnoParsesAsSetCssDevidDoes) {
  struct Case {
    const char* in;
    const char* out;  // format_css_devid() of the result, or the error
  } cases[] = {
      {"fe.0.1234", "fe.0.1234"},
      {"0.0.1234", "0.0.1234"},
      {"00.3.ffff", "0.3.ffff"},
      {"FE.1.ABCD", "fe.1.abcd"},
      {"f.0.0001", "f.0.0001"},
      {"10.0.0001", "10.0.0001"},
      {"+1.0.0001", "1.0.0001"},     // %x takes a sign
      {"fe.0.-111", "fe.0.feef"},    // and stores 16 bits
      {"-1.0.0001", "Invalid cssid or ssid: cssid ffffffff, ssid 0"},
      {"fe.4.0001", "Invalid cssid or ssid: cssid fe, ssid 4"},
      {"fe.0.001", "Property 'vfio-ccw.devno' doesn't take value 'fe.0.001'"},
      {"fe.0.00001", "Property 'vfio-ccw.devno' doesn't take value 'fe.0.00001'"},
      {"fe.0.0001 ", "Property 'vfio-ccw.devno' doesn't take value 'fe.0.0001 '"},
      {"100.0.0001", "Property 'vfio-ccw.devno' doesn't take value '100.0.0001'"},
      {"fe.00.0001", "Property 'vfio-ccw.devno' doesn't take value 'fe.00.0001'"},
      {"fe.0", "Property 'vfio-ccw.devno' doesn't take value 'fe.0'"},
      {"", "Property 'vfio-ccw.devno' doesn't take value ''"},
  };
  for (auto& c : cases) {
    std::string error;
    auto id = qemu::parse_css_devid("vfio-ccw", c.in, error);
    EXPECT_EQ(id ? qemu::format_css_devid(*id) : error, c.out) << c.in;
  }
}

TEST(VirtualCss, DevicesTakeTheFirstFreeSubchannel) {
  VirtualCss css;
  CssDevId sch, dev;
  std::string error, warning;
  ASSERT_TRUE(css.create_sch(std::nullopt, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch) + " " + qemu::format_css_devid(dev), "fe.0.0000 fe.0.0000");
  ASSERT_TRUE(css.create_sch(CssDevId{0xfe, 0, 1}, sch, dev, error, warning));
  ASSERT_TRUE(css.create_sch(CssDevId{0xfe, 0, 2}, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch), "fe.0.0002");
  // The next automatic device number starts at its subchannel's.
  css.release(CssDevId{0xfe, 0, 1}, CssDevId{0xfe, 0, 1});
  ASSERT_TRUE(css.create_sch(std::nullopt, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch) + " " + qemu::format_css_devid(dev), "fe.0.0001 fe.0.0001");
  ASSERT_TRUE(css.create_sch(std::nullopt, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch) + " " + qemu::format_css_devid(dev), "fe.0.0003 fe.0.0003");
  EXPECT_FALSE(css.create_sch(CssDevId{0xfe, 0, 2}, sch, dev, error, warning));
  EXPECT_EQ(error, "Device fe.0.0002 already exists");
  // Another image is made on demand; 0xff never is (QEMU warns and goes on).
  ASSERT_TRUE(css.create_sch(CssDevId{2, 0, 0x2222}, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch), "2.0.0000");
  EXPECT_TRUE(warning.empty());
  ASSERT_TRUE(css.create_sch(CssDevId{0xff, 1, 7}, sch, dev, error, warning));
  EXPECT_EQ(warning, "Suspicious call to css_subch_assign (ff.1.0000) for non-existing css!");
  EXPECT_TRUE(VirtualCss::visible(CssDevId{0xfe, 3, 0}));
  EXPECT_FALSE(VirtualCss::visible(CssDevId{0, 0, 0}));
}

TEST(VirtualCss, AutomaticNumbersNeverTakeFfffAndMoveOnToTheNextSet) {
  VirtualCss css;
  CssDevId sch, dev;
  std::string error, warning;
  for (unsigned i = 0; i < 65535; ++i) ASSERT_TRUE(css.create_sch(std::nullopt, sch, dev, error, warning)) << i;
  EXPECT_EQ(qemu::format_css_devid(dev), "fe.0.fffe");
  // Subchannel ffff is free, but no device number but ffff is, which the
  // search from (schid + round) % 0xffff never reaches: on to set 1.
  ASSERT_TRUE(css.create_sch(std::nullopt, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch) + " " + qemu::format_css_devid(dev), "fe.1.0000 fe.1.0000");
  ASSERT_TRUE(css.create_sch(CssDevId{0xfe, 0, 0xffff}, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch), "fe.0.ffff");
  EXPECT_FALSE(css.create_sch(CssDevId{0xfe, 0, 0xffff}, sch, dev, error, warning));
  EXPECT_EQ(error, "Device fe.0.ffff already exists");
  // An unplugged device frees its subchannel and number for the next.
  css.release(CssDevId{0xfe, 0, 5}, CssDevId{0xfe, 0, 5});
  ASSERT_TRUE(css.create_sch(std::nullopt, sch, dev, error, warning));
  EXPECT_EQ(qemu::format_css_devid(sch) + " " + qemu::format_css_devid(dev), "fe.0.0005 fe.0.0005");
}

TEST(Guests, TheQemuLogKeepsItsLastLines) {
  mdevsim::System sys(mdevsim::default_host());
  std::string error;
  for (size_t i = 0; i < qemu::Guests::MAX_LOG_LINES + 5; ++i)
    ASSERT_FALSE(sys.guests().start("vm", {.devices = {"virtio-nic-ccw,id=" + std::to_string(i)}}, error));
  const auto& log = sys.guests().logs().at("vm");
  EXPECT_EQ(log.size(), qemu::Guests::MAX_LOG_LINES);
  EXPECT_EQ(log.back(), "qemu-system-s390x: -device virtio-nic-ccw,id=1004: 'virtio-nic-ccw' is not a valid device model name");
  EXPECT_TRUE(sys.guests().all().empty());
}

}  // namespace
