#include "base/json_input.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace base {

Result<std::string> read_input_file(const std::string& path, std::string& error) {
  // O_NONBLOCK for open only: a FIFO without a writer would block there.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 || fcntl(fd, F_SETFL, 0) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    error = std::strerror(e);
    return Errno{e};
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    int e = n < 0 ? errno : text.size() + static_cast<size_t>(n) > MAX_INPUT_BYTES ? EFBIG : 0;
    if (e) {
      close(fd);
      error = e == EFBIG ? fmt::format("larger than {} MiB", MAX_INPUT_BYTES >> 20) : std::strerror(e);
      return Errno{e};
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

namespace {

using nlohmann::json;

// The SAX events of one document: counts the depth, checks each string and
// key, and keeps the path to name the key of a bad one.
class Checker {
 public:
  std::string error;

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const std::string&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool string(std::string& s) { return value() && text(s, m_levels.size(), ""); }
  bool start_object(size_t) { return open(false); }
  bool start_array(size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    if (!text(k, m_levels.size() - 1, "a key ")) return false;  // of the object: without its last key
    m_levels.back().key = k;
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    size_t at = what.find("] ");
    error = "not valid JSON: " + what.substr(at == std::string::npos ? 0 : at + 2);
    return false;
  }

 private:
  struct Level {
    bool array;
    size_t items = 0;  // of an array, so far
    std::string key;   // of an object, the current one
  };
  std::vector<Level> m_levels;

  bool value() {
    if (!m_levels.empty() && m_levels.back().array) ++m_levels.back().items;
    return true;
  }
  bool open(bool array) {
    value();
    if (m_levels.size() == MAX_JSON_DEPTH) {
      error = fmt::format("JSON nested deeper than {} levels", MAX_JSON_DEPTH);
      return false;
    }
    m_levels.push_back({array, 0, {}});
    return true;
  }
  bool close() {
    m_levels.pop_back();
    return true;
  }
  // The first `levels` levels as the parsers name keys: ap.cards[0].serialnr.
  std::string path(size_t levels) const {
    std::string p;
    for (size_t i = 0; i < levels; ++i) {
      const Level& l = m_levels[i];
      p += l.array ? fmt::format("[{}]", l.items - 1) : (p.empty() ? "" : ".") + l.key;
    }
    return p.empty() ? "(top level)" : p;
  }
  // A string or key; the path only on error, it costs.
  bool text(std::string_view s, size_t levels, const char* what) {
    std::string why;
    if (s.size() > MAX_JSON_STRING) why = fmt::format("is longer than {} bytes", MAX_JSON_STRING);
    for (size_t i = 0; why.empty() && i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == 0x7f) why = fmt::format("contains the control character \\u{:04x}", c);
    }
    if (why.empty()) return true;
    error = fmt::format("{}: {}{}", path(levels), what, why);
    return false;
  }
};

}  // namespace

std::string check_json_input(std::string_view text) {
  if (text.size() > MAX_INPUT_BYTES) return fmt::format("larger than {} MiB", MAX_INPUT_BYTES >> 20);
  Checker c;
  json::sax_parse(text.begin(), text.end(), &c);
  return c.error;
}

}  // namespace base
