// The channel running command-mode channel programs against a scripted
// device: fetching CCWs of both formats, TICs, direct and indirect data,
// data and command chaining, SKIP, SLI and incorrect length, the status
// modifier, and the program checks that end a program.
#include "ccw/channel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace ccw;

constexpr uint8_t CE_DE = DEV_STAT_CHN_END | DEV_STAT_DEV_END;
constexpr uint8_t READ = 0x02, WRITE = 0x01, NOOP = CCW_CMD_NOOP, SEARCH_ID_EQ = 0x31, READ_DATA = 0x06;
constexpr uint64_t HIGH = 0x100000000;  // a second memory region above 4G

// Absolute storage in regions: low memory [0, 1M), 8K across the 16M line,
// 8K across the 2G line and 64K above 4G, so that the channel's 24- and
// 31-bit limits, not missing storage, make the checks there. Accesses are
// all or nothing inside one region; a region may be read-only.
class FakeMemory : public ChannelMemory {
 public:
  struct Region {
    uint64_t base;
    std::vector<uint8_t> bytes;
    bool read_only = false;
  };

  bool read(uint64_t addr, std::span<uint8_t> out) const override {
    const Region* r = region(addr, out.size());
    if (!r) return false;
    std::copy_n(r->bytes.begin() + (addr - r->base), out.size(), out.begin());
    return true;
  }
  bool write(uint64_t addr, std::span<const uint8_t> in) override {
    Region* r = const_cast<Region*>(region(addr, in.size()));
    if (!r || r->read_only) return false;
    std::copy(in.begin(), in.end(), r->bytes.begin() + (addr - r->base));
    return true;
  }

  // Writes `b` even into a read-only region.
  void put(uint64_t addr, std::span<const uint8_t> b) {
    Region* r = const_cast<Region*>(region(addr, b.size()));
    ASSERT_TRUE(r) << std::hex << addr;
    std::copy(b.begin(), b.end(), r->bytes.begin() + (addr - r->base));
  }
  void put(uint64_t addr, const std::string& s) {
    put(addr, std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  void ccw(uint64_t addr, uint8_t cmd, uint8_t flags, uint16_t count, uint32_t cda) {
    put(addr, encode(Ccw1{cmd, flags, count, cda}));
  }
  // A format-0 CCW: command, 24-bit address, flags, reserved, count.
  void ccw0(uint64_t addr, uint8_t cmd, uint32_t cda, uint8_t flags, uint16_t count) {
    const std::array<uint8_t, 8> b = {cmd,  uint8_t(cda >> 16),  uint8_t(cda >> 8), uint8_t(cda), flags,
                                      0xee, uint8_t(count >> 8), uint8_t(count)};
    put(addr, b);
  }
  void idaw1(uint64_t addr, uint32_t a) {
    put(addr, std::array<uint8_t, 4>{uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)});
  }
  void idaw2(uint64_t addr, uint64_t a) {
    std::array<uint8_t, 8> b;
    for (int i = 0; i < 8; ++i) b[i] = uint8_t(a >> (56 - 8 * i));
    put(addr, b);
  }
  std::string get(uint64_t addr, size_t n) const {
    std::string s(n, '\0');
    EXPECT_TRUE(read(addr, std::span(reinterpret_cast<uint8_t*>(s.data()), n)));
    return s;
  }

  std::vector<Region> regions = {{0, std::vector<uint8_t>(1 << 20, 0x5a)},
                                 {0xfff000, std::vector<uint8_t>(0x2000, 0x5a)},
                                 {0x7ffff000, std::vector<uint8_t>(0x2000, 0x5a)},
                                 {HIGH, std::vector<uint8_t>(1 << 16, 0x5a)}};

 private:
  const Region* region(uint64_t addr, size_t n) const {
    for (const Region& r : regions)
      if (addr >= r.base && addr - r.base <= r.bytes.size() && n <= r.bytes.size() - (addr - r.base)) return &r;
    return nullptr;
  }
};

// A device that records each command with the bytes it was offered (output)
// or the size of the buffer it got (input), and answers from a script:
// CE|DE and the buffer's size when the script is empty.
class FakeDevice : public DeviceModel {
 public:
  struct Answer {
    uint8_t dstat = CE_DE;
    size_t length = 0;
    std::string in;  // what an input command reads (at most the buffer)
  };
  struct Command {
    uint8_t cmd;
    std::string data;  // output: the bytes offered
    size_t size;       // the buffer's size
  };

