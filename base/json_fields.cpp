#include "base/json_fields.h"

#include <algorithm>

#include <fmt/format.h>

namespace base::json_fields {

std::string parse_checked(std::string_view text, json& out) {
  if (std::string why = check_json_input(text); !why.empty()) return why;
  try {
    out = json::parse(text);
  } catch (const json::exception& e) {
    return e.what();
  }
  return "";
}

void fail(const std::string& key, const std::string& why) { throw BadKey{key + ": " + why}; }

void only_keys(const json& obj, const std::string& where, std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) fail(where.empty() ? "(top level)" : where, "must be an object");
  for (auto& item : obj.items()) {
    const std::string& k = item.key();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }))
      fail(where.empty() ? k : where + "." + k, "unknown key");
  }
}

unsigned get_uint(const json& v, const std::string& key, unsigned max) {
  if (!v.is_number_integer()) fail(key, "must be an integer");
  // nlohmann keeps a number above INT64_MAX unsigned, a negative one signed;
  // dump() shows it as written.
  bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() <= max : v.get<int64_t>() >= 0 && v.get<int64_t>() <= max;
  if (!in_range) fail(key, fmt::format("{} is out of range 0..{}", v.dump(), max));
  return v.get<unsigned>();
}

bool get_bool(const json& v, const std::string& key) {
  if (!v.is_boolean()) fail(key, "must be true or false");
  return v.get<bool>();
}

const std::string& get_string(const json& v, const std::string& key, const char* example) {
  if (!v.is_string()) fail(key, fmt::format("must be a string such as \"{}\"", example));
  return v.get_ref<const std::string&>();
}

}  // namespace base::json_fields
