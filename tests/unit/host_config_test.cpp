// Host files: every accepted key, the derived card words, and one clear
// error naming the key for each kind of bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include "apbus/host_config.h"

namespace {

using ap::HostConfig;

HostConfig parse_ok(const std::string& json) {
  std::string error;
  auto h = ap::parse_host_config(json, error);
  EXPECT_TRUE(h.has_value()) << error;
  return h ? *h : HostConfig{};
}

TEST(HostConfig, DefaultIsTheDocumentationLpar) {
  HostConfig h = ap::default_host();
  ASSERT_EQ(h.cards.size(), 2u);
  EXPECT_EQ(h.cards[0].id, 5u);
  EXPECT_EQ(h.cards[0].type, "CEX5C");
  EXPECT_EQ(h.cards[1].type, "CEX5A");
  EXPECT_EQ(h.usage_domains.hex(), "0800000000000000010000000000000000000000001000000000000000000001");
  EXPECT_EQ(h.control_domains, h.usage_domains);
  EXPECT_TRUE(h.apmask.is_all());
  EXPECT_TRUE(h.aqmask.is_all());
  // testdata/hosts/default.json is the same host.
  std::string error;
  auto file = ap::load_host_file(std::string(MDEVSIM_SOURCE_DIR) + "/testdata/hosts/default.json", error);
  ASSERT_TRUE(file.has_value()) << error;
  EXPECT_EQ(file->usage_domains, h.usage_domains);
  EXPECT_EQ(file->cards[1].hwinfo.value, h.cards[1].hwinfo.value);
}

TEST(HostConfig, EveryTestdataHostLoads) {
  for (auto& e : std::filesystem::directory_iterator(std::string(MDEVSIM_SOURCE_DIR) + "/testdata/hosts")) {
    if (e.path().extension() != ".json") continue;
    std::string error;
    EXPECT_TRUE(ap::load_host_file(e.path().string(), error).has_value()) << e.path() << ": " << error;
  }
}

struct CardCase {
  const char* card;
  uint64_t hwinfo;
  unsigned max_msg_size;
};

// TAPQ GR2 as the simulated adapter reports it: facilities, type, Nd, ml, qd.
TEST(HostConfig, CardWordsFollowFromTheType) {
  const CardCase cases[] = {
      {R"({"id": 1, "type": "CEX5C"})", 0x920000000BFF0007ULL, 12288},
      {R"({"id": 1, "type": "CEX5A"})", 0xEA0000000BFF0007ULL, 12288},
      {R"({"id": 1, "type": "CEX5P"})", 0x860000000BFF0007ULL, 12288},
      {R"({"id": 1, "type": "CEX4A"})", 0xEA0000000AFF0007ULL, 12288},
      {R"({"id": 1, "type": "CEX8C"})", 0x938000000EFF0007ULL, 12288},
      {R"({"id": 1, "type": "CEX7A", "depth": 3, "max_msg_size": 32768})", 0xEA0000000DFF0803ULL, 32768},
      {R"({"id": 1, "type": "CEX6C", "functions": "0x92000000", "raw_hwtype": 15})", 0x920000000FFF0007ULL, 12288},
  };
  for (auto& c : cases) {
    HostConfig h = parse_ok(std::string(R"({"ap": {"cards": [)") + c.card + "]}}");
    ASSERT_EQ(h.cards.size(), 1u);
    EXPECT_EQ(h.cards[0].hwinfo.value, c.hwinfo) << c.card;
    EXPECT_EQ(h.cards[0].hwinfo.max_msg_size(), c.max_msg_size) << c.card;
  }
  // Without APXA on the LPAR the cards do not report it either.
  HostConfig h = parse_ok(R"({"ap": {"features": ["APSC"], "cards": [{"id": 1, "type": "CEX5A"}]}})");
  EXPECT_EQ(h.cards[0].hwinfo.fac(), 0xE8000000u);
}

TEST(HostConfig, MasksUseTheBusGrammar) {
  HostConfig h = parse_ok(R"({"ap": {"apmask": "0xffff", "aqmask": "+1,+3-4"}})");
  EXPECT_EQ(h.apmask.hex(), "ffff000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(h.aqmask.hex(), "5800000000000000000000000000000000000000000000000000000000000000");
}

struct BadCase {
  const char* json;
  const char* error;
};

TEST(HostConfig, BadHostsNameTheKeyAndTheReason) {
  const BadCase cases[] = {
      {R"({"ap": {"cards": [{"id": 5, "type": "CEX9C"}]}})", R"(ap.cards[0].type: "CEX9C" is not CEX4..CEX8 followed by A, C or P)"},
      {R"({"ap": {"cards": [{"id": 5, "type": "cex5c"}]}})", R"(ap.cards[0].type: "cex5c" is not CEX4..CEX8 followed by A, C or P)"},
      {R"({"ap": {"cards": [{"id": 5}]}})", "ap.cards[0].type: is missing"},
      {R"({"ap": {"cards": [{"type": "CEX5C"}]}})", "ap.cards[0].id: is missing"},
      {R"({"ap": {"cards": [{"id": 5, "type": "CEX5C"}, {"id": 5, "type": "CEX5A"}]}})", "ap.cards[1].id: adapter 5 is listed twice"},
      {R"({"ap": {"max_adapter_id": 15, "cards": [{"id": 16, "type": "CEX5C"}]}})", "ap.cards[0].id: 16 is out of range 0..15"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "colour": "red"}]}})", "ap.cards[0].colour: unknown key"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "depth": 16}]}})", "ap.cards[0].depth: 16 is out of range 0..15"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "functions": "0x08000000"}]}})",
       "ap.cards[0].functions: 0x08000000 does not have exactly the mode bit of type CEX5C"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "max_msg_size": 5000}]}})",
       "ap.cards[0].max_msg_size: 5000 is neither 12288 nor a multiple of 4096 from 16384 to 61440"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "raw_hwtype": 9}]}})",
       "ap.cards[0].raw_hwtype: 9 is below 10 (CEX4): not supported by the AP bus"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5A", "master_keys": "prod"}]}})",
       "ap.cards[0].master_keys: only CCA coprocessors hold master keys, not CEX5A"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "master_keys": ""}]}})",
       "ap.cards[0].master_keys: must be a non-empty string naming a set of master keys"},
      {R"({"ap": {"usage_domains": [4, 4]}})", "ap.usage_domains: 4 is listed twice"},
      {R"({"ap": {"usage_domains": [300]}})", "ap.usage_domains[0]: 300 is out of range 0..255"},
      {R"({"ap": {"max_domain_id": 15, "control_domains": [16]}})", "ap.control_domains[0]: 16 is out of range 0..15"},
      {R"({"ap": {"usage_domains": "4"}})", "ap.usage_domains: must be a list of numbers"},
      {R"({"ap": {"apmask": "0xfffg"}})", R"(ap.apmask: "0xfffg" is not a valid mask)"},
      {R"({"ap": {"aqmask": 255}})", R"(ap.aqmask: must be a mask string such as "0xffff" or "+0-15,-7")"},
      {R"({"ap": {"features": ["APSC", "XYZ"]}})", "ap.features: unknown facility XYZ (known: APSC APXA QACT RC8A APSB)"},
      {R"({"ap": {"interrupts": "yes"}})", "ap.interrupts: must be true or false"},
      {R"({"ap": {"domain": 256}})", "ap.domain: 256 is out of range 0..255"},
      {R"({"ap": {"max_adapter_id": -1}})", "ap.max_adapter_id: -1 is out of range 0..255"},
      // Probe issue 12, item 11c: numbers as written, beyond int64 too.
      {R"({"ap": {"cards": [{"id": 18446744073709551615, "type": "CEX5C"}]}})",
       "ap.cards[0].id: 18446744073709551615 is out of range 0..255"},
      {R"({"ap": {"domain": 9223372036854775808}})", "ap.domain: 9223372036854775808 is out of range 0..255"},
      {R"({"ap": {"domain": -9223372036854775808}})", "ap.domain: -9223372036854775808 is out of range 0..255"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "functions": 18446744073709551615}]}})",
       "ap.cards[0].functions: 18446744073709551615 is out of range 0..4294967295"},
      {R"({"ap": {"domain": 4.0}})", "ap.domain: must be an integer"},
      {R"({"ap": {"domain": 1e3}})", "ap.domain: must be an integer"},
      // Item 11d: a serial number as a real card reports it.
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "serialnr": "93AADFK71"}]}})",
       "ap.cards[0].serialnr: must be at most 8 letters and digits, as a CCA card reports it"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "serialnr": "93\u00ffDFK7"}]}})",
       "ap.cards[0].serialnr: must be at most 8 letters and digits, as a CCA card reports it"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX8P", "serialnr": "93AA FL85"}]}})",
       "ap.cards[0].serialnr: must be at most 16 letters and digits, as an EP11 card reports it"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX8P", "serialnr": "93AAFL85AB12CD345"}]}})",
       "ap.cards[0].serialnr: must be at most 16 letters and digits, as an EP11 card reports it"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX8P", "serialnr": 93}]}})",
       "ap.cards[0].serialnr: must be at most 16 letters and digits, as an EP11 card reports it"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5A", "serialnr": "93AADFK7"}]}})",
       "ap.cards[0].serialnr: only CCA and EP11 coprocessors report a serial number, not CEX5A"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "serialnr": "93AA\nK7"}]}})",
       R"(ap.cards[0].serialnr: contains the control character \u000a)"},
      {R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "serialnr": "93AA\u0000K7"}]}})",
       R"(ap.cards[0].serialnr: contains the control character \u0000)"},
      {R"({"ap": {}, "chsc": {}})", "chsc: unknown key"},
      {R"({})", "ap: is missing"},
      {R"([1, 2])", "(top level): must be an object"},
  };
  for (auto& c : cases) {
    std::string error;
    auto h = ap::parse_host_config(c.json, error);
    EXPECT_FALSE(h.has_value()) << c.json;
    EXPECT_EQ(error, c.error) << c.json;
  }
}