  void start(uint8_t path) override { starts.push_back(path); }
  CommandEnd command(uint8_t cmd, std::span<uint8_t> data) override {
    commands.push_back({cmd, is_input_command(cmd) ? "" : std::string(data.begin(), data.end()), data.size()});
    if (script.empty()) return {CE_DE, data.size()};
    Answer a = script.front();
    script.pop_front();
    std::copy_n(a.in.begin(), std::min(a.in.size(), data.size()), data.begin());
    return {a.dstat, a.length};
  }
  std::array<uint8_t, 32> sense() override { return {}; }

  // Reads `s` with channel end and device end.
  void reads(const std::string& s, uint8_t dstat = CE_DE) { script.push_back({dstat, s.size(), s}); }
  void answers(uint8_t dstat, size_t length) { script.push_back({dstat, length, ""}); }
  std::vector<uint8_t> cmds() const {
    std::vector<uint8_t> v;
    for (const Command& c : commands) v.push_back(c.cmd);
    return v;
  }

  std::vector<uint8_t> starts;
  std::vector<Command> commands;
  std::deque<Answer> script;
};

class ChannelTest : public ::testing::Test {
 protected:
  ChannelEnd run(uint32_t cpa) {
    orb.cpa = cpa;
    return run_channel_program(orb, 0x80, mem, dev);
  }
  static ChannelEnd end(uint32_t cpa, uint16_t count, uint8_t dstat, uint8_t cstat, unsigned ccws) {
    return {cpa, count, dstat, cstat, ccws};
  }
  Orb orb{.fmt = true};
  FakeMemory mem;
  FakeDevice dev;
};

TEST_F(ChannelTest, ReadStoresTheDevicesBytes) {
  mem.ccw(0x100, READ, 0, 5, 0x1000);
  dev.reads("hello");
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
  EXPECT_EQ(mem.get(0x1000, 6), "hello\x5a");
  EXPECT_EQ(dev.starts, std::vector<uint8_t>{0x80});
  ASSERT_EQ(dev.commands.size(), 1u);
  EXPECT_EQ(dev.commands[0].size, 5u);
}

TEST_F(ChannelTest, WriteOffersTheStoredBytes) {
  mem.ccw(0x100, WRITE, 0, 4, 0x1000);
  mem.put(0x1000, "abcd");
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
  ASSERT_EQ(dev.commands.size(), 1u);
  EXPECT_EQ(dev.commands[0].cmd, WRITE);
  EXPECT_EQ(dev.commands[0].data, "abcd");
}

TEST_F(ChannelTest, CommandChainingRunsTheNextCcw) {
  mem.ccw(0x100, WRITE, CCW_FLAG_CC, 2, 0x1000);
  mem.ccw(0x108, READ, CCW_FLAG_CC, 3, 0x2000);
  mem.ccw(0x110, NOOP, 0, 0, 0);
  mem.put(0x1000, "wr");
  dev.answers(CE_DE, 2);
  dev.reads("abc");
  EXPECT_EQ(run(0x100), end(0x118, 0, CE_DE, 0, 3));
  EXPECT_EQ(dev.cmds(), (std::vector<uint8_t>{WRITE, READ, NOOP}));
  EXPECT_EQ(dev.commands[0].data, "wr");
  EXPECT_EQ(mem.get(0x2000, 3), "abc");
  // A format-1 count of zero moves nothing, and is no incorrect length.
  EXPECT_EQ(dev.commands[2].size, 0u);
}

TEST_F(ChannelTest, ShortReadIsIncorrectLengthAndStopsTheChain) {
  mem.ccw(0x100, READ, CCW_FLAG_CC, 8, 0x1000);
  mem.ccw(0x108, NOOP, 0, 0, 0);
  dev.reads("abc");
  EXPECT_EQ(run(0x100), end(0x108, 5, CE_DE, SCHN_STAT_INCORR_LEN, 1));
  EXPECT_EQ(mem.get(0x1000, 4), "abc\x5a");  // only what the device read
  EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{READ});
}

