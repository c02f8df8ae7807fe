// The 3390 model one command at a time, as dasd-eckd's chains reach it:
// the analysis reads the counts of a fresh CDL volume, blocks written with
// DEFINE EXTENT and LOCATE RECORD land in the image at the Linux block's
// offset, and bad extents, searches and commands end in the sense Linux
// recovers from.
#include "ccw/eckd_dasd.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <vector>

namespace {

using namespace ccw;
using namespace ccw::eckd;

using Bytes = std::vector<uint8_t>;

std::string hex(std::span<const uint8_t> b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

Bytes from_hex(std::string_view h) {
  Bytes b;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    if (h[i] == ' ') {
      --i;
      continue;
    }
    b.push_back(static_cast<uint8_t>(std::stoul(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return b;
}

Bytes first2(const std::array<uint8_t, 32>& s) { return {s[0], s[1]}; }

struct Dasd : ::testing::Test {
  std::unique_ptr<EckdDasd> dev;
  void SetUp() override { dev = make(""); }
  static std::unique_ptr<EckdDasd> make(const std::string& image, unsigned cylinders = 10017) {
    std::string error;
    Geometry g;
    g.cylinders = cylinders;
    auto v = CkdVolume::open(g, 0x2b09, image, error);
    EXPECT_TRUE(v.has_value()) << error;
    return std::make_unique<EckdDasd>(std::move(*v), 0x2b09);
  }
  // A command with its output bytes, or an input buffer of `count`.
  CommandEnd out(uint8_t cmd, std::string_view h) {
    Bytes b = from_hex(h);
    return dev->command(cmd, b);
  }
  Bytes in(uint8_t cmd, size_t count, CommandEnd* end = nullptr) {
    Bytes b(count);
    CommandEnd e = dev->command(cmd, b);
    if (end) *end = e;
    b.resize(std::min(count, e.length));
    return b;
  }
  static constexpr uint8_t OK = DEV_STAT_CHN_END | DEV_STAT_DEV_END;
  static constexpr uint8_t UC = OK | DEV_STAT_UNIT_CHECK;
};

TEST_F(Dasd, IdentifiesItself) {
  dev->start(0x80);
  EXPECT_EQ(hex(in(CCW_CMD_SENSE_ID, 40)), "ff3990e933900e0040fa010041270004423e0060");
  auto rdc = in(CMD_RDC, 64);
  EXPECT_EQ(hex(std::span(rdc).first(16)), "3990e933900e500010102032" "2721" "000f");
  auto rcd = in(CMD_RCD, 256);
  ASSERT_EQ(rcd.size(), 256u);
  EXPECT_EQ(rcd[0] & 0xc0, 0xc0);  // a NED
  EXPECT_EQ(rcd[1], 0x01);         // of the device
  EXPECT_EQ(hex(std::span(rcd).subspan(4, 6)), "f0f0f3f3f9f0");  // "003390"
  EXPECT_EQ(rcd[224], 0x80);       // the GNEQ
  EXPECT_EQ(rcd[230], 0x1e);
}

TEST_F(Dasd, AnalysisReadsTheCountsOfACdlVolume) {
  // dasd_eckd_analysis_ccw(): DE tracks 0-1, LR R0 x4 on track 0, LR R0 x1 on track 1.
  dev->start(0x80);
  EXPECT_EQ(out(CMD_DEFINE_EXTENT, "40c40000000000000000000000000001").dstat, OK);
  EXPECT_EQ(out(CMD_LOCATE_RECORD, "06000004000000000000000000000000").dstat, OK);
  std::vector<std::string> counts;
  for (int i = 0; i < 4; ++i) counts.push_back(hex(in(CMD_READ_COUNT, 8)));
  EXPECT_EQ(out(CMD_LOCATE_RECORD, "06000001000000010000000100000000").dstat, OK);
  counts.push_back(hex(in(CMD_READ_COUNT, 8)));
  EXPECT_EQ(counts, (std::vector<std::string>{"0000000001040018", "0000000002040090", "0000000003040050",
                                              "0000000004001000", "00000001012c0060"}));
}

TEST_F(Dasd, ReadsTheVol1LabelAsDasdEckdDoes) {
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "40c00000000000000000000000000000");
  out(CMD_LOCATE_RECORD, "06800001000000000000000003" "0b0054");
  auto vol1 = in(CMD_READ_KD | CMD_MT, 84);
  EXPECT_EQ(hex(std::span(vol1).first(14)), "e5d6d3f1e5d6d3f1f0e7f2c2f0f9");  // VOL1VOL1 0X2B09
}

TEST_F(Dasd, BlocksWrittenLandAtTheirLinuxBlockInTheImage) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("eckd_dasd_test.{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string image = (dir / "dasd.img").string();
  dev = make(image, 10);
  EXPECT_EQ(std::filesystem::file_size(image), 10u * 15 * 12 * 4096);
  // Blocks 24 and 25: track 2, records 1 and 2 (write: file mask 80).
  dev->start(0x40);
  EXPECT_EQ(out(CMD_DEFINE_EXTENT, "80c00000000000000000000200000002").dstat, OK);
  EXPECT_EQ(out(CMD_LOCATE_RECORD, "01800002000000020000000201" "00" "1000").dstat, OK);
  Bytes pattern(2 * 4096);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 3);
  EXPECT_EQ(dev->command(CMD_WRITE | CMD_MT, std::span(pattern).first(4096)).length, 4096u);
  EXPECT_EQ(dev->command(CMD_WRITE | CMD_MT, std::span(pattern).last(4096)).dstat, OK);
  int fd = ::open(image.c_str(), O_RDONLY);
  Bytes back(pattern.size());
  ASSERT_EQ(::pread(fd, back.data(), back.size(), 24 * 4096), static_cast<ssize_t>(back.size()));
  ::close(fd);
  EXPECT_EQ(back, pattern);
  // A reopened image is the same volume, not a new one.
  dev = make(image, 10);
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "40c00000000000000000000200000002");
  out(CMD_LOCATE_RECORD, "06800001000000020000000202" "00" "1000");
  EXPECT_EQ(in(CMD_READ | CMD_MT, 4096), Bytes(pattern.begin() + 4096, pattern.end()));
  // An image of another size is refused, naming both sizes.
  std::string error;
  Geometry g;
  EXPECT_FALSE(CkdVolume::open(g, 0x2b09, image, error).has_value());
  EXPECT_NE(error.find("bytes, but a volume of 10017 cylinders and 15 heads takes"), std::string::npos) << error;
  std::filesystem::remove_all(dir);
}

TEST_F(Dasd, ExtentsAndFileMasksAreEnforced) {
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "40c00000000000000000000200000002");  // read only, track 2
  EXPECT_EQ(out(CMD_LOCATE_RECORD, "01800001000000030000000301001000").dstat, UC);
  auto s = dev->sense();
  EXPECT_EQ(s[0], SNS0_CMD_REJECT);
  EXPECT_EQ(s[1], SNS1_FILE_PROTECTED);
  EXPECT_EQ(s[27], 0x80);  // 24-byte compatible
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "40c00000000000000000000200000002");
  out(CMD_LOCATE_RECORD, "01800001000000020000000201001000");
  Bytes block(4096);
  EXPECT_EQ(dev->command(CMD_WRITE, block).dstat, UC);  // read-only mask
  EXPECT_EQ(dev->sense()[1], SNS1_FILE_PROTECTED);
  // A device that inhibits writes says so.
  dev->write_inhibited = true;
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "80c00000000000000000000200000002");
  out(CMD_LOCATE_RECORD, "01800001000000020000000201001000");
  EXPECT_EQ(dev->command(CMD_WRITE, block).dstat, UC);
  EXPECT_EQ(hex(first2(dev->sense())), "8002");
}

