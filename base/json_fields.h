// Reading the fields of a checked JSON document (host files): each reader
// names the key and the reason when a value is not what it must be, and a
// document parses all or nothing.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/json_input.h"
#include "base/result.h"

namespace base::json_fields {

using nlohmann::json;

// Thrown by the readers only; parse_document() turns it into one line.
struct BadKey {
  std::string msg;
};

[[noreturn]] void fail(const std::string& key, const std::string& why);
// `obj` must be an object with no keys but `allowed`.
void only_keys(const json& obj, const std::string& where, std::initializer_list<const char*> allowed);
unsigned get_uint(const json& v, const std::string& key, unsigned max);
bool get_bool(const json& v, const std::string& key);
const std::string& get_string(const json& v, const std::string& key, const char* example);

// check_json_input() and the parse into `out`: "" or the reason.
std::string parse_checked(std::string_view text, json& out);

// Checks `text` (check_json_input), parses it as a `Json` (json, or
// ordered_json where the key order matters) and hands the tree to `parse`;
// a BadKey or a JSON error becomes `error` and EINVAL.
template <class T, class Json = json, class F>
Result<T> parse_document(std::string_view text, std::string& error, F&& parse) {
  error = check_json_input(text);
  if (!error.empty()) return Errno{EINVAL};
  try {
    return parse(Json::parse(text));
  } catch (const BadKey& e) {
    error = e.msg;
  } catch (const json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    error = "not valid JSON: " + what.substr(what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2);
  } catch (const json::exception& e) {
    error = e.what();
  }
  return Errno{EINVAL};
}

}  // namespace base::json_fields
