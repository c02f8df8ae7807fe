// The host file's css section: the default is the vfio-ccw document's, and
// every bad value names its key and the reason.
#include <gtest/gtest.h>

#include "ccw/css_config.h"

namespace {

TEST(CssConfig, DefaultHasTheDocumentsDasd) {
  std::string error;
  auto css = ccw::parse_css_config(ccw::DEFAULT_CSS_JSON, error);
  ASSERT_TRUE(css.has_value()) << error;
  auto& s = css->subchannels.front();
  EXPECT_EQ(ccw::format_bus_id(s.schid), "0.0.0313");
  ASSERT_TRUE(s.dev.has_value());
  EXPECT_EQ(s.dev->devno, 0x2b09u);
  EXPECT_EQ(s.dev->cu_type, 0x3990u);
  EXPECT_EQ(s.dev->cu_model, 0xe9u);
  EXPECT_EQ(s.dev->dev_type, 0x3390u);
  EXPECT_EQ(s.dev->dev_model, 0x0eu);
  EXPECT_EQ(s.chpids, (std::array<uint8_t, 8>{0x1a, 0x2a, 0x3a, 0x0a, 0, 0, 0, 0}));
  EXPECT_EQ(s.pim, 0xf0);
  EXPECT_EQ(s.pam, 0xf0);
  EXPECT_EQ(s.pom, 0xff);
  EXPECT_EQ(s.driver, "io_subchannel");
}

TEST(CssConfig, NoSectionIsNoSubchannels) {
  std::string error;
  auto css = ccw::parse_css_config(R"({"ap": {}})", error);
  ASSERT_TRUE(css.has_value()) << error;
  EXPECT_TRUE(css->subchannels.empty());
}

TEST(CssConfig, BadSectionsNameTheKeyAndTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"css": []})", "css: must be an object"},
      {R"({"css": {"subchannel": []}})", "css.subchannel: unknown key"},
      {R"({"css": {"subchannels": [{}]}})", "css.subchannels[0].schid: is missing"},
      {R"({"css": {"subchannels": [{"schid": "0.0.313"}]}})", "css.subchannels[0].schid: \"0.0.313\" is not a bus id such as \"0.0.0313\""},
      {R"({"css": {"subchannels": [{"schid": "0.4.0313"}]}})", "css.subchannels[0].schid: subchannel set 4 does not exist (0..3)"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.0.0001", "cu": "3990/e9"},
                                   {"schid": "0.0.0313", "devno": "0.0.0002", "cu": "3990/e9"}]}})",
       "css.subchannels[1].schid: subchannel 0.0.0313 is listed twice"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.1.2b09", "cu": "3990/e9"}]}})",
       "css.subchannels[0].devno: a device is in its subchannel's set 0, not 1"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.0.2b09"}]}})",
       "css.subchannels[0].cu: is missing (a device has a control unit)"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.0.2b09", "cu": "3990-e9"}]}})",
       "css.subchannels[0].cu: \"3990-e9\" is not a type/model such as \"3990/e9\""},
      // Found by the fuzzer: a second slash where the model goes threw from std::stoul.
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.0.2b09", "cu": "1731//1"}]}})",
       "css.subchannels[0].cu: \"1731//1\" is not a type/model such as \"3990/e9\""},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.0.2b09", "cu": "3990/e9", "chpids": ["1a"]}]}})",
       "css.subchannels[0].chpids[0]: CHPID 1a is not in css.chpids"},
      {R"({"css": {"chpids": [{"id": "1a", "type": "1a"}, {"id": "1A", "type": "11"}]}})",
       "css.chpids[1].id: CHPID 1a is listed twice"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313", "devno": "0.0.2b09", "cu": "3990/e9", "driver": "dasd"}]}})",
       "css.subchannels[0].driver: \"dasd\" is none of io_subchannel, vfio_ccw, none"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0001", "devno": "0.0.0001", "cu": "3990/e9"},
                                   {"schid": "0.0.0002", "devno": "0.0.0001", "cu": "3990/e9"}]}})",
       "css.subchannels[1].devno: device 0.0.0001 is on two subchannels"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0313"}]}})",
       "css.subchannels[0].devno: is missing (the kernel registers no I/O subchannel without a device)"},
      {R"({"css": {"subchannels": [{"schid": "0.0.0001", "type": 1, "devno": "0.0.0001"}]}})",
       "css.subchannels[0].devno: only I/O subchannels (type 0) have it"},
  };
  for (auto& [text, want] : cases) {
    std::string error;
    EXPECT_FALSE(ccw::parse_css_config(text, error).has_value()) << text;
    EXPECT_EQ(error, want) << text;
  }
}

}  // namespace
