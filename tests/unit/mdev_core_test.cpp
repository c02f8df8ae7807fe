// The generic mdev core with a parent of its own: instance accounting
// (EUSERS), UUID rules, the device layout, lowest-free IOMMU groups, and
// the VFIO open: one user at a time, only with a driver.
#include <gtest/gtest.h>

#include "mdev/mdev_core.h"

namespace {

struct CountingDriver : mdev::MdevDriverOps {
  int probed = 0, removed = 0, opened = 0, closed = 0;
  int open_error = 0;  // what open_device() answers
  base::Result<void> probe(mdev::MdevDevice&) override {
    ++probed;
    return base::ok();
  }
  void remove_attrs(mdev::MdevDevice&) override {}
  base::Result<void> remove(mdev::MdevDevice&) override {
    ++removed;
    return base::ok();
  }
  base::Result<void> open_device(mdev::MdevDevice&) override {
    if (open_error) return base::Errno{open_error};
    ++opened;
    return base::ok();
  }
  void close_device(mdev::MdevDevice&) override { ++closed; }
};

struct Fixture {
  sysfs::Tree tree;
  sysfs::UeventLog uevents;
  base::KernelLog klog;
  mdev::MdevCore core{tree, uevents, klog};
  CountingDriver drv;
  mdev::MdevType* type;
  Fixture() {
    auto& parent = tree.root().get_or_add_dir("devices").add_dir("parent");
    type = &core.register_parent(parent, "/devices/parent", "drv", "kind", "Some Kind", "vfio-x", 2, "vfio_ap_mdev",
                                 "mod", drv, "matrix", {"DRIVER=drv"});
  }
  long write(const std::string& path, const std::string& data) {
    auto r = tree.write(path, data);
    return r ? static_cast<long>(*r) : -r.error().code;
  }
};

const std::string CREATE = "devices/parent/mdev_supported_types/drv-kind/create";
const std::string AVAIL = "devices/parent/mdev_supported_types/drv-kind/available_instances";

TEST(MdevCore, InstancesAreCountedAtCreateAndRelease) {
  Fixture f;
  EXPECT_EQ(*f.tree.read(AVAIL), "2\n");
  EXPECT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000001"), 36);
  EXPECT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000002\n"), 37);
  EXPECT_EQ(*f.tree.read(AVAIL), "0\n");
  // EEXIST is checked before EUSERS.
  EXPECT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000001"), -EEXIST);
  EXPECT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000003"), -EUSERS);
  EXPECT_EQ(f.write("devices/parent/00000000-0000-0000-0000-000000000001/remove", "1"), 1);
  EXPECT_EQ(*f.tree.read(AVAIL), "1\n");
  EXPECT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000003"), 36);
  EXPECT_EQ(f.drv.probed, 3);
  EXPECT_EQ(f.drv.removed, 1);
}

TEST(MdevCore, IommuGroupsAreTheLowestFree) {
  Fixture f;
  ASSERT_EQ(f.write(CREATE, "00000000-0000-0000-0000-00000000000a"), 36);
  ASSERT_EQ(f.write(CREATE, "00000000-0000-0000-0000-00000000000b"), 36);
  EXPECT_EQ(*f.tree.readlink("devices/parent/00000000-0000-0000-0000-00000000000b/iommu_group"),
            "../../../kernel/iommu_groups/1");
  ASSERT_EQ(f.write("devices/parent/00000000-0000-0000-0000-00000000000a/remove", "1"), 1);
  EXPECT_EQ(f.klog.lines().back().text, "vfio_ap_mdev 00000000-0000-0000-0000-00000000000a: Removing from iommu group 0");
  ASSERT_EQ(f.write(CREATE, "00000000-0000-0000-0000-00000000000c"), 36);
  EXPECT_EQ(*f.tree.readlink("devices/parent/00000000-0000-0000-0000-00000000000c/iommu_group"),
            "../../../kernel/iommu_groups/0");
  EXPECT_EQ(f.klog.lines().back().text, "vfio_ap_mdev 00000000-0000-0000-0000-00000000000c: Adding to iommu group 0");
  EXPECT_EQ(*f.tree.read("kernel/iommu_groups/0/name"), "vfio-noiommu\n");
  EXPECT_EQ(*f.tree.read("kernel/iommu_groups/0/type"), "unknown\n");
  EXPECT_EQ(*f.tree.read("kernel/iommu_groups/0/reserved_regions"), "");
  EXPECT_EQ(*f.tree.readlink("kernel/iommu_groups/0/devices/00000000-0000-0000-0000-00000000000c"),
            "../../../../devices/parent/00000000-0000-0000-0000-00000000000c");
}

TEST(MdevCore, RegistrationIsAnnounced) {
  Fixture f;
  EXPECT_EQ(f.klog.lines().back().text, "drv parent: MDEV: Registered");
  auto& ev = f.uevents.events().back();
  EXPECT_EQ(ev.text(), "ACTION=change\nDEVPATH=/devices/parent\nSUBSYSTEM=matrix\nMDEV_STATE=registered\nDRIVER=drv\nSEQNUM=1\n");
  EXPECT_EQ(*f.tree.readlink("class/mdev_bus/parent"), "../../devices/parent");
  EXPECT_EQ(*f.tree.readlink("module/mod/drivers/mdev:vfio_ap_mdev"), "../../../bus/mdev/drivers/vfio_ap_mdev");
  EXPECT_EQ(f.write("bus/mdev/drivers/vfio_ap_mdev/bind", "00000000-0000-0000-0000-000000000001"), -ENODEV);
}

TEST(MdevCore, UnbindLeavesADriverlessDevice) {
  Fixture f;
  const std::string dev = "devices/parent/00000000-0000-0000-0000-000000000001";
  ASSERT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000001"), 36);
  EXPECT_EQ(*f.tree.read(dev + "/uevent"), "DRIVER=vfio_ap_mdev\n");
  EXPECT_EQ(f.write("bus/mdev/drivers/vfio_ap_mdev/unbind", "00000000-0000-0000-0000-000000000001\n"), 37);
  EXPECT_EQ(*f.tree.read(dev + "/uevent"), "");
  EXPECT_EQ(f.tree.readlink(dev + "/driver").error(), base::Errno{ENOENT});
  EXPECT_EQ(f.tree.readlink(dev + "/iommu_group").error(), base::Errno{ENOENT});
  EXPECT_EQ(f.write("bus/mdev/drivers/vfio_ap_mdev/unbind", "00000000-0000-0000-0000-000000000001"), -ENODEV);
  EXPECT_EQ(f.write(dev + "/remove", "1"), 1);
  EXPECT_EQ(f.tree.list("devices/parent").value(), std::vector<std::string>{"mdev_supported_types"});
  EXPECT_EQ(f.drv.removed, 1);
}

TEST(MdevCore, OneVfioUserAtATime) {
  Fixture f;
  ASSERT_EQ(f.write(CREATE, "00000000-0000-0000-0000-000000000001"), 36);
  mdev::MdevDevice& dev = *f.core.find("00000000-0000-0000-0000-000000000001");
  kvm::Kvm a, b;
  unsigned signalled = 0;
  ASSERT_TRUE(f.core.open_device(dev, a, [&](unsigned) { ++signalled; }).has_value());
  EXPECT_EQ(dev.kvm, &a);
  EXPECT_EQ(f.core.open_device(dev, b, nullptr).error(), base::Errno{EBUSY});
  EXPECT_EQ(dev.kvm, &a) << "a refused open took the device";
  dev.signal_irq(0);
  EXPECT_EQ(signalled, 1u);
  f.core.close_device(dev);
  EXPECT_EQ(dev.kvm, nullptr);
  dev.signal_irq(0);
  EXPECT_EQ(signalled, 1u) << "a closed device still reaches its user";
  // The driver's refusal leaves the device closed.
  f.drv.open_error = EINVAL;
  EXPECT_EQ(f.core.open_device(dev, b, nullptr).error(), base::Errno{EINVAL});
  EXPECT_EQ(dev.kvm, nullptr);
  f.drv.open_error = 0;
  // Without its driver there is no VFIO device to open.
  ASSERT_EQ(f.write("bus/mdev/drivers/vfio_ap_mdev/unbind", "00000000-0000-0000-0000-000000000001"), 36);
  EXPECT_EQ(f.core.open_device(dev, b, nullptr).error(), base::Errno{ENODEV});
  EXPECT_EQ(f.drv.opened, 1);
  EXPECT_EQ(f.drv.closed, 1);
}

}  // namespace