TEST_F(Dasd, MissingRecordsAndBadCommandsHaveSense) {
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "40c00000000000000000000000000001");
  EXPECT_EQ(out(CMD_LOCATE_RECORD, "060000010000000000000000" "0d" "000000").dstat, UC);  // R13
  EXPECT_EQ(dev->sense()[1], SNS1_NO_REC_FOUND);
  dev->start(0x80);
  EXPECT_EQ(out(0x54, "").dstat, UC);  // SENSE SUBSYSTEM STATUS: not this device
  // The sense waits for BASIC SENSE, which starts a program of its own.
  dev->start(0x80);
  auto sense = in(CCW_CMD_BASIC_SENSE, 32);
  EXPECT_EQ(sense[0], SNS0_CMD_REJECT);
  EXPECT_EQ(sense[7], MSG_INVALID_COMMAND);
  // An unknown PSF suborder is an invalid parameter (suborder_not_supported()).
  dev->start(0x80);
  EXPECT_EQ(out(CMD_PSF, "180000000000" "99" "0000000000").dstat, UC);
  EXPECT_EQ(dev->sense()[7], MSG_INVALID_PARAMETER);
  // Known ones prepare what RSSD returns.
  dev->start(0x80);
  EXPECT_EQ(out(CMD_PSF, "180000000000" "0e" "0000000000").dstat, OK);
  CommandEnd e;
  EXPECT_EQ(in(CMD_RSSD, 512, &e), Bytes(512));
  EXPECT_EQ(e.length, 512u);
  // LOCATE RECORD needs DEFINE EXTENT first.
  dev->start(0x80);
  EXPECT_EQ(out(CMD_LOCATE_RECORD, "06000001000000000000000000000000").dstat, UC);
  EXPECT_EQ(dev->sense()[7], MSG_INVALID_SEQUENCE);
}

