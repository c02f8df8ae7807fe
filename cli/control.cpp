#include "cli/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "cli/ap_command.h"
#include "cli/css_view.h"
#include "cli/ccw_command.h"
#include "cli/guest_ccw.h"
#include "cli/guest_text.h"
#include "cli/vfio_command.h"
#include "cli/matrix_view.h"
#include "cli/migration_link.h"
#include "cli/snapshot.h"
#include "cli/system.h"
#include "sysfs-fs/fuse/fuse_server.h"

namespace mdevsim {
namespace {

bool make_addr(const std::string& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

void send_all(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

ControlServer::~ControlServer() {
  // Accepting ends first; the socket is closed only once nothing uses it.
  if (m_fd >= 0) shutdown(m_fd, SHUT_RDWR);
  if (m_thread.joinable()) m_thread.join();
  if (m_fd >= 0) close(m_fd);
  m_socket.remove();
  // Clients waiting for a request line wake up; the others finish theirs.
  std::list<Client> clients;
  {
    std::lock_guard g(m_clients_lock);
    for (auto& c : m_clients)
      if (c.fd >= 0) shutdown(c.fd, SHUT_RDWR);
    clients.splice(clients.end(), m_clients);
  }
  for (auto& c : clients) c.thread.join();
  // No client is left to start a listener again.
  m_listener.reset();
}

bool ControlServer::listen(const std::string& path, std::string& error) {
  sockaddr_un addr;
  if (!make_addr(path, addr)) {
    error = "control socket path too long: " + path;
    return false;
  }
  // Whoever calls this holds the mount point's pid lock: a socket left here
  // belongs to a server that died.
  unlink(path.c_str());
  m_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd < 0 || bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_fd, 16) != 0) {
    error = fmt::format("control socket {}: {}", path, std::strerror(errno));
    return false;
  }
  chmod(path.c_str(), 0600);
  m_socket.record(path);
  m_thread = std::thread([this] { accept_loop(); });
  return true;
}

void ControlServer::accept_loop() {
  while (true) {
    int fd = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      return;  // shut down
    }
    std::lock_guard g(m_clients_lock);
    reap_done();
    if (m_clients.size() >= CONTROL_MAX_CLIENTS) {
      send_all(fd, fmt::format("ERR too many clients at once (at most {})\n", CONTROL_MAX_CLIENTS));
      close(fd);
      continue;
    }
    Client& c = m_clients.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c] { serve_client(c); });
  }
}

void ControlServer::reap_done() {
  for (auto it = m_clients.begin(); it != m_clients.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();
    it = m_clients.erase(it);
  }
}

void ControlServer::serve_client(Client& c) {
  timeval tv{CONTROL_RECV_TIMEOUT_S, 0};
  setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string req;
  char buf[4096];
  ssize_t n = 0;
  while (req.find('\n') == std::string::npos && req.size() <= CONTROL_MAX_REQUEST &&
         (n = recv(c.fd, buf, sizeof buf, 0)) > 0)
    req.append(buf, static_cast<size_t>(n));
  size_t nl = req.find('\n');
  if (nl != std::string::npos && nl <= CONTROL_MAX_REQUEST)
    send_all(c.fd, handle(req.substr(0, nl)));
  else if (nl != std::string::npos || req.size() > CONTROL_MAX_REQUEST)
    send_all(c.fd, fmt::format("ERR request longer than {} bytes\n", CONTROL_MAX_REQUEST));
  else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    send_all(c.fd, fmt::format("ERR no request line within {} s\n", CONTROL_RECV_TIMEOUT_S));
  // The destructor shuts down only fds still listed, so none it touches is closed.
  std::lock_guard g(m_clients_lock);
  close(c.fd);
  c.fd = -1;
  c.done = true;
}

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

Mutate ControlServer::mutate() {
  return [this](const std::function<bool()>& f) { return m_fuse.mutate(f); };
}