TEST_F(ChannelTest, SliSuppressesIncorrectLength) {
  mem.ccw(0x100, READ, CCW_FLAG_CC | CCW_FLAG_SLI, 8, 0x1000);
  mem.ccw(0x108, READ, CCW_FLAG_SLI, 8, 0x2000);
  dev.reads("abc");
  dev.reads("0123456789");  // more than the count: the rest is lost
  EXPECT_EQ(run(0x100), end(0x110, 0, CE_DE, 0, 2));
  EXPECT_EQ(mem.get(0x2000, 9), "01234567\x5a");
}

TEST_F(ChannelTest, LongRecordIsIncorrectLength) {
  mem.ccw(0x100, WRITE, CCW_FLAG_CC, 4, 0x1000);
  mem.ccw(0x108, NOOP, 0, 0, 0);
  dev.answers(CE_DE, 6);  // the device wanted more
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, SCHN_STAT_INCORR_LEN, 1));
  EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{WRITE});
}

TEST_F(ChannelTest, Format0Program) {
  orb.fmt = false;
  mem.ccw0(0x100, WRITE, 0x012345, CCW_FLAG_CC, 3);
  mem.ccw0(0x108, 0xf8, 0x000200, 0xff, 0xffff);  // a TIC: high nibble, flags, count ignored
  mem.ccw0(0x200, READ, 0x001000, CCW_FLAG_SLI, 16);
  mem.put(0x012345, "xyz");
  dev.answers(CE_DE, 3);
  dev.reads("data");
  EXPECT_EQ(run(0x100), end(0x208, 12, CE_DE, 0, 3));
  EXPECT_EQ(dev.cmds(), (std::vector<uint8_t>{WRITE, READ}));
  EXPECT_EQ(dev.commands[0].data, "xyz");
  EXPECT_EQ(mem.get(0x1000, 5), "data\x5a");
}

