// Where a simulator keeps its pid file and control socket, and how it
// removes them: only files it made itself, so that a server on its way out
// cannot delete the next server's.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace mdevsim {

// systemd-escape --path: "/x/c_d" -> "x-c_d", "/x/c/d" -> "x-c-d", "-" -> "\x2d".
std::string escape_path(std::string_view path);

// The directory: $MDEVSIM_RUN_DIR, else /run/mdevsim for root, else
// $XDG_RUNTIME_DIR/mdevsim, else /tmp/mdevsim-<uid>. Made 0700 if missing;
// it must be a directory (not a link) of the caller's, closed to group and
// others, or `error` says why not.
std::optional<std::string> run_dir(std::string& error);
// The run directory joined with the escaped mount point and `suffix`.
std::optional<std::string> run_file(const std::string& real_mountpoint, const char* suffix, std::string& error);

// A file this process made, identified by device and inode.
struct MadeFile {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
  // Records what `path` is now.
  bool record(const std::string& p);
  // Unlinks `path` if it is still the file recorded.
  void remove() const;
};

}  // namespace mdevsim
