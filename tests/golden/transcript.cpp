#include "tests/golden/transcript.h"

#include <cerrno>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace golden {
namespace {

const std::map<int, std::string>& errno_names() {
  static const std::map<int, std::string> names = {
      {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {EIO, "EIO"},       {ENXIO, "ENXIO"},   {E2BIG, "E2BIG"},
      {EBUSY, "EBUSY"},   {EEXIST, "EEXIST"},   {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
      {EINVAL, "EINVAL"}, {EACCES, "EACCES"},   {ERANGE, "ERANGE"}, {EUSERS, "EUSERS"}, {EADDRINUSE, "EADDRINUSE"},
      {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {ECANCELED, "ECANCELED"}, {ESPIPE, "ESPIPE"}, {EAGAIN, "EAGAIN"},
      {EOPNOTSUPP, "EOPNOTSUPP"}, {ENOMEM, "ENOMEM"}};
  return names;
}

// Reads a quoted C string starting at s[i] == '"'; advances i past it.
std::string unquote(const std::string& s, size_t& i, const std::string& where) {
  std::string out;
  for (++i; i < s.size() && s[i] != '"'; ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) break;
    switch (s[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x':
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
        break;
      default: throw std::runtime_error(where + ": unknown escape \\" + s[i]);
    }
  }
  if (i >= s.size()) throw std::runtime_error(where + ": unterminated string");
  ++i;
  return out;
}

void skip_ws(const std::string& s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string word(const std::string& s, size_t& i) {
  skip_ws(s, i);
  size_t b = i;
  while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
  return s.substr(b, i - b);
}

}  // namespace

std::string errno_name(int err) {
  auto it = errno_names().find(err);
  return it == errno_names().end() ? fmt::format("errno {}", err) : it->second;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

Transcript parse_transcript(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  Transcript t;
  t.name = std::filesystem::path(file).stem().string();
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string where = fmt::format("{}:{}", file, n);
    size_t i = 0;
    skip_ws(line, i);
    if (i == line.size() || line[i] == '#') continue;
    Step st{n, word(line, i), "", "", "", false};
    if (st.op == "host") {
      t.host = word(line, i);
      continue;
    }
    static const char* ops[] = {"write", "read", "readlink", "ls", "missing", "dmesg", "uevent", "guest", "ap", "vfio", "ccw"};
    if (std::find(std::begin(ops), std::end(ops), st.op) == std::end(ops)) throw std::runtime_error(where + ": unknown op " + st.op);
    if (st.op == "guest" || st.op == "ap" || st.op == "vfio" || st.op == "ccw") {
      // guest start NAME ARGS... | guest stop NAME | guest show NAME;
      // ap VERB ARGS... (as `mdevsim ap` sends them); vfio ARGS...
      for (std::string w = word(line, i); !w.empty() && w != "->"; w = word(line, i)) st.data += (st.data.empty() ? "" : " ") + w;
      i -= 2;
    } else if (st.op == "dmesg") {
      // dmesg [N]: the last N lines (default 1), newline-separated.
      size_t at = i;
      if (std::string n = word(line, i); n != "->") st.path = n;
      else i = at;
    } else if (st.op != "uevent") {
      st.path = word(line, i);
    }
    if (st.op == "write") {
      skip_ws(line, i);
      if (i >= line.size() || line[i] != '"') throw std::runtime_error(where + ": write needs a quoted string");
      st.data = unquote(line, i, where);
    }
    if (st.op != "missing") {
      skip_ws(line, i);
      if (line.compare(i, 2, "->") != 0) throw std::runtime_error(where + ": expected ->");
      i += 2;
      skip_ws(line, i);
      if (i < line.size() && line[i] == '"') {
        st.expect = unquote(line, i, where);
        st.expect_text = true;
      } else {
        st.expect = word(line, i);
      }
    }
    t.steps.push_back(std::move(st));
  }
  return t;
}

}  // namespace golden
