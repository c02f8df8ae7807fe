#include "cli/migration_link.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/hex.h"
#include "cli/system.h"
#include "migration/ap_config_stream.h"
#include "migration/virsh_messages.h"

namespace mdevsim {
namespace {

using base::Result;
using migration::MigState;
namespace virsh = migration::virsh;

constexpr const char* QEMU = "qemu-system-s390x";
constexpr int TIMEOUT_S = 30;  // no peer leaves the other waiting longer

// One line-oriented TCP connection.
class Conn {
 public:
  explicit Conn(int fd) : m_fd(fd) {
    timeval tv{TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  ~Conn() { close(m_fd); }
  bool send_line(const std::string& s) {
    std::string l = s + "\n";
    for (size_t off = 0; off < l.size();) {
      ssize_t n = ::send(m_fd, l.data() + off, l.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // A line without its newline; false at the end or on a timeout.
  bool recv_line(std::string& line) {
    size_t nl;
    char buf[65536];
    while ((nl = m_buf.find('\n')) == std::string::npos) {
      if (m_buf.size() > (64u << 20)) return false;  // no line is that long
      ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      m_buf.append(buf, static_cast<size_t>(n));
    }
    line = m_buf.substr(0, nl);
    m_buf.erase(0, nl + 1);
    return true;
  }

 private:
  int m_fd;
  std::string m_buf;
};

// HOST:PORT (HOST may be [v6]) to addresses; a message on error.
addrinfo* resolve(const std::string& address, bool passive, std::string& error) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    error = fmt::format("{}: HOST:PORT is needed", address);
    return nullptr;
  }
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res)) {
    error = fmt::format("{}: {}", address, gai_strerror(rc));
    return nullptr;
  }
  return res;
}

std::string strerror_text(int err) { return std::strerror(err); }

void qemu_log(System& sys, const std::string& guest, std::string line) { sys.guests().log(guest, std::move(line)); }

// The destination QEMU: -device vfio-ap with the same mdev.
qemu::GuestOptions vfio_ap_guest(const std::string& uuid) {
  return {.devices = {"vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/" + uuid}};
}

}  // namespace

// ------------------------------------------------------------ destination

// Accepting ends before the socket is closed: a closed fd's number may be
// reused at once, and accept4() on it would never return.
MigrationListener::~MigrationListener() {
  if (m_fd >= 0) shutdown(m_fd, SHUT_RDWR);
  if (m_thread.joinable()) m_thread.join();
  if (m_fd >= 0) close(m_fd);
}

bool MigrationListener::listen(const std::string& address, std::string& bound, std::string& error) {
  if (m_fd >= 0) {
    error = "already listening";
    return false;
  }
  addrinfo* res = resolve(address, true, error);
  if (!res) return false;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 4) != 0) {
    error = fmt::format("{}: {}", address, strerror_text(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return false;
  }
  freeaddrinfo(res);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char host[NI_MAXHOST], port[NI_MAXSERV];
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
  bound = ss.ss_family == AF_INET6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  m_fd = fd;
  m_thread = std::thread([this] { serve(); });
  return true;
}

void MigrationListener::serve() {
  while (true) {
    int c = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    incoming(c);  // one migration at a time, as the data files are per mdev anyway
  }
}

// libvirt's prepare step, then QEMU -incoming: the mdev must exist and be
// free; the guest starts with its device in RESUMING and takes the data.
void MigrationListener::incoming(int fd) {
  Conn conn(fd);
  std::string line, name, uuid;
  if (!conn.recv_line(line)) return;
  char n[256], u[64];
  if (std::sscanf(line.c_str(), "MIGRATE %255s %63s", n, u) != 2) {
    conn.send_line("ERR 0 - error: unknown request");
    return;
  }
  name = n;
  uuid = u;
  std::string error;
  int data_fd = -1;
  bool ok = m_mutate([&] {
    auto& md = m_sys.matrix_dev();
    vfio_ap::MatrixMdev* m = md.find(uuid);
    if (!m) {
      error = virsh::mdev_missing(uuid);
      return false;
    }
    if (m_sys.guests().find(name)) {
      error = virsh::domain_active(name);
      return false;
    }
    if (m->kvm()) {
      error = virsh::mdev_in_use(uuid, m->kvm()->name);
      return false;
    }
    if (!m_sys.guests().start(name, vfio_ap_guest(uuid), error)) {
      error = "error: internal error: qemu unexpectedly closed the monitor: " + error;
      return false;
    }
    m_sys.guests().clear_log(name);
    qemu_log(m_sys, name, "incoming migration");
    auto r = md.mig_set_state(*m, MigState::RESUMING);
    if (!r) {
      m_sys.guests().stop(name, error);
      error = virsh::migration_in_failed(r.error().code);
      return false;
    }
    data_fd = *r;
    return true;
  });
  if (!conn.send_line(ok ? "OK" : "ERR 0 - " + error) || !ok) return;
  auto bytes = conn.recv_line(line) && line.rfind("DATA ", 0) == 0 ? base::from_hex(line.substr(5)) : std::nullopt;
  std::string reply = "OK";
  m_mutate([&] {
    auto& md = m_sys.matrix_dev();
    vfio_ap::MatrixMdev* m = md.find(uuid);
    Result<size_t> r = bytes && m ? md.mig_write(data_fd, *bytes, false) : Result<size_t>(base::Errno{EIO});
    // A stream that ends before its header says: the device takes it (and
    // RESUMING -> STOP leaves the mdev as it was, as the kernel does), but
    // QEMU's load fails. Its vfio_load_state() ends on the stream's error,
    // EIO once a QEMUFile hits the end (qemu_fill_buffer()); EINVAL is for
    // tags it does not know, which this line protocol has none of.
    if (r && *r < migration::announced_size(*bytes)) r = base::Errno{EIO};
    // A queue whose TAPQ failed, for the source's message.
    std::string apqn = !r && m && m->mig ? virsh::tapq_failed_apqn(m->mig->resume_log) : "-";
    if (r && m) r = md.mig_set_state(*m, MigState::RUNNING).has_value() ? r : Result<size_t>(base::Errno{EIO});
    md.mig_close(data_fd);
    if (r) {
      qemu_log(m_sys, name, "migration completed; running");
      return true;
    }
    const int err = r.error().code;
    reply = fmt::format("ERR {} {}", err, apqn);
    qemu_log(m_sys, name, fmt::format("{}: error while loading state section id 1(vfio-ap)", QEMU));
    qemu_log(m_sys, name, fmt::format("{}: load of migration failed: {}", QEMU, strerror_text(err)));
    qemu_log(m_sys, name, "shutting down, reason=failed");
    qemu_log(m_sys, name, fmt::format("{}: terminating on signal 15 from pid {} (libvirtd)", QEMU, getpid()));
    std::string ignored;
    m_sys.guests().stop(name, ignored);  // the destination QEMU goes, and its device is closed
    return false;
  });
  conn.send_line(reply);
}

// ----------------------------------------------------------------- source

bool migrate_guest(System& sys, const Mutate& mutate, const std::string& name, const std::string& address,
                   std::string& out) {
  std::string uuid;
  bool ok = mutate([&] {
    const qemu::Guest* g = sys.guests().find(name);
    if (!g) {
      out = fmt::format("error: failed to get domain '{}'", name);
      return false;
    }
    if (std::any_of(g->ccw.begin(), g->ccw.end(), [](auto& d) { return d.mdev; })) {
      out = virsh::hostdev_not_migratable();
      for (auto& d : g->ccw)
        if (d.mdev) out += '\n' + virsh::vfio_ccw_not_migratable(fmt::format("{:02x}.{:x}.{:04x}", d.dev_id.cssid, d.dev_id.ssid, d.dev_id.devid));
      return false;
    }
    if (!g->ap) {
      out = fmt::format("error: guest {} has no vfio-ap device", name);
      return false;
    }
    uuid = g->ap->mdev->uuid;
    qemu_log(sys, name, "initiating migration");
    return true;
  });
  if (!ok) return false;
  std::string error;
  addrinfo* res = resolve(address, false, error);
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = fmt::format("unable to connect to server at '{}': {}", address, strerror_text(errno));
      close(fd);
      fd = -1;
    }
  }
  if (res) freeaddrinfo(res);
  if (fd < 0) {
    out = "error: " + error;
    return false;
  }
  Conn conn(fd);
  std::string line;
  auto sibling_failed = [&] { mutate([&] { return qemu_log(sys, name, fmt::format("{}: Sibling indicated error 1", QEMU)), true; }); };
  if (!conn.send_line(fmt::format("MIGRATE {} {}", name, uuid)) || !conn.recv_line(line) || line.rfind("OK", 0) != 0) {
    // libvirt's prepare failed on the destination: its message as it is.
    size_t msg = line.find(" - ");
    out = msg != std::string::npos ? line.substr(msg + 3) : "error: the destination closed the connection";
    sibling_failed();
    return false;
  }
  // The source device: STOP (vCPUs paused), STOP_COPY, read it all.
  std::vector<uint8_t> data;
  int data_fd = -1;
  std::string read_error;
  mutate([&] {
    auto& md = sys.matrix_dev();
    vfio_ap::MatrixMdev* m = md.find(uuid);
    auto r = m ? md.mig_set_state(*m, MigState::STOP_COPY) : Result<int>(base::Errno{ENODEV});
    if (r) {
      data_fd = *r;
      for (;;) {
        auto chunk = md.mig_read(data_fd, 4096, false);
        if (!chunk) r = chunk.error();
        if (!chunk || chunk->empty()) break;
        data.insert(data.end(), chunk->begin(), chunk->end());
      }
    }
    if (!r) read_error = virsh::migration_out_failed(r.error().code);
    return true;
  });
  auto resume_source = [&] {
    mutate([&] {
      auto& md = sys.matrix_dev();
      if (vfio_ap::MatrixMdev* m = md.find(uuid)) (void)md.mig_set_state(*m, MigState::RUNNING);
      md.mig_close(data_fd);
      return true;
    });
  };
  if (!read_error.empty()) {
    conn.send_line("ABORT");
    resume_source();
    out = read_error;
    return false;
  }
  if (!conn.send_line("DATA " + base::to_hex(data)) || !conn.recv_line(line)) line = "ERR 5 -";
  if (line == "OK") {
    mutate([&] {
      auto& md = sys.matrix_dev();
      if (vfio_ap::MatrixMdev* m = md.find(uuid)) (void)md.mig_set_state(*m, MigState::STOP);
      md.mig_close(data_fd);
      qemu_log(sys, name, "migration completed; shutting down, reason=migrated");
      std::string ignored;
      return sys.guests().stop(name, ignored);  // the source QEMU quits: its device is closed, the mdev free
    });
    out = fmt::format("Migration of {} (mdev {}) to {}: completed", name, uuid, address);
    return true;
  }
  int err = EIO;
  char apqn[16] = "-";
  std::sscanf(line.c_str(), "ERR %d %15s", &err, apqn);
  resume_source();
  sibling_failed();
  out = virsh::load_failed(err, apqn);
  return false;
}

}  // namespace mdevsim
