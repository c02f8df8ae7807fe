// A simulator served through a real FUSE mount on a temporary directory,
// by server threads of the test process itself.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apbus/host_config.h"
#include "cli/system.h"
#include "sysfs-fs/fuse/fuse_server.h"

namespace mdevsim::testing {

// True when this process may mount FUSE file systems (root and /dev/fuse).
bool can_mount();

// In a test: fails unless this process can mount, or skips where the
// environment says FUSE is not available (MDEVSIM_SKIP_FUSE).
#define MDEVSIM_REQUIRE_MOUNT()                                                              \
  do {                                                                                       \
    if (!mdevsim::testing::can_mount()) {                                                    \
      if (getenv("MDEVSIM_SKIP_FUSE")) GTEST_SKIP() << "no FUSE here (MDEVSIM_SKIP_FUSE)";   \
      FAIL() << "mounting needs root and /dev/fuse (set MDEVSIM_SKIP_FUSE=1 to skip)";     \
    }                                                                                        \
  } while (0)

class Mounted {
 public:
  explicit Mounted(Host host = {ap::default_host(), {}});
  explicit Mounted(ap::HostConfig host) : Mounted(Host{std::move(host), {}}) {}
  ~Mounted();
  // The mount point joined with a path relative to the simulated /sys.
  std::string path(std::string_view rel = "") const;
  System& sys() { return m_sys; }
  sysfs::FuseServer& server() { return m_server; }

 private:
  std::string m_dir;
  System m_sys;
  sysfs::FuseServer m_server;
  std::thread m_loop;
};

// Reads a whole file with open/read/close; errno in `err` on failure.
std::string read_file(const std::string& path, int& err);
// One open(O_WRONLY|O_TRUNC) and one write(); returns the write's result
// or -errno.
long write_file(const std::string& path, std::string_view data);

// Runs argv (a path, not searched) to completion; its exit status, or -1.
int run(const std::vector<std::string>& args);

}  // namespace mdevsim::testing
