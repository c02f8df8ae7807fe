// The destination's migration listener spoken to over a plain TCP socket,
// as a source would: the whole STOP_COPY stream is taken, a stream shorter
// than its header announces is refused and the incoming guest goes.
#include "cli/migration_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "apbus/host_config.h"
#include "base/hex.h"
#include "cli/system.h"

namespace {

using migration::MigState;

const std::string kUuid = "62177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kCreate = "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create";

// A host with adapters 5, 6 and domains 4, 0x47 given to vfio_ap and mdev
// kUuid created.
struct Host {
  mdevsim::System sys{ap::default_host()};
  mdevsim::Mutate mutate = [this](const std::function<bool()>& f) {
    std::lock_guard g(sys.lock());
    return f();
  };
  Host() {
    for (auto [path, data] : {std::pair{"bus/ap/apmask", "-5,-6\n"}, {"bus/ap/aqmask", "-4,-0x47\n"}})
      EXPECT_TRUE(sys.tree().write(path, data).has_value()) << path;
    EXPECT_TRUE(sys.tree().write(kCreate, kUuid + "\n").has_value());
  }
  void assign(const std::string& attr, const std::string& id) {
    EXPECT_TRUE(sys.tree().write("devices/vfio_ap/matrix/" + kUuid + "/" + attr, id + "\n").has_value()) << attr;
  }
  std::vector<std::string> guests() {
    std::vector<std::string> out;
    for (auto& [name, g] : sys.guests().all()) out.push_back(name);
    return out;
  }
};

// The source's STOP_COPY data of a guest on adapters 5, 6 and domain 4.
std::vector<uint8_t> source_stream() {
  Host src;
  src.assign("assign_adapter", "5");
  src.assign("assign_adapter", "6");
  src.assign("assign_domain", "4");
  auto& md = src.sys.matrix_dev();
  std::string error;
  EXPECT_TRUE(src.sys.guests().start("vm1", {.devices = {"vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/" + kUuid}}, error))
      << error;
  auto fd = md.mig_set_state(*md.find(kUuid), MigState::STOP_COPY);
  EXPECT_TRUE(fd.has_value());
  auto data = md.mig_read(*fd, 4096, false);
  EXPECT_TRUE(data.has_value());
  return data ? *data : std::vector<uint8_t>{};
}

// One line-based connection to the listener at 127.0.0.1:PORT.
class Peer {
 public:
  explicit Peer(const std::string& bound) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1))));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m_fd = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Peer() { close(m_fd); }
  // Sends `line`, returns the answer line ("" if the peer closed).
  std::string ask(const std::string& line) {
    std::string l = line + "\n", reply;
    EXPECT_EQ(send(m_fd, l.data(), l.size(), MSG_NOSIGNAL), static_cast<ssize_t>(l.size()));
    char c;
    while (recv(m_fd, &c, 1, 0) == 1 && c != '\n') reply += c;
    return reply;
  }

 private:
  int m_fd = -1;
};

class MigrationLink : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(listener.listen("127.0.0.1:0", bound, error)) << error;
    stream = source_stream();
    ASSERT_EQ(stream.size(), 40u + 2 * 16);  // queues 05.0004 and 06.0004
  }
  Host dst;
  mdevsim::MigrationListener listener{dst.sys, dst.mutate};
  std::string bound;
  std::vector<uint8_t> stream;
};

TEST_F(MigrationLink, WholeStreamIsTaken) {
  Peer p(bound);
  EXPECT_EQ(p.ask("MIGRATE vm1 " + kUuid), "OK");
  EXPECT_EQ(p.ask("DATA " + base::to_hex(stream)), "OK");
  std::lock_guard g(dst.sys.lock());
  EXPECT_EQ(dst.guests(), std::vector<std::string>{"vm1"});
}

// The header announces two queues, the bytes carry one: QEMU's load fails
// with EIO, the incoming guest goes and the mdev keeps its empty matrix.
TEST_F(MigrationLink, TruncatedStreamIsRefused) {
  Peer p(bound);
  EXPECT_EQ(p.ask("MIGRATE vm1 " + kUuid), "OK");
  stream.resize(stream.size() - 16);
  EXPECT_EQ(p.ask("DATA " + base::to_hex(stream)), "ERR 5 -");
  std::lock_guard g(dst.sys.lock());
  EXPECT_TRUE(dst.guests().empty());
  const auto* m = dst.sys.matrix_dev().find(kUuid);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kvm(), nullptr);
  EXPECT_TRUE(m->matrix.apm.none() && m->matrix.aqm.none());
  const auto& log = dst.sys.guests().logs().at("vm1");
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().rfind("qemu-system-s390x: terminating on signal 15", 0), 0u) << log.back();
}

// A stream cut inside its num_queues field, or inside the header.
TEST_F(MigrationLink, StreamCutInTheHeaderIsRefused) {
  for (size_t len : {size_t{2}, size_t{20}}) {
    Peer p(bound);
    EXPECT_EQ(p.ask("MIGRATE vm1 " + kUuid), "OK");
    EXPECT_EQ(p.ask("DATA " + base::to_hex(std::span(stream).first(len))).rfind("ERR ", 0), 0u) << len;
    std::lock_guard g(dst.sys.lock());
    EXPECT_TRUE(dst.guests().empty()) << len;
  }
}

}  // namespace
