// The control channel of a running simulator: a Unix socket next to its pid
// file, through which CLI verbs read the kernel log and uevents (and, later,
// drive guests, faults and the crypto engine). One request line, one reply:
// "OK\n" and the text, or "ERR <message>\n".
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/migration_link.h"
#include "cli/run_files.h"
#include "mdev/matrix_dev.h"

namespace sysfs {
class FuseServer;
}

namespace mdevsim {

class System;

// Limits that keep one client from holding up the others or the server.
constexpr size_t CONTROL_MAX_REQUEST = 64 * 1024;  // bytes up to the newline
constexpr int CONTROL_RECV_TIMEOUT_S = 5;          // for the request line
constexpr size_t CONTROL_MAX_CLIENTS = 32;         // served at once

// Serves each client on a thread of its own. Destruction stops accepting,
// wakes and joins every client, then releases what they may have started.
class ControlServer {
 public:
  ControlServer(System& sys, sysfs::FuseServer& fuse) : m_sys(sys), m_fuse(fuse) {}
  ~ControlServer();
  bool listen(const std::string& path, std::string& error);

 private:
  struct Client {
    int fd;  // -1 once the client thread has closed it
    std::thread thread;
    bool done = false;
  };
  void accept_loop();
  void serve_client(Client& c);
  void reap_done();  // joins finished clients, under m_clients_lock
  std::string handle(const std::string& request);
  // Changes go through the FUSE server, which invalidates what they touch.
  Mutate mutate();

  System& m_sys;
  sysfs::FuseServer& m_fuse;
  std::mutex m_listener_lock;
  std::unique_ptr<MigrationListener> m_listener;  // under m_listener_lock
  MadeFile m_socket;
  int m_fd = -1;
  std::thread m_thread;
  std::mutex m_clients_lock;
  std::list<Client> m_clients;  // under m_clients_lock
};

// Sends one request to the simulator mounted at `mountpoint` and prints the
// reply; returns the exit status for the CLI.
int control_request(const std::string& mountpoint, const std::string& request);
// The same, returning the reply's text in `out` instead of printing it;
// errors are printed unless `print_errors` is false.
int control_query(const std::string& mountpoint, const std::string& request, std::string& out, bool print_errors = true);

}  // namespace mdevsim
