// Removing an mdev whose guest is running: the write blocks, the directory
// is emptied but for iommu_group, the guest loses its AP resources and is
// asked (REQ) to release the device; the write completes when it does.
#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "tests/support/mounted.h"

namespace {

using mdevsim::testing::Mounted;
using namespace std::chrono_literals;

const std::string UUID = "11111111-2222-3333-4444-555555555555";

std::string ls(const std::string& dir) {
  std::string out;
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    for (auto& n : names) out += (out.empty() ? "" : " ") + n;
  }
  return out;
}

std::string last_log(Mounted& m, int back = 0) {
  std::shared_lock g(m.sys().lock());
  auto& lines = m.sys().klog().lines();
  return lines.size() > static_cast<size_t>(back) ? lines[lines.size() - 1 - back].text : "";
}

void setup(Mounted& m, bool unplug) {
  using mdevsim::testing::write_file;
  ASSERT_EQ(write_file(m.path("bus/ap/apmask"), "-5,-6"), 5);
  ASSERT_EQ(write_file(m.path("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"), UUID), 36);
  ASSERT_EQ(write_file(m.path("devices/vfio_ap/matrix/" + UUID + "/ap_config"), "0x04,0x08,0x08"), 14);
  std::string error;
  qemu::GuestOptions opts{.unplug_on_request = unplug, .devices = {"vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/" + UUID}};
  ASSERT_TRUE(m.server().mutate([&] { return m.sys().guests().start("vm", opts, error); })) << error;
}

class RemoveWhileOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    MDEVSIM_REQUIRE_MOUNT();
  }
};

TEST_F(RemoveWhileOpen, BlocksUntilTheGuestStops) {
  Mounted m;
  setup(m, false);
  std::string dir = m.path("devices/vfio_ap/matrix/" + UUID);
  auto writer = std::async(std::launch::async, [&] { return mdevsim::testing::write_file(dir + "/remove", "1"); });
  ASSERT_EQ(writer.wait_for(500ms), std::future_status::timeout) << "remove returned while the guest runs";
  // Only the IOMMU group is left while the kernel waits for the release.
  EXPECT_EQ(ls(dir), "iommu_group");
  EXPECT_EQ(ls(m.path("bus/mdev/devices")), "");
  EXPECT_EQ(last_log(m), "vfio_ap_mdev " + UUID + ": Relaying device request to user (#0)");
  {
    std::shared_lock g(m.sys().lock());
    auto& guest = *m.sys().guests().find("vm");
    EXPECT_TRUE(guest.kvm.crycb.apm.none() && guest.kvm.crycb.aqm.none() && guest.kvm.crycb.adm.none()) << "the guest keeps AP resources";
    EXPECT_EQ(guest.ap->req_count, 1u);
  }
  std::string error;
  ASSERT_TRUE(m.server().mutate([&] { return m.sys().guests().stop("vm", error); }));
  ASSERT_EQ(writer.wait_for(5s), std::future_status::ready) << "remove still blocked after the guest stopped";
  EXPECT_EQ(writer.get(), 1);
  EXPECT_EQ(ls(m.path("devices/vfio_ap/matrix")), "driver features mdev_supported_types subsystem uevent");
  EXPECT_EQ(ls(m.path("kernel/iommu_groups")), "");
  EXPECT_EQ(last_log(m), "vfio_ap_mdev " + UUID + ": Removing from iommu group 0");
  int err = 0;
  EXPECT_EQ(mdevsim::testing::read_file(m.path("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/available_instances"), err),
            "65536\n");
}

TEST_F(RemoveWhileOpen, QemuThatUnplugsOnRequestReleasesAtOnce) {
  Mounted m;
  setup(m, true);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(mdevsim::testing::write_file(m.path("devices/vfio_ap/matrix/" + UUID + "/remove"), "1"), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  std::shared_lock g(m.sys().lock());
  auto& guest = *m.sys().guests().find("vm");
  EXPECT_FALSE(guest.ap) << "QEMU kept its vfio-ap device";
  EXPECT_TRUE(m.sys().matrix_dev().mdevs().empty());
}

}  // namespace