TEST_F(Dasd, PathGroups) {
  dev->start(0x40);
  EXPECT_EQ(in(CMD_SNID, 12), Bytes(12));
  EXPECT_EQ(out(CMD_SPID, "80" "0123456789abcdef012345").dstat, OK);
  EXPECT_EQ(hex(in(CMD_SNID, 12)), "c80123456789abcdef012345");
  dev->start(0x80);
  EXPECT_EQ(in(CMD_SNID, 12), Bytes(12));  // another path: not grouped yet
  dev->start(0x40);
  out(CMD_SPID, "a0" "0123456789abcdef012345");  // disband
  EXPECT_EQ(in(CMD_SNID, 12), Bytes(12));
}

TEST_F(Dasd, SearchIdEqualLoopsAndIplReadsRecordOne) {
  dev->start(0x80);
  EXPECT_EQ(out(CMD_SEEK, "000000000000").dstat, OK);
  EXPECT_EQ(out(CMD_SEARCH_ID_EQUAL, "0000000003").dstat, OK);  // R1 passes
  EXPECT_EQ(out(CMD_SEARCH_ID_EQUAL, "0000000003").dstat, OK);  // R2
  EXPECT_EQ(out(CMD_SEARCH_ID_EQUAL, "0000000003").dstat, OK | DEV_STAT_STAT_MOD);
  auto vol1 = in(CMD_READ, 80);
  EXPECT_EQ(hex(std::span(vol1).first(8)), "e5d6d3f1f0e7f2c2");  // VOL1's data
  dev->start(0x80);
  out(CMD_SEEK, "000000000000");
  CommandEnd e;
  for (int i = 0; i < 40 && !(e.dstat & DEV_STAT_UNIT_CHECK); ++i) e = out(CMD_SEARCH_ID_EQUAL, "0000000063");
  EXPECT_EQ(e.dstat, UC);
  EXPECT_EQ(dev->sense()[1], SNS1_NO_REC_FOUND);
  dev->start(0x80);
  EXPECT_EQ(hex(in(CCW_CMD_READ_IPL, 24)), "000a00000000000f030000000000000100000000" "00000000");
}