TEST(HostConfig, InvalidJsonSaysWhere) {
  std::string error;
  EXPECT_FALSE(ap::parse_host_config("{\"ap\": {\"cards\": [{\"id\": 1, \"type\": \"CEX5C\", \"serialnr\": \"\xff\"}]}}", error));
  EXPECT_TRUE(error.starts_with("not valid JSON: ")) << "invalid UTF-8: " << error;
  EXPECT_FALSE(ap::parse_host_config("{\"ap\": {\"cards\": [}", error).has_value());
  EXPECT_EQ(error.rfind("not valid JSON: parse error at line 1, column 19: syntax error", 0), 0u) << error;
  EXPECT_NE(error.find("line 1, column 19"), std::string::npos) << error;
}

// Probe issue 12, items 7 and 11a, b, d: one line with the reason, no crash,
// no endless read.
TEST(HostConfig, HostileFilesGiveOneLine) {
  auto features = [](size_t depth) {
    return R"({"ap": {"features": ["APSC", )" + std::string(depth, '[') + std::string(depth, ']') + "]}}";
  };
  std::string error;
  EXPECT_FALSE(ap::parse_host_config(features(29), error).has_value());  // 32 levels with the 3 around
  EXPECT_EQ(error, "ap.features[1]: must be a string such as \"APSC\"");
  for (size_t depth : {30, 100000}) {
    EXPECT_FALSE(ap::parse_host_config(features(depth), error).has_value());
    EXPECT_EQ(error, "JSON nested deeper than 32 levels");
  }
  EXPECT_FALSE(ap::parse_host_config(R"({"ap": {"cards": [{"id": 1, "type": "CEX5C", "master_keys": "a\u0000b"}]}})", error));
  EXPECT_EQ(error, R"(ap.cards[0].master_keys: contains the control character \u0000)");

  const std::pair<const char*, std::pair<int, const char*>> files[] = {
      {"/dev/zero", {EFBIG, "host file /dev/zero: larger than 64 MiB"}},
      {"/tmp", {EISDIR, "host file /tmp: Is a directory"}},
      {"/nonexistent/host.json", {ENOENT, "host file /nonexistent/host.json: No such file or directory"}},
  };
  for (auto& [path, want] : files) {
    auto h = ap::load_host_file(path, error);
    ASSERT_FALSE(h.has_value()) << path;
    EXPECT_EQ(h.error().code, want.first) << path;
    EXPECT_EQ(error, want.second);
  }
}

}  // namespace
