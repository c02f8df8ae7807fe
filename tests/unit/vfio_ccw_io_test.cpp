// vfio_ccw's device file as QEMU uses it, on the default host's DASD in a
// guest: the regions' sizes, offsets and errnos, the FSM's answers in each
// state, HALT and CLEAR through the async region, the CRW region after a
// channel path is configured off, and blocks written through the guest
// landing in the DASD's image file at their Linux block.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "base/big_endian.h"
#include "ccw/device_models.h"
#include "cli/system.h"
#include "guest/dasd_eckd.h"

namespace {

using namespace ccw;

const std::string kUuid = "7e270a25-e163-4922-af60-757fc8ed48c6";

struct VfioCcwIo : ::testing::Test {
  std::unique_ptr<mdevsim::System> sys;
  qemu::Guest* g = nullptr;
  VfioCcwPrivate* p = nullptr;

  void boot(ccw::DeviceModels devices = {}) {
    auto host = mdevsim::default_host();
    sys = std::make_unique<mdevsim::System>(std::move(host.ap), std::move(host.css), std::move(devices));
    write("bus/css/devices/0.0.0313/driver/unbind", "0.0.0313");
    write("bus/css/drivers/vfio_ccw/bind", "0.0.0313");
    write("bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create", kUuid);
    p = sys->vfio_ccw().private_of(*sys->mdev_core().find(kUuid));
  }
  void start() {
    std::string error;
    ASSERT_TRUE(sys->guests().start("vm", {.devices = {"vfio-ccw,devno=fe.0.1234,sysfsdev=/sys/bus/mdev/devices/" + kUuid}},
                                    error))
        << error;
    g = sys->guests().find("vm");
  }
  void write(const std::string& path, const std::string& value) {
    ASSERT_TRUE(sys->tree().write(path, value).has_value()) << path;
  }
  // The I/O region as QEMU writes it for a START of `ccws` at 0x1000.
  std::array<uint8_t, IO_REGION_SIZE> start_request(std::span<const Ccw1> ccws, bool transport = false) {
    for (size_t i = 0; i < ccws.size(); ++i) g->kvm.memory.write(0x1000 + 8 * i, encode(ccws[i]));
    Orb orb;
    orb.fmt = orb.c64 = true;
    orb.lpm = 0x80;
    orb.cpa = 0x1000;
    orb.b = transport;
    std::array<uint8_t, IO_REGION_SIZE> r{};
    auto o = encode(orb);
    std::copy(o.begin(), o.end(), r.begin());
    Scsw s;
    s.ctrl = SCSW_FCTL_START;
    auto sw = encode(s);
    std::copy(sw.begin(), sw.end(), r.begin() + IO_REGION_SCSW);
    return r;
  }
  int err(const base::Result<size_t>& r) { return r ? 0 : r.error().code; }
  MachineSubchannel& sch_hw() { return *sys->css().subchannel("0.0.0313")->hw; }
  static constexpr Ccw1 kSenseId{CCW_CMD_SENSE_ID, CCW_FLAG_SLI, 40, 0x2000};
};

TEST_F(VfioCcwIo, RegionsAndIrqsAsTheUapiDefinesThem) {
  boot();
  EXPECT_EQ(sys->vfio_ccw().get_info_num_regions(*p), 1u);  // before open: the I/O region only
  EXPECT_EQ(sys->vfio_ccw().get_region_info(*p, 1).error().code, EINVAL);
  start();
  EXPECT_EQ(sys->vfio_ccw().get_info_num_regions(*p), 4u);
  auto io = sys->vfio_ccw().get_region_info(*p, 0);
  EXPECT_EQ(io->offset, 0u);
  EXPECT_EQ(io->size, 124u);
  EXPECT_EQ(io->flags, 3u);
  const uint64_t sizes[] = {8, 52, 8}, flags[] = {11, 9, 9};
  for (unsigned i = 1; i <= 3; ++i) {
    auto r = sys->vfio_ccw().get_region_info(*p, i);
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->offset, uint64_t{i} << 10);
    EXPECT_EQ(r->size, sizes[i - 1]);
    EXPECT_EQ(r->flags, flags[i - 1]);
    EXPECT_EQ(r->cap_type, 2u);
    EXPECT_EQ(r->cap_subtype, i);
  }
  EXPECT_EQ(sys->vfio_ccw().get_region_info(*p, 4).error().code, EINVAL);
  for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(sys->vfio_ccw().get_irq_info(i)->count, 1u);
  EXPECT_EQ(sys->vfio_ccw().get_irq_info(3).error().code, EINVAL);
  EXPECT_EQ(sys->vfio_ccw().set_irqs(*p, 0, false, VfioCcwDriver::IrqData::None, 0).error().code, EINVAL);
  // Out of a region, or into the read-only ones.
  std::array<uint8_t, 8> eight{};
  EXPECT_EQ(err(sys->vfio_ccw().read(*p, 120, eight)), EINVAL);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0x800, eight)), EINVAL);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0xc00, eight)), EINVAL);
  EXPECT_EQ(err(sys->vfio_ccw().read(*p, 0x1000, eight)), EINVAL);
  std::array<uint8_t, 52> schib{};
  ASSERT_EQ(err(sys->vfio_ccw().read(*p, 0x800, schib)), 0);
  EXPECT_EQ(decode_schib(schib).pmcw.dev, 0x2b09);  // the host's device
  EXPECT_TRUE(decode_schib(schib).pmcw.ena);
}

