// `mdevsim guest start`'s options as the control request carries them:
// QEMU -device words in the order given, mount-point paths as /sys, and a
// refusal for words the one-line request cannot carry.
#include "cli/guest_text.h"

#include <gtest/gtest.h>

namespace {

using mdevsim::GuestDeviceOption;

TEST(GuestStartRequest, DevicesInOrderAsQemuWords) {
  const std::string U = "7e270a25-e163-4922-af60-757fc8ed48c6";
  std::string req, error;
  ASSERT_TRUE(mdevsim::guest_start_request(
      "vm1",
      {{GuestDeviceOption::Device, "virtio-net-ccw"},
       {GuestDeviceOption::Ccw, U + ",devno=fe.0.1234"},
       {GuestDeviceOption::Mdev, "62177883-f1bb-47f0-914d-32a22e3a8804"},
       {GuestDeviceOption::Ccw, "/mnt/s/devices/css0/0.0.0313/" + U},
       {GuestDeviceOption::Device, "vfio-ap,sysfsdev=/mnt/s/devices/vfio_ap/matrix/x"},
       {GuestDeviceOption::Mdev, "/mnt/sys/devices/vfio_ap/matrix/y"}},
      true, true, "/mnt/s", req, error))
      << error;
  EXPECT_EQ(req, "guest start vm1 virtio-net-ccw vfio-ccw,devno=fe.0.1234,sysfsdev=/sys/bus/mdev/devices/" + U +
                     " vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/62177883-f1bb-47f0-914d-32a22e3a8804"
                     " vfio-ccw,sysfsdev=/sys/devices/css0/0.0.0313/" + U +
                     " vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/x"
                     " vfio-ap,sysfsdev=/mnt/sys/devices/vfio_ap/matrix/y ap=off unplug-on-request");
  // Round trip through the server's side.
  qemu::GuestOptions opts = mdevsim::guest_start_args({"11111111-2222-3333-4444-555555555555", "virtio-rng-ccw", "ap=off"});
  EXPECT_FALSE(opts.ap_facility);
  EXPECT_EQ(opts.devices, (std::vector<std::string>{
                              "vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/11111111-2222-3333-4444-555555555555",
                              "virtio-rng-ccw"}));
}

TEST(GuestStartRequest, OneLineOfWords) {
  std::string req, error;
  EXPECT_FALSE(mdevsim::guest_start_request("vm1", {{GuestDeviceOption::Device, "virtio-net-ccw,id=a b"}}, false,
                                            false, "/sys", req, error));
  EXPECT_EQ(error, "\"virtio-net-ccw,id=a b\": names and device arguments are single words");
  EXPECT_FALSE(mdevsim::guest_start_request("vm 1", {}, false, false, "/sys", req, error));
  EXPECT_FALSE(mdevsim::guest_start_request("vm1", {{GuestDeviceOption::Ccw, ""}}, false, false, "/sys", req, error));
  EXPECT_FALSE(mdevsim::guest_start_request("vm1", {{GuestDeviceOption::Mdev, "a\nb"}}, false, false, "/sys", req, error));
}

}  // namespace
