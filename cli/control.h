// The control channel of a running simulator: a Unix socket next to its pid
// file, through which CLI verbs read the kernel log and uevents (and, later,
// drive guests, faults and the crypto engine). One request line, one reply:
// "OK\n" and the text, or "ERR <message>\n".
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace sysfs {
class FuseServer;
}

#include <utility>
#include <vector>

#include "cli/migration_link.h"
#include "mdev/matrix_dev.h"

namespace mdevsim {

class System;

// The arguments of "guest start NAME ARGS...": UUIDs and the options
// "ap=off" and "unplug-on-request".
std::pair<std::vector<std::string>, vfio_ap::MatrixDev::GuestOptions> guest_start_args(const std::vector<std::string>& args);
// `mdevsim guest show`: the CRYCB masks and the APQNs and control domains.
std::string guest_text(const vfio_ap::Kvm& kvm);

// Where a simulator mounted at `real_mountpoint` keeps its files:
// $MDEVSIM_RUN_DIR, else /run/mdevsim for root, else /tmp/mdevsim-<uid>.
std::string run_file(const std::string& real_mountpoint, const char* suffix);

class ControlServer {
 public:
  ControlServer(System& sys, sysfs::FuseServer& fuse) : m_sys(sys), m_fuse(fuse) {}
  ~ControlServer();
  bool listen(const std::string& path, std::string& error);

 private:
  void serve();
  std::string handle(const std::string& request);
  // Changes go through the FUSE server, which invalidates what they touch.
  Mutate mutate();

  System& m_sys;
  sysfs::FuseServer& m_fuse;
  std::unique_ptr<MigrationListener> m_listener;
  std::string m_path;
  int m_fd = -1;
  std::thread m_thread;
};

// Sends one request to the simulator mounted at `mountpoint` and prints the
// reply; returns the exit status for the CLI.
int control_request(const std::string& mountpoint, const std::string& request);
// The same, returning the reply's text in `out` instead of printing it;
// errors are printed unless `print_errors` is false.
int control_query(const std::string& mountpoint, const std::string& request, std::string& out, bool print_errors = true);

}  // namespace mdevsim
