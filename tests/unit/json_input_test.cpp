// JSON from outside: the size cap and errno of reading, and the depth,
// string and control-character checks with the key they name.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "base/json_input.h"

namespace {

using base::check_json_input;
using base::read_input_file;

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonInput, DepthIsBounded) {
  EXPECT_EQ(check_json_input(nested(32)), "");
  EXPECT_EQ(check_json_input(nested(33)), "JSON nested deeper than 32 levels");
  EXPECT_EQ(check_json_input(nested(1000000)), "JSON nested deeper than 32 levels");
  EXPECT_EQ(check_json_input("{\"a\":" + std::string(40, '[')), "JSON nested deeper than 32 levels");
}

TEST(JsonInput, StringsNameTheirKey) {
  EXPECT_EQ(check_json_input(R"({"ap": {"cards": [{"id": 1}, {"serialnr": "AB\u0000CD"}]}})"),
            R"(ap.cards[1].serialnr: contains the control character \u0000)");
  EXPECT_EQ(check_json_input(R"({"ap": {"x": 1, "y\nz": 2}})"), R"(ap: a key contains the control character \u000a)");
  EXPECT_EQ(check_json_input("[1, [2, \"\x7f\"]]"), R"([1][1]: contains the control character \u007f)");
  EXPECT_EQ(check_json_input(R"("\u001b[2J")"), R"((top level): contains the control character \u001b)");
  EXPECT_EQ(check_json_input("{\"k\": \"" + std::string(4097, 'a') + "\"}"), "k: is longer than 4096 bytes");
  EXPECT_EQ(check_json_input("{\"k\": \"" + std::string(4096, 'a') + "\", \"\\u00ff\": \"\\u00e9\"}"), "");
}

TEST(JsonInput, InvalidJsonAndSize) {
  EXPECT_EQ(check_json_input("{\"a\": [}").rfind("not valid JSON: parse error at line 1, column 8: syntax error", 0), 0u);
  EXPECT_TRUE(check_json_input("\"\xff\"").starts_with("not valid JSON: ")) << "invalid UTF-8";
  EXPECT_EQ(check_json_input(std::string(base::MAX_INPUT_BYTES + 1, ' ')), "larger than 64 MiB");
}

TEST(JsonInput, ReadingSaysWhyNot) {
  std::string error;
  auto r = read_input_file("/dev/zero", error);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, EFBIG);
  EXPECT_EQ(error, "larger than 64 MiB");
  r = read_input_file("/tmp", error);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, EISDIR);
  EXPECT_EQ(error, "Is a directory");
  r = read_input_file("/nonexistent/x.json", error);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_EQ(error, "No such file or directory");
  r = read_input_file("/dev/null", error);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "");
}

TEST(JsonInput, ReadsAWholeFile) {
  std::string path = ::testing::TempDir() + "json_input_test.json", text(200000, 'x');
  std::ofstream(path) << text;
  std::string error;
  auto r = read_input_file(path, error);
  ASSERT_TRUE(r.has_value()) << error;
  EXPECT_EQ(*r, text);
  unlink(path.c_str());
}

}  // namespace
