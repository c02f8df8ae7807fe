#include "cli/run_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace mdevsim {

std::string escape_path(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return "-";
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '/') out += '-';
    else if (std::isalnum(c) || c == ':' || c == '_' || (c == '.' && i > 0)) out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

std::optional<std::string> run_dir(std::string& error) {
  uid_t uid = geteuid();
  const char* env = getenv("MDEVSIM_RUN_DIR");
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  std::string dir = env && *env        ? env
                    : uid == 0         ? "/run/mdevsim"
                    : xdg && *xdg == '/' ? std::string(xdg) + "/mdevsim"
                                       : fmt::format("/tmp/mdevsim-{}", uid);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = fmt::format("run directory {}: {}", dir, std::strerror(errno));
    return std::nullopt;
  }
  // Another user may have made it first (/tmp is shared): trust it only if
  // it is ours and closed, else files in it could be links or fakes.
  struct stat st{};
  if (lstat(dir.c_str(), &st) != 0) {
    error = fmt::format("run directory {}: {}", dir, std::strerror(errno));
    return std::nullopt;
  }
  const char* why = !S_ISDIR(st.st_mode)  ? "not a directory"
                    : st.st_uid != uid    ? "owned by another user"
                    : (st.st_mode & 077)  ? "open to group or others (must be 0700)"
                                          : nullptr;
  if (why) {
    error = fmt::format("run directory {}: {}; refusing to use it", dir, why);
    return std::nullopt;
  }
  return dir;
}

std::optional<std::string> run_file(const std::string& real_mountpoint, const char* suffix, std::string& error) {
  auto dir = run_dir(error);
  if (!dir) return std::nullopt;
  return *dir + "/" + escape_path(real_mountpoint) + suffix;
}

bool MadeFile::record(const std::string& p) {
  struct stat st{};
  if (lstat(p.c_str(), &st) != 0) return false;
  path = p;
  dev = st.st_dev;
  ino = st.st_ino;
  return true;
}

void MadeFile::remove() const {
  struct stat st{};
  if (!path.empty() && lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) unlink(path.c_str());
}

}  // namespace mdevsim
