#include "tests/support/mounted.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace mdevsim::testing {

bool can_mount() { return geteuid() == 0 && access("/dev/fuse", R_OK | W_OK) == 0; }

static std::string make_dir() {
  char tmpl[] = "/tmp/mdevsim-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

Mounted::Mounted(Host host) : m_dir(make_dir()), m_sys(std::move(host)), m_server(m_sys.tree(), m_sys.lock()) {
  std::string error;
  if (!m_server.mount(m_dir, error, false)) throw std::runtime_error("mount failed: " + error);
  m_loop = std::thread([this] { m_server.loop(); });
}

Mounted::~Mounted() {
  m_server.exit();
  m_server.unmount();
  m_loop.join();
  rmdir(m_dir.c_str());
}

std::string Mounted::path(std::string_view rel) const {
  return rel.empty() ? m_dir : m_dir + "/" + std::string(rel);
}

std::string read_file(const std::string& path, int& err) {
  err = 0;
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    err = errno;
    return {};
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  if (n < 0) err = errno;
  close(fd);
  return out;
}

long write_file(const std::string& path, std::string_view data) {
  int fd = open(path.c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, data.data(), data.size());
  long r = n < 0 ? -errno : n;
  close(fd);
  return r;
}

int run(const std::vector<std::string>& args) {
  // Made before fork(): the child of a threaded process must not allocate.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace mdevsim::testing
