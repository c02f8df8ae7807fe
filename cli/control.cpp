#include "cli/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

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

std::string run_file(const std::string& real_mountpoint, const char* suffix) {
  const char* env = getenv("MDEVSIM_RUN_DIR");
  std::string dir = env && *env ? env : geteuid() == 0 ? "/run/mdevsim" : fmt::format("/tmp/mdevsim-{}", geteuid());
  mkdir(dir.c_str(), 0700);
  std::string name = real_mountpoint;
  for (char& c : name)
    if (c == '/') c = '_';
  return dir + "/" + name + suffix;
}

ControlServer::~ControlServer() {
  if (m_fd >= 0) {
    shutdown(m_fd, SHUT_RDWR);
    close(m_fd);
  }
  if (m_thread.joinable()) m_thread.join();
  if (!m_path.empty()) unlink(m_path.c_str());
}

bool ControlServer::listen(const std::string& path, std::string& error) {
  sockaddr_un addr;
  if (!make_addr(path, addr)) {
    error = "control socket path too long: " + path;
    return false;
  }
  unlink(path.c_str());
  m_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd < 0 || bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_fd, 16) != 0) {
    error = fmt::format("control socket {}: {}", path, std::strerror(errno));
    return false;
  }
  chmod(path.c_str(), 0600);
  m_path = path;
  m_thread = std::thread([this] { serve(); });
  return true;
}

void ControlServer::serve() {
  while (true) {
    int c = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    std::string req;
    char buf[4096];
    ssize_t n;
    while (req.find('\n') == std::string::npos && (n = recv(c, buf, sizeof buf, 0)) > 0) req.append(buf, static_cast<size_t>(n));
    req = req.substr(0, req.find('\n'));
    send_all(c, handle(req));
    close(c);
  }
}

std::string ControlServer::handle(const std::string& request) {
  if (request == "dmesg") {
    std::lock_guard g(m_sys.lock());
    return "OK\n" + m_sys.klog().dmesg();
  }
  if (request == "uevents") {
    std::lock_guard g(m_sys.lock());
    std::string out = "OK\n";
    for (auto& e : m_sys.uevents().events()) out += e.monitor_text();
    return out;
  }
  return "ERR unknown request: " + request + "\n";
}

int control_request(const std::string& mountpoint, const std::string& request) {
  std::error_code ec;
  std::string real = std::filesystem::canonical(mountpoint, ec).string();
  if (ec) {
    fmt::print(stderr, "mdevsim: {}: {}\n", mountpoint, ec.message());
    return 1;
  }
  std::string path = run_file(real, ".sock");
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
    fwrite(reply.data() + 3, 1, reply.size() - 3, stdout);
    return 0;
  }
  std::string msg = reply.rfind("ERR ", 0) == 0 ? reply.substr(4) : "the simulator closed the connection\n";
  fmt::print(stderr, "mdevsim: {}", msg);
  return 1;
}

}  // namespace mdevsim