std::string ControlServer::handle(const std::string& request) {
  auto words = split(request);
  if (words.size() >= 2 && words[0] == "guest") {
    auto& guests = m_sys.guests();
    const std::string& verb = words[1];
    std::string error;
    if (verb == "start" && words.size() >= 4) {
      auto opts = guest_start_args({words.begin() + 3, words.end()});
      bool ok = m_fuse.mutate([&] { return guests.start(words[2], opts, error); });
      return ok ? "OK\n" : "ERR " + error + "\n";
    }
    if (verb == "stop" && words.size() == 3) {
      bool ok = m_fuse.mutate([&] { return guests.stop(words[2], error); });
      return ok ? "OK\n" : "ERR " + error + "\n";
    }
    if (verb == "ccw") {
      std::string out;
      bool ok = guest_ccw_command(m_sys, mutate(), {words.begin() + 2, words.end()}, out);
      return (ok ? "OK\n" : "ERR ") + out + "\n";
    }
    if (verb == "migrate" && words.size() == 4) {
      std::string out;
      bool ok = migrate_guest(m_sys, mutate(), words[2], words[3], out);
      return (ok ? "OK\n" : "ERR ") + out + "\n";
    }
    std::shared_lock g(m_sys.lock());
    if (verb == "log" && words.size() == 3) {
      auto it = guests.logs().find(words[2]);
      if (it == guests.logs().end()) return "ERR no log of guest " + words[2] + "\n";
      std::string out = "OK\n";
      for (auto& l : it->second) out += l + "\n";
      return out;
    }
    if (verb == "list") {
      std::string out = "OK\n";
      // Each guest with the mdevs it has open, or "-".
      for (auto& [name, g] : guests.all()) {
        std::string mdevs;
        if (g->ap) mdevs += " " + g->ap->mdev->uuid;
        for (auto& d : g->ccw)
          if (d.mdev) mdevs += " " + d.mdev->uuid;
        out += name + (mdevs.empty() ? " -" : mdevs) + "\n";
      }
      return out;
    }
    if (verb == "show" && words.size() == 3) {
      const qemu::Guest* g = guests.find(words[2]);
      if (!g) return "ERR no guest " + words[2] + "\n";
      return "OK\n" + guest_text(*g);
    }
  }
  if (!words.empty() && words[0] == "ccw") {
    std::string out;
    bool ok = ccw_command(m_sys, mutate(), {words.begin() + 1, words.end()}, out);
    return (ok ? "OK\n" : "ERR ") + out + "\n";
  }
  if (!words.empty() && words[0] == "ap") {
    std::string out;
    bool ok = ap_command(m_sys, mutate(), {words.begin() + 1, words.end()},
                         out);
    return (ok ? "OK\n" : "ERR ") + out + "\n";
  }
  if (words.size() == 3 && words[0] == "migration" && words[1] == "listen") {
    std::lock_guard g(m_listener_lock);
    if (!m_listener) m_listener = std::make_unique<MigrationListener>(m_sys, mutate());
    std::string bound, error;
    if (!m_listener->listen(words[2], bound, error)) return "ERR " + error + "\n";
    return "OK\nlistening on " + bound + "\n";
  }
  if (!words.empty() && words[0] == "vfio") {
    std::string out;
    bool ok = vfio_command(m_sys, mutate(),
                           {words.begin() + 1, words.end()}, out);
    return (ok ? "OK\n" : "ERR ") + out + "\n";
  }
  if (words.size() == 2 && words[0] == "snapshot") {
    std::shared_lock g(m_sys.lock());
    return "OK\n" + migration::to_json(take_snapshot(m_sys, words[1]));
  }
  if (request == "css") {
    std::shared_lock g(m_sys.lock());
    return "OK\n" + css_snapshot_json(m_sys);
  }
  if (request == "matrix") {
    std::shared_lock g(m_sys.lock());
    return "OK\n" + matrix_snapshot_json(m_sys);
  }
  if (request == "dmesg") {
    std::shared_lock g(m_sys.lock());
    return "OK\n" + m_sys.klog().dmesg();
  }
  if (request == "uevents") {
    std::shared_lock g(m_sys.lock());
    std::string out = "OK\n";
    for (auto& e : m_sys.uevents().events()) out += e.monitor_text();
    return out;
  }
  return "ERR unknown request: " + request + "\n";
}

int control_request(const std::string& mountpoint, const std::string& request) {
  std::string reply;
  int rc = control_query(mountpoint, request, reply);
  if (rc == 0) fwrite(reply.data(), 1, reply.size(), stdout);
  return rc;
}

int control_query(const std::string& mountpoint, const std::string& request, std::string& out, bool print_errors) {
  std::error_code ec;
  std::string real = std::filesystem::canonical(mountpoint, ec).string();
  if (ec) {
    fmt::print(stderr, "mdevsim: {}: {}\n", mountpoint, ec.message());
    return 1;
  }
  std::string error;
  auto path_ok = run_file(real, ".sock", error);
  if (!path_ok) {
    fmt::print(stderr, "mdevsim: {}\n", error);
    return 1;
  }
  const std::string& path = *path_ok;
  sockaddr_un addr;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || !make_addr(path, addr) || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fmt::print(stderr, "mdevsim: {}: no simulator is mounted there\n", mountpoint);
    if (fd >= 0) close(fd);
    return 1;
  }
  send_all(fd, request + "\n");
  std::string reply;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  if (reply.rfind("OK\n", 0) == 0) {
    out = reply.substr(3);
    return 0;
  }
  std::string msg = reply.rfind("ERR ", 0) == 0 ? reply.substr(4) : "the simulator closed the connection\n";
  // virsh-style messages ("error: ...") stand as they are.
  if (print_errors) fmt::print(stderr, "{}{}", msg.rfind("error: ", 0) == 0 ? "" : "mdevsim: ", msg);
  return 1;
}

}  // namespace mdevsim