TEST_F(Dasd, FormattingATrackAndBack) {
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "00c00000000000000000000500000005");
  out(CMD_LOCATE_RECORD, "03000003000000050000000500" "00" "0200");
  for (unsigned r = 1; r <= 3; ++r) {
    Bytes ckd = from_hex(fmt::format("00000005{:02x}000200", r));
    ckd.resize(8 + 512, static_cast<uint8_t>(r));
    EXPECT_EQ(dev->command(CMD_WRITE_CKD, ckd).dstat, OK);
  }
  EXPECT_EQ(dev->volume().record(5, 3), (RecordFormat{0, 512}));
  EXPECT_FALSE(dev->volume().record(5, 4));
  Bytes data(512);
  ASSERT_TRUE(dev->volume().read(5, 2, data));
  EXPECT_EQ(data, Bytes(512, 2));
  // 12 records of 4 KiB fit, a 13th does not.
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "00c00000000000000000000500000005");
  out(CMD_LOCATE_RECORD, "03000010000000050000000500" "00" "1000");
  CommandEnd e;
  for (unsigned r = 1; r <= 13; ++r) {
    Bytes ckd = from_hex(fmt::format("00000005{:02x}001000", r));
    ckd.resize(8 + 4096);
    e = dev->command(CMD_WRITE_CKD, ckd);
    if (r <= 12) {
      EXPECT_EQ(e.dstat, OK) << r;
    }
  }
  EXPECT_EQ(e.dstat, UC);
  EXPECT_EQ(standard_track(dev->volume().geometry(), 5).size(), 13u);
  EXPECT_EQ(dev->volume().record(5, 12), (RecordFormat{0, 4096}));
}

TEST_F(Dasd, MediaErrorsAreDataChecks) {
  dev->media_errors.insert(2);
  dev->start(0x80);
  out(CMD_DEFINE_EXTENT, "40c00000000000000000000200000002");
  out(CMD_LOCATE_RECORD, "06800001000000020000000201001000");
  CommandEnd e;
  in(CMD_READ, 4096, &e);
  EXPECT_EQ(e.dstat, UC);
  EXPECT_EQ(hex(first2(dev->sense())), "0880");
}

}  // namespace

namespace {

// Found by the channel-program fuzzer: READ IPL on a track 0 formatted
// with R0 alone finds no record 1 (it read an empty one before).
TEST(DasdFuzzFinding, ReadIplWithoutRecordOne) {
  std::string error;
  auto v = CkdVolume::open(Geometry{}, 0x2b09, "", error);
  ASSERT_TRUE(v.has_value()) << error;
  EckdDasd dev(std::move(*v), 0x2b09);
  dev.start(0x80);
  Bytes de = from_hex("c0c00000000000000000000000000000"), lr = from_hex("43000001000000000000000000000000");
  Bytes r0 = from_hex("0000000000000008" "0000000000000000");
  ASSERT_EQ(dev.command(CMD_DEFINE_EXTENT, de).dstat, DEV_STAT_CHN_END | DEV_STAT_DEV_END);
  ASSERT_EQ(dev.command(CMD_LOCATE_RECORD, lr).dstat, DEV_STAT_CHN_END | DEV_STAT_DEV_END);
  ASSERT_EQ(dev.command(CMD_WRITE_RECORD_ZERO, r0).dstat, DEV_STAT_CHN_END | DEV_STAT_DEV_END);
  EXPECT_FALSE(dev.volume().record(0, 1));
  dev.start(0x80);
  Bytes ipl(24);
  EXPECT_EQ(dev.command(CCW_CMD_READ_IPL, ipl).dstat, DEV_STAT_CHN_END | DEV_STAT_DEV_END | DEV_STAT_UNIT_CHECK);
  EXPECT_EQ(dev.sense()[1], SNS1_NO_REC_FOUND);
}

}  // namespace