TEST_F(ChannelTest, Format0CountZeroIsAProgramCheck) {
  orb.fmt = false;
  mem.ccw0(0x100, NOOP, 0, CCW_FLAG_SLI, 0);
  EXPECT_EQ(run(0x100), end(0x108, 0, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_TRUE(dev.commands.empty());
  EXPECT_EQ(dev.starts.size(), 1u);
}

TEST_F(ChannelTest, Format0AddressesAre24Bit) {
  orb.fmt = false;
  mem.ccw0(0x01000000, NOOP, 0, 0, 1);
  EXPECT_EQ(run(0x01000000), end(0x01000008, 0, 0, SCHN_STAT_PROG_CHECK, 0));
  mem.ccw0(0x100, WRITE, 0xfffffe, 0, 4);  // data across 16M
  EXPECT_EQ(run(0x100), end(0x108, 4, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, TicForwardAndBack) {
  mem.ccw(0x100, WRITE, CCW_FLAG_CC, 1, 0x1000);
  mem.ccw(0x108, CCW_CMD_TIC, 0, 0, 0x200);
  mem.ccw(0x110, NOOP, 0, 0, 0);
  mem.ccw(0x200, READ, CCW_FLAG_CC, 1, 0x2000);
  mem.ccw(0x208, CCW_CMD_TIC, 0, 0, 0x110);
  EXPECT_EQ(run(0x100), end(0x118, 0, CE_DE, 0, 5));
  EXPECT_EQ(dev.cmds(), (std::vector<uint8_t>{WRITE, READ, NOOP}));
}

TEST_F(ChannelTest, TicMayComeFirst) {
  mem.ccw(0x100, CCW_CMD_TIC, 0, 0, 0x200);
  mem.ccw(0x200, NOOP, 0, 0, 0);
  EXPECT_EQ(run(0x100), end(0x208, 0, CE_DE, 0, 2));
}

TEST_F(ChannelTest, TicToTicIsAProgramCheck) {
  mem.ccw(0x100, NOOP, CCW_FLAG_CC, 0, 0);
  mem.ccw(0x108, CCW_CMD_TIC, 0, 0, 0x200);
  mem.ccw(0x200, CCW_CMD_TIC, 0, 0, 0x300);
  mem.ccw(0x300, NOOP, 0, 0, 0);
  // The NOOP ran; the program check is on the second TIC, with no device status.
  EXPECT_EQ(run(0x100), end(0x208, 0, 0, SCHN_STAT_PROG_CHECK, 3));
  EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{NOOP});
}

TEST_F(ChannelTest, Format1TicReservedBitsMustBeZero) {
  for (Ccw1 tic : {Ccw1{0x18, 0, 0, 0x200}, Ccw1{CCW_CMD_TIC, CCW_FLAG_CC, 0, 0x200}, Ccw1{CCW_CMD_TIC, 0, 8, 0x200}}) {
    mem.put(0x100, encode(tic));
    mem.ccw(0x200, NOOP, 0, 0, 0);
    EXPECT_EQ(run(0x100).cstat, SCHN_STAT_PROG_CHECK) << int(tic.cmd_code) << ' ' << int(tic.flags);
    EXPECT_EQ(run(0x100).cpa, 0x108u);
  }
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, MisalignedCcwIsAProgramCheck) {
  mem.ccw(0x100, NOOP, 0, 0, 0);
  EXPECT_EQ(run(0x104), end(0x10c, 0, 0, SCHN_STAT_PROG_CHECK, 0));
  mem.ccw(0x100, CCW_CMD_TIC, 0, 0, 0x204);
  EXPECT_EQ(run(0x100), end(0x20c, 0, 0, SCHN_STAT_PROG_CHECK, 1));
  // Format-1 CCW addresses are 31-bit.
  mem.ccw(0x80000100, NOOP, 0, 0, 0);
  EXPECT_EQ(run(0x80000100), end(0x80000108, 0, 0, SCHN_STAT_PROG_CHECK, 0));
  mem.ccw(0x100, CCW_CMD_TIC, 0, 0, 0x80000100);
  EXPECT_EQ(run(0x100), end(0x80000108, 0, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, InvalidCommandCodeIsAProgramCheck) {
  mem.ccw(0x100, WRITE, CCW_FLAG_CC, 1, 0x1000);
  mem.ccw(0x108, 0xf0, 0, 4, 0x1000);
  EXPECT_EQ(run(0x100), end(0x110, 4, 0, SCHN_STAT_PROG_CHECK, 2));
  EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{WRITE});
}

TEST_F(ChannelTest, Format1DirectDataIs31Bit) {
  mem.ccw(0x100, WRITE, 0, 4, 0x80000000);
  EXPECT_EQ(run(0x100), end(0x108, 4, 0, SCHN_STAT_PROG_CHECK, 1));
  mem.ccw(0x100, WRITE, 0, 4, 0x7ffffffe);  // runs past 2G
  EXPECT_EQ(run(0x100), end(0x108, 4, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_TRUE(dev.commands.empty());
  mem.ccw(0x100, WRITE, 0, 4, 0x7ffffffc);  // up to 2G - 1
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
}

TEST_F(ChannelTest, CountZeroWithDataChainingIsAProgramCheck) {
  mem.ccw(0x100, WRITE, CCW_FLAG_DC, 0, 0x1000);
  mem.ccw(0x108, WRITE, 0, 4, 0x1000);
  EXPECT_EQ(run(0x100), end(0x108, 0, 0, SCHN_STAT_PROG_CHECK, 1));
  mem.ccw(0x100, WRITE, CCW_FLAG_DC, 4, 0x1000);
  mem.ccw(0x108, WRITE, 0, 0, 0x1000);
  EXPECT_EQ(run(0x100), end(0x110, 0, 0, SCHN_STAT_PROG_CHECK, 2));
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, DataChainingGathersDirectAndIdawSegments) {
  orb.c64 = false;  // format-1 IDAWs, 2K blocks
  mem.ccw(0x100, WRITE, CCW_FLAG_DC, 3, 0x1000);
  mem.ccw(0x108, 0x00, CCW_FLAG_DC | CCW_FLAG_IDA, 6, 0x3000);  // command code ignored
  mem.ccw(0x110, CCW_CMD_TIC, 0, 0, 0x200);                     // a data chain goes on through a TIC
  mem.ccw(0x200, 0xff, CCW_FLAG_CC | CCW_FLAG_SLI, 2, 0x6000);
  mem.ccw(0x208, NOOP, 0, 0, 0);
  mem.idaw1(0x3000, 0x47fd);  // three bytes to the end of its 2K block
  mem.idaw1(0x3004, 0x5800);
  mem.put(0x1000, "abc");
  mem.put(0x47fd, "def");
  mem.put(0x5800, "ghi");
  mem.put(0x6000, "jk");
  EXPECT_EQ(run(0x100), end(0x210, 0, CE_DE, 0, 5));
  ASSERT_EQ(dev.cmds(), (std::vector<uint8_t>{WRITE, NOOP}));
  EXPECT_EQ(dev.commands[0].data, "abcdefghijk");
}

TEST_F(ChannelTest, DataChainedReadScattersTheBytes) {
  mem.ccw(0x100, READ, CCW_FLAG_DC, 2, 0x1000);
  mem.ccw(0x108, READ, CCW_FLAG_DC, 3, 0x2000);
  mem.ccw(0x110, READ, 0, 4, 0x3000);
  dev.reads("012345678");
  EXPECT_EQ(run(0x100), end(0x118, 0, CE_DE, 0, 3));
  ASSERT_EQ(dev.commands.size(), 1u);
  EXPECT_EQ(dev.commands[0].size, 9u);
  EXPECT_EQ(mem.get(0x1000, 3), "01\x5a");
  EXPECT_EQ(mem.get(0x2000, 4), "234\x5a");
  EXPECT_EQ(mem.get(0x3000, 5), "5678\x5a");
}

TEST_F(ChannelTest, ShortDataChainedReadEndsInTheCcwNotExhausted) {
  // SLI is ignored in a CCW that still data-chains.
  mem.ccw(0x100, READ, CCW_FLAG_DC | CCW_FLAG_SLI, 2, 0x1000);
  mem.ccw(0x108, READ, CCW_FLAG_DC | CCW_FLAG_SLI, 3, 0x2000);
  mem.ccw(0x110, READ, CCW_FLAG_SLI | CCW_FLAG_CC, 4, 0x3000);
  mem.ccw(0x118, NOOP, 0, 0, 0);
  dev.reads("0123");
  EXPECT_EQ(run(0x100), end(0x110, 1, CE_DE, SCHN_STAT_INCORR_LEN, 3));
  EXPECT_EQ(mem.get(0x2000, 3), "23\x5a");
  // Ending just at the end of a CCW's count: the channel has chained to the next already.
  dev.reads("01");
  EXPECT_EQ(run(0x100), end(0x110, 3, CE_DE, SCHN_STAT_INCORR_LEN, 3));
  // Ending in the last CCW: its SLI counts, and the chain goes on.
  dev.reads("012345");
  EXPECT_EQ(run(0x100), end(0x120, 0, CE_DE, 0, 4));
  EXPECT_EQ(dev.cmds(), (std::vector<uint8_t>{READ, READ, READ, NOOP}));
}

TEST_F(ChannelTest, Format1Idaws) {
  orb.c64 = false;
  mem.ccw(0x100, READ, CCW_FLAG_IDA, 0xe00, 0x3000);
  mem.idaw1(0x3000, 0x10700);  // 0x100 bytes to the 2K boundary
  mem.idaw1(0x3004, 0x20000);
  mem.idaw1(0x3008, 0x30800);
  dev.reads(std::string(0x100, 'a') + std::string(0x800, 'b') + std::string(0x500, 'c'));
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
  EXPECT_EQ(mem.get(0x10700, 0x101), std::string(0x100, 'a') + "\x5a");
  EXPECT_EQ(mem.get(0x20000, 0x801), std::string(0x800, 'b') + "\x5a");
  EXPECT_EQ(mem.get(0x30800, 0x501), std::string(0x500, 'c') + "\x5a");
}

TEST_F(ChannelTest, Format1IdawChecks) {
  orb.c64 = false;
  mem.ccw(0x100, WRITE, CCW_FLAG_IDA, 0x200, 0x3000);
  mem.idaw1(0x3000, 0x10700);
  mem.idaw1(0x3004, 0x20100);  // not the start of a 2K block
  EXPECT_EQ(run(0x100), end(0x108, 0x200, 0, SCHN_STAT_PROG_CHECK, 1));
  mem.idaw1(0x3004, 0x80000800);  // 31 bits only
  EXPECT_EQ(run(0x100).cstat, SCHN_STAT_PROG_CHECK);
  mem.ccw(0x100, WRITE, CCW_FLAG_IDA, 0x10, 0x4002);  // IDAWs lie on words
  mem.idaw1(0x4002, 0x10000);
  EXPECT_EQ(run(0x100).cstat, SCHN_STAT_PROG_CHECK);
  mem.ccw(0x100, WRITE, CCW_FLAG_IDA, 0x200, 0x7ffffffc);  // the IDAW list is 31-bit too
  mem.idaw1(0x7ffffffc, 0x10700);
  mem.idaw1(0x80000000, 0x20000);
  EXPECT_EQ(run(0x100).cstat, SCHN_STAT_PROG_CHECK);
  mem.ccw(0x100, WRITE, CCW_FLAG_IDA, 0x200, 0xffffc);  // the second IDAW is outside memory
  mem.idaw1(0xffffc, 0x10700);
  EXPECT_EQ(run(0x100), end(0x108, 0x200, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_TRUE(dev.commands.empty());
  // Aligned, the first one anywhere: it works.
  mem.ccw(0x100, WRITE, CCW_FLAG_IDA, 0x200, 0x3000);
  mem.idaw1(0x3004, 0x20000);
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
}

TEST_F(ChannelTest, Format2Idaws4K) {
  orb.c64 = true;
  mem.ccw(0x100, READ, CCW_FLAG_IDA, 0x300, 0x3000);
  mem.idaw2(0x3000, HIGH + 0xf00);  // 64-bit, 0x100 bytes to the 4K boundary
  mem.idaw2(0x3008, HIGH + 0x2000);
  dev.reads(std::string(0x100, 'a') + std::string(0x200, 'b'));
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
  EXPECT_EQ(mem.get(HIGH + 0xf00, 0x101), std::string(0x100, 'a') + "\x5a");
  EXPECT_EQ(mem.get(HIGH + 0x2000, 0x201), std::string(0x200, 'b') + "\x5a");
  // A 2K boundary is no block start with 4K blocks.
  mem.idaw2(0x3008, HIGH + 0x2800);
  EXPECT_EQ(run(0x100), end(0x108, 0x300, 0, SCHN_STAT_PROG_CHECK, 1));
  // Format-2 IDAWs lie on doublewords.
  mem.ccw(0x100, READ, CCW_FLAG_IDA, 0x10, 0x4004);
  mem.idaw2(0x4004, HIGH);
  EXPECT_EQ(run(0x100).cstat, SCHN_STAT_PROG_CHECK);
  EXPECT_EQ(dev.commands.size(), 1u);
}

TEST_F(ChannelTest, Format2Idaws2K) {
  orb.c64 = true;
  orb.i2k = true;
  mem.ccw(0x100, READ, CCW_FLAG_IDA, 0x900, 0x3000);
  mem.idaw2(0x3000, HIGH + 0x700);  // 0x100 bytes to the 2K boundary
  mem.idaw2(0x3008, HIGH + 0x2800);
  dev.reads(std::string(0x100, 'a') + std::string(0x800, 'b'));
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
  EXPECT_EQ(mem.get(HIGH + 0x700, 0x101), std::string(0x100, 'a') + "\x5a");
  EXPECT_EQ(mem.get(HIGH + 0x2800, 0x801), std::string(0x800, 'b') + "\x5a");
}

TEST_F(ChannelTest, SkipDiscardsTheDevicesBytes) {
  mem.ccw(0x100, READ, CCW_FLAG_SKIP | CCW_FLAG_CC, 4, 0x1000);
  mem.ccw(0x108, NOOP, 0, 0, 0);
  dev.answers(CE_DE, 4);
  EXPECT_EQ(run(0x100), end(0x110, 0, CE_DE, 0, 2));
  EXPECT_EQ(dev.commands[0].size, 0u);
  EXPECT_EQ(mem.get(0x1000, 4), "\x5a\x5a\x5a\x5a");
  // Not even the address is accessed.
  mem.ccw(0x100, READ, CCW_FLAG_SKIP, 4, 0x000ffffe);
  dev.answers(CE_DE, 4);
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
}

TEST_F(ChannelTest, SkipInADataChainSkipsThatPart) {
  mem.ccw(0x100, READ, CCW_FLAG_DC | CCW_FLAG_SKIP, 3, 0x1000);
  mem.ccw(0x108, READ, 0, 3, 0x2000);
  dev.reads("abcdef");
  EXPECT_EQ(run(0x100), end(0x110, 0, CE_DE, 0, 2));
  EXPECT_EQ(dev.commands[0].size, 6u);
  EXPECT_EQ(mem.get(0x1000, 3), "\x5a\x5a\x5a");
  EXPECT_EQ(mem.get(0x2000, 3), "def");
}

TEST_F(ChannelTest, SkipIsIgnoredForOutput) {
  mem.ccw(0x100, WRITE, CCW_FLAG_SKIP, 2, 0x1000);
  mem.put(0x1000, "ab");
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE, 0, 1));
  EXPECT_EQ(dev.commands[0].data, "ab");
}

TEST_F(ChannelTest, StatusModifierSkipsACcw) {
  // SEARCH ID EQUAL, TIC back to it, READ DATA: the search fails once, then matches.
  mem.ccw(0x100, SEARCH_ID_EQ, CCW_FLAG_CC, 5, 0x1000);
  mem.ccw(0x108, CCW_CMD_TIC, 0, 0, 0x100);
  mem.ccw(0x110, READ_DATA, 0, 4, 0x2000);
  mem.put(0x1000, "CCHHR");
  dev.answers(CE_DE, 5);
  dev.answers(CE_DE | DEV_STAT_STAT_MOD, 5);
  dev.reads("rec1");
  EXPECT_EQ(run(0x100), end(0x118, 0, CE_DE, 0, 4));
  EXPECT_EQ(dev.cmds(), (std::vector<uint8_t>{SEARCH_ID_EQ, SEARCH_ID_EQ, READ_DATA}));
  EXPECT_EQ(dev.commands[1].data, "CCHHR");
  EXPECT_EQ(mem.get(0x2000, 4), "rec1");
}

TEST_F(ChannelTest, StatusModifierWithoutChainingEnds) {
  mem.ccw(0x100, SEARCH_ID_EQ, 0, 5, 0x1000);
  dev.answers(CE_DE | DEV_STAT_STAT_MOD, 5);
  EXPECT_EQ(run(0x100), end(0x108, 0, CE_DE | DEV_STAT_STAT_MOD, 0, 1));
}

TEST_F(ChannelTest, UnusualStatusStopsTheChain) {
  for (uint8_t dstat : {uint8_t(CE_DE | DEV_STAT_UNIT_CHECK), uint8_t(CE_DE | DEV_STAT_UNIT_EXCEP),
                        uint8_t(CE_DE | DEV_STAT_ATTENTION), uint8_t(DEV_STAT_CHN_END)}) {
    dev.commands.clear();
    mem.ccw(0x100, READ, CCW_FLAG_CC, 4, 0x1000);
    mem.ccw(0x108, NOOP, 0, 0, 0);
    dev.reads("abcd", dstat);
    EXPECT_EQ(run(0x100), end(0x108, 0, dstat, 0, 1)) << int(dstat);
    EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{READ});
    EXPECT_EQ(mem.get(0x1000, 4), "abcd");
  }
}

TEST_F(ChannelTest, DataOutsideMemoryIsAProgramCheckBeforeTheCommand) {
  mem.ccw(0x100, NOOP, CCW_FLAG_CC, 0, 0);
  mem.ccw(0x108, WRITE, 0, 16, 0x000ffff8);
  EXPECT_EQ(run(0x100), end(0x110, 16, 0, SCHN_STAT_PROG_CHECK, 2));
  EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{NOOP});
  // Input too, and in a later CCW of a data chain: the command never starts.
  dev.commands.clear();
  mem.ccw(0x100, READ, CCW_FLAG_DC, 4, 0x1000);
  mem.ccw(0x108, READ, 0, 4, 0x40000000);  // 31-bit, but no storage
  EXPECT_EQ(run(0x100), end(0x110, 4, 0, SCHN_STAT_PROG_CHECK, 2));
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, CcwOutsideMemoryIsAProgramCheck) {
  EXPECT_EQ(run(0x00100000), end(0x00100008, 0, 0, SCHN_STAT_PROG_CHECK, 0));
  mem.ccw(0xffff8, NOOP, CCW_FLAG_CC, 0, 0);  // chains past the end
  EXPECT_EQ(run(0xffff8), end(0x00100008, 0, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_EQ(dev.cmds(), std::vector<uint8_t>{NOOP});
}

TEST_F(ChannelTest, StoreRefusedAfterTheCommandIsAProgramCheck) {
  orb.c64 = true;
  mem.regions.back().read_only = true;
  mem.ccw(0x100, READ, CCW_FLAG_DC, 2, 0x1000);
  mem.ccw(0x108, READ, CCW_FLAG_IDA, 4, 0x3000);
  mem.idaw2(0x3000, HIGH);
  dev.reads("abcdef");
  // The device ran: its status stays; the first CCW's bytes were stored.
  EXPECT_EQ(run(0x100), end(0x110, 4, CE_DE, SCHN_STAT_PROG_CHECK, 2));
  EXPECT_EQ(mem.get(0x1000, 2), "ab");
}

TEST_F(ChannelTest, RunawayProgramsEnd) {
  mem.ccw(0x100, NOOP, CCW_FLAG_CC, 0, 0);
  mem.ccw(0x108, CCW_CMD_TIC, 0, 0, 0x100);
  ChannelEnd e = run(0x100);
  EXPECT_EQ(e.cstat, SCHN_STAT_PROG_CHECK);
  EXPECT_GE(e.ccws, 1000u);
  EXPECT_LE(e.ccws, 1u << 24);
  EXPECT_EQ(dev.commands.size(), (e.ccws + 1) / 2);
  // A data chain looping through a TIC: the command never starts.
  dev.commands.clear();
  mem.ccw(0x100, WRITE, CCW_FLAG_DC, 1, 0x1000);
  e = run(0x100);
  EXPECT_EQ(e.cstat, SCHN_STAT_PROG_CHECK);
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, MidaAndSuspendAreProgramChecks) {
  mem.ccw(0x100, WRITE, CCW_FLAG_MIDA, 4, 0x1000);
  EXPECT_EQ(run(0x100), end(0x108, 4, 0, SCHN_STAT_PROG_CHECK, 1));
  mem.ccw(0x100, WRITE, CCW_FLAG_SUSPEND, 4, 0x1000);
  EXPECT_EQ(run(0x100), end(0x108, 4, 0, SCHN_STAT_PROG_CHECK, 1));
  orb.spnd = true;  // suspension is not modelled
  EXPECT_EQ(run(0x100), end(0x108, 4, 0, SCHN_STAT_PROG_CHECK, 1));
  EXPECT_TRUE(dev.commands.empty());
}

TEST_F(ChannelTest, PciShowsInTheFinalStatus) {
  mem.ccw(0x100, WRITE, CCW_FLAG_PCI | CCW_FLAG_CC, 4, 0x1000);
  mem.ccw(0x108, NOOP, 0, 0, 0);
  EXPECT_EQ(run(0x100), end(0x110, 0, CE_DE, SCHN_STAT_PCI, 2));
}

TEST_F(ChannelTest, EachProgramStartsTheDevice) {
  mem.ccw(0x100, NOOP, 0, 0, 0);
  run(0x100);
  run_channel_program(orb, 0x20, mem, dev);
  EXPECT_EQ(dev.starts, (std::vector<uint8_t>{0x80, 0x20}));
}

}  // namespace