TEST_F(VfioCcwIo, TheFsmAnswersForEachState) {
  boot();
  // Not open (STANDBY): -EIO and the FSM's complaint.
  auto req = std::array<uint8_t, IO_REGION_SIZE>{};
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0, req)), EIO);
  EXPECT_EQ(sys->klog().lines().back().text, "vfio-ccw: FSM: I/O request from state:1");
  start();
  // Transport mode, and HALT through the I/O region: -EOPNOTSUPP.
  req = start_request(std::span(&kSenseId, 1), true);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0, req)), EOPNOTSUPP);
  req = start_request(std::span(&kSenseId, 1));
  base::put_be16(&req[IO_REGION_SCSW + 2], SCSW_FCTL_HALT);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0, req)), EOPNOTSUPP);
  EXPECT_EQ(p->state, VfioCcwPrivate::State::Idle);
  // A lost interrupt leaves the program pending: the next START is -EBUSY,
  // HALT through the async region ends it and the state is IDLE again.
  sch_hw().faults.interrupt = MachineSubchannel::InterruptFault::Lose;
  req = start_request(std::span(&kSenseId, 1));
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0, req)), 0);
  EXPECT_EQ(p->state, VfioCcwPrivate::State::CpPending);
  EXPECT_GT(p->cp->pinned_pages(), 0u);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0, req)), EBUSY);
  sch_hw().faults.interrupt = MachineSubchannel::InterruptFault::None;
  std::array<uint8_t, 8> cmd{};
  base::put_be32(&cmd[0], VFIO_CCW_ASYNC_CMD_HSCH);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0x400, cmd)), 0);
  EXPECT_EQ(p->state, VfioCcwPrivate::State::Idle);
  EXPECT_EQ(p->cp->pinned_pages(), 0u);  // released at completion
  // An unknown async command: -EINVAL.
  base::put_be32(&cmd[0], 7);
  EXPECT_EQ(err(sys->vfio_ccw().write(*p, 0x400, cmd)), EINVAL);
  // RESET is CLOSE and OPEN.
  EXPECT_TRUE(sys->vfio_ccw().reset(*p).has_value());
  EXPECT_EQ(p->state, VfioCcwPrivate::State::Idle);
}

TEST_F(VfioCcwIo, AChannelPathConfiguredOffQueuesACrw) {
  boot();
  start();
  write("devices/css0/chp0.2a/configure", "0");
  std::array<uint8_t, 8> crw{};
  ASSERT_EQ(err(sys->vfio_ccw().read(*p, 0xc00, crw)), 0);
  // QEMU's CRW handler read it already for the guest: the region is empty.
  EXPECT_EQ(base::get_be32(&crw[0]), 0u);
  uint32_t word = 0;
  EXPECT_EQ(sys->guests().stcrw(*g, word), 0u);
  EXPECT_EQ(word, 0x0406002au);  // channel path, permanent error, CHPID 2a
  EXPECT_EQ(sys->guests().stcrw(*g, word), 1u);
  write("devices/css0/chp0.2a/configure", "1");
  EXPECT_EQ(sys->guests().stcrw(*g, word), 0u);
  EXPECT_EQ(word, 0x0402002au);  // initialized
}

TEST_F(VfioCcwIo, BlocksWrittenThroughTheGuestAreInTheImage) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("vfio_ccw_io_test.{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string image = (dir / "2b09.img").string();
  DeviceConfig dev{0x2b09, 0x3990, 0xe9, 0x3390, 0x0e, 30, image};
  std::string error;
  auto model = make_device_model(dev, error);
  ASSERT_TRUE(model.has_value()) << error;
  ccw::DeviceModels devices;
  devices.emplace(BusId{0, 0x313}, std::move(*model));
  boot(std::move(devices));
  start();
  guest::CcwIo io(sys->guests(), *g, g->ccw[0]);
  guest::DasdGeometry geo;
  guest::DasdEckd dasd(io, geo);
  std::vector<std::string> dmesg;
  ASSERT_TRUE(dasd.set_online({}, dmesg, error)) << error;
  EXPECT_EQ(dmesg[2], "dasd-eckd 0.0.1234: New DASD 3390/0E (CU 3990/01) with 30 cylinders, 15 heads, 224 sectors");
  // A pattern over 300 blocks (more than one request's 256) from block 24.
  std::vector<uint8_t> pattern(300 * 4096);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>((i * 131) >> 7);
  for (unsigned b = 0; b < 300; ++b) {
    std::array<uint8_t, 4096> block;
    std::copy_n(pattern.begin() + b * 4096, 4096, block.begin());
    ASSERT_TRUE(dasd.write_block(24 + b, block)) << b;
  }
  // Read back in 1 MiB requests (segments joined by a TIC) ...
  std::vector<uint8_t> back(256 * 4096);
  ASSERT_TRUE(dasd.read_blocks(24, 256));
  ASSERT_TRUE(g->kvm.memory.read(guest::DATA_AREA, back));
  EXPECT_TRUE(std::equal(back.begin(), back.end(), pattern.begin()));
  EXPECT_EQ(sch_hw().last_program().ccws, 2u + 256 + 2);  // DE, LR, reads, TIC, LR
  // ... and in the image file, where block b is at b * 4096.
  int fd = ::open(image.c_str(), O_RDONLY);
  std::vector<uint8_t> file(pattern.size());
  ASSERT_EQ(::pread(fd, file.data(), file.size(), 24 * 4096), static_cast<ssize_t>(file.size()));
  ::close(fd);
  EXPECT_EQ(file, pattern);
  std::filesystem::remove_all(dir);
}

}  // namespace
