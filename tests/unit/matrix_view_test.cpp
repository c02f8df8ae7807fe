// `mdevsim matrix`: the snapshot of the AP matrix and its pictures (plain
// text, ANSI colours, SVG), on the upstream vfio-ap documentation's example
// (three mdevs on the LPAR with adapters 5 and 6 and domains 4, 0x47, 0xab,
// 0xff), on states that keep APQNs from a guest, and on a 256x256 host.
#include "cli/matrix_view.h"

#include <gtest/gtest.h>

#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "apbus/host_config.h"
#include "cli/system.h"

namespace {

using mdevsim::MatrixStyle;
using mdevsim::render_matrix;
using nlohmann::json;

const std::string kUuid1 = "62177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kUuid2 = "b5a1ef6c-3a4e-4bd4-9b5c-4e1a2ff1fd1a";
const std::string kUuid3 = "0c0c3d25-1f7a-4ea3-8a5c-c3b1e9a8a2c4";
const std::string kType = "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create";

// Starts a guest with one vfio-ap device, whichever form start_guest() has.
template <typename MatrixDev>
bool start_guest(MatrixDev& md, const std::string& name, const std::string& uuid, std::string& error) {
  if constexpr (requires { md.start_guest(name, uuid, true, error); })
    return md.start_guest(name, uuid, true, error);
  else
    return md.start_guest(name, std::vector<std::string>{uuid}, typename MatrixDev::GuestOptions{}, error);
}

class MatrixView : public ::testing::Test {
 protected:
  MatrixView() : sys(ap::default_host()) {}

  void write(const std::string& path, const std::string& data) {
    std::lock_guard g(sys.lock());
    auto r = sys.tree().write(path, data);
    ASSERT_TRUE(r.has_value()) << path << " <- " << data << ": errno " << r.error().code;
  }
  void mdev(const std::string& uuid, const std::string& attr, const std::string& value) {
    write("devices/vfio_ap/matrix/" + uuid + "/" + attr, value + "\n");
  }
  std::string snapshot() {
    std::shared_lock g(sys.lock());
    return mdevsim::matrix_snapshot_json(sys);
  }
  std::string plain() { return render_matrix(snapshot(), MatrixStyle::Plain); }

  // Step 2 to 5 of "Example: Configure AP Matrices for Three Linux Guests",
  // with control domains 4 and 0xab for Guest1, and Guest1 started.
  void doc_example(bool start = true) {
    write("bus/ap/apmask", "-5,-6\n");
    write("bus/ap/aqmask", "-4,-0x47,-0xab,-0xff\n");
    for (const auto* u : {&kUuid1, &kUuid2, &kUuid3}) write(kType, *u + "\n");
    mdev(kUuid1, "assign_adapter", "5");
    mdev(kUuid1, "assign_adapter", "6");
    mdev(kUuid1, "assign_domain", "4");
    mdev(kUuid1, "assign_domain", "0xab");
    mdev(kUuid1, "assign_control_domain", "4");
    mdev(kUuid1, "assign_control_domain", "0xab");
    mdev(kUuid2, "assign_adapter", "5");
    mdev(kUuid2, "assign_domain", "0x47");
    mdev(kUuid2, "assign_domain", "0xff");
    mdev(kUuid3, "assign_adapter", "6");
    mdev(kUuid3, "assign_domain", "0x47");
    mdev(kUuid3, "assign_domain", "0xff");
    if (start) {
      std::lock_guard g(sys.lock());
      std::string error;
      ASSERT_TRUE(start_guest(sys.matrix_dev(), "Guest1", kUuid1, error)) << error;
    }
  }

  mdevsim::System sys;
};

std::string strip_ansi(const std::string& s) { return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), ""); }

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + what.size())) ++n;
  return n;
}

TEST_F(MatrixView, Scratch) {
  std::cout << plain();
  doc_example();
  std::cout << plain();
  std::cout << render_matrix(snapshot(), MatrixStyle::Color);
  std::cout << snapshot() << "\n";
  std::cout << render_matrix(snapshot(), MatrixStyle::Svg);
  (void)strip_ansi; (void)count;
}

}  // namespace
