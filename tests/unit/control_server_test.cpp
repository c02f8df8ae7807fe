// The control socket's server (issue 12, items 2 and 4): one client cannot
// hold up the others or the server's shutdown, a request has a size limit,
// and shutdown never touches a socket after closing it (a request that
// starts a migration listener during shutdown once made it accept on the
// listener's TCP socket forever).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "cli/control.h"
#include "cli/system.h"
#include "sysfs-fs/fuse/fuse_server.h"

namespace {

using namespace std::chrono_literals;

int connect_to(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_text(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string recv_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string request(const std::string& path, const std::string& line) {
  int fd = connect_to(path);
  if (fd < 0) return "connect failed";
  send_text(fd, line);
  std::string reply = recv_all(fd);
  close(fd);
  return reply;
}

// A simulator with a control server on a socket in a temporary directory.
// Everything lives on the heap: a test whose shutdown hangs leaves it behind.
struct Served {
  Served() : sys(ap::default_host()), fuse(sys.tree(), sys.lock()), control(std::make_unique<mdevsim::ControlServer>(sys, fuse)) {
    char tmpl[] = "/tmp/mdevsim-control-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/sock";
    std::string error;
    EXPECT_TRUE(control->listen(path, error)) << error;
  }
  ~Served() {
    stop();
    rmdir(dir.c_str());
  }
  // Destroys the control server, or ends the process if that hangs: its
  // threads would wait on sockets forever.
  void stop() {
    if (control && !shut_down(5s)) {
      ADD_FAILURE() << "the control server's shutdown hangs";
      std::fflush(nullptr);
      _exit(1);
    }
  }
  // Destroys the control server; false if that took longer than `limit`.
  bool shut_down(std::chrono::milliseconds limit) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    std::thread([c = control.release(), done] {
      delete c;
      done->set_value();
    }).detach();
    return f.wait_for(limit) == std::future_status::ready;
  }
  mdevsim::System sys;
  sysfs::FuseServer fuse;
  std::unique_ptr<mdevsim::ControlServer> control;
  std::string dir, path;
};

TEST(ControlServer, SilentClientHoldsUpNoOtherRequest) {
  Served s;
  int silent = connect_to(s.path);
  ASSERT_GE(silent, 0);
  auto reply = std::async(std::launch::async, [&] { return request(s.path, "guest list\n"); });
  ASSERT_EQ(reply.wait_for(2s), std::future_status::ready) << "a silent client stalled the server";
  EXPECT_EQ(reply.get(), "OK\n");
  // It gets an error once its time is up.
  EXPECT_EQ(recv_all(silent), "ERR no request line within 5 s\n");
  close(silent);
}

TEST(ControlServer, OverlongRequestIsRefused) {
  Served s;
  EXPECT_EQ(request(s.path, std::string(100000, 'x')), "ERR request longer than 65536 bytes\n");
  EXPECT_EQ(request(s.path, std::string(70000, 'x') + "\n"), "ERR request longer than 65536 bytes\n");
  EXPECT_EQ(request(s.path, "guest list\n"), "OK\n");
}

TEST(ControlServer, ShutdownDoesNotWaitForASilentClient) {
  Served s;
  int silent = connect_to(s.path);
  ASSERT_GE(silent, 0);
  std::this_thread::sleep_for(100ms);  // accepted
  EXPECT_TRUE(s.shut_down(1s)) << "shutdown waited for a client";
  close(silent);
}

// A `migration listen` request that completes while the server shuts down.
TEST(ControlServer, ListenRequestDuringShutdownCannotHangIt) {
  Served s;
  int fd = connect_to(s.path);
  ASSERT_GE(fd, 0);
  send_text(fd, "migration listen 127.0.0.1:0");
  std::this_thread::sleep_for(100ms);
  std::thread finish([fd] {
    std::this_thread::sleep_for(200ms);
    send_text(fd, "\n");
  });
  s.stop();
  finish.join();
  close(fd);
}

}  // namespace
