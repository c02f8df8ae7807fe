// vfio_ccw's channel-program translation (vfio_ccw_cp.c): chains fetched
// from guest memory, TICs, format-0 conversion, IDAL building and pinning,
// the ORB it starts, the SCSW it hands back, and hostile addresses.
#include "ccw/vfio_ccw_cp.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <random>
#include <vector>

namespace {

using namespace ccw;

constexpr uint64_t MEM_SIZE = 1 << 20;  // 1 MiB of guest

std::array<uint8_t, 8> be64(uint64_t v) {
  std::array<uint8_t, 8> b{};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return b;
}
std::array<uint8_t, 4> be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

struct Cp : ::testing::Test {
  kvm::GuestMemory mem{MEM_SIZE};
  ChannelProgram cp{mem};

  void put(uint64_t at, std::span<const uint8_t> b) { ASSERT_TRUE(mem.write(at, b)); }
  void ccw1(uint64_t at, uint8_t cmd, uint8_t flags, uint16_t count, uint32_t cda) {
    put(at, encode(Ccw1{cmd, flags, count, cda}));
  }
  // struct ccw0: cmd, 24-bit cda, flags, reserved, count.
  void ccw0(uint64_t at, uint8_t cmd, uint8_t flags, uint16_t count, uint32_t cda, uint8_t reserved = 0) {
    put(at, std::array<uint8_t, 8>{cmd, uint8_t(cda >> 16), uint8_t(cda >> 8), uint8_t(cda), flags, reserved,
                                   uint8_t(count >> 8), uint8_t(count)});
  }
  void fill(uint64_t at, size_t n, uint8_t seed) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
    put(at, b);
  }
  static Orb orb(uint32_t cpa, bool fmt = true, bool c64 = true, bool i2k = false) {
    Orb o;
    o.cpa = cpa;
    o.fmt = fmt;
    o.c64 = c64;
    o.i2k = i2k;
    o.pfch = true;
    return o;
  }
  // The channel's view of the translated program.
  Ccw1 host_ccw(uint64_t addr) {
    std::array<uint8_t, 8> b{};
    EXPECT_TRUE(cp.memory().read(addr, b)) << std::hex << addr;
    return decode_ccw1(b);
  }
  uint64_t host_idaw(uint32_t idal, int i) {
    std::array<uint8_t, 8> b{};
    EXPECT_TRUE(cp.memory().read(idal + 8u * i, b));
    uint64_t v = 0;
    for (uint8_t x : b) v = v << 8 | x;
    return v;
  }
  uint32_t host_cpa() { return cp.get_orb(0, 0x80).cpa; }
  // The bytes at a host address are the guest's at `guest`.
  void expect_same(uint64_t host, uint64_t guest, size_t n) {
    std::vector<uint8_t> a(n), b(n);
    ASSERT_TRUE(cp.memory().read(host, a)) << std::hex << host;
    ASSERT_TRUE(mem.read(guest, b));
    EXPECT_EQ(a, b) << std::hex << host << " vs guest " << guest;
  }
};

// --- chains

TEST_F(Cp, DirectCcwBecomesIdaOverItsPages) {
  // READ of 0x300 bytes at 0x5f00: two 4K blocks.
  ccw1(0x1000, 0x02, CCW_FLAG_SLI, 0x300, 0x5f00);
  fill(0x5f00, 0x300, 1);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.ccw_count(), 1u);
  EXPECT_EQ(cp.pinned_pages(), 0u);  // cp_init pins nothing
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 2u);

  Ccw1 c = host_ccw(host_cpa());
  EXPECT_EQ(c.cmd_code, 0x02);
  EXPECT_EQ(c.flags, CCW_FLAG_SLI | CCW_FLAG_IDA);
  EXPECT_EQ(c.count, 0x300);
  EXPECT_GE(c.cda, 0x10000000u);
  EXPECT_LT(c.cda, 0x80000000u);
  uint64_t w0 = host_idaw(c.cda, 0), w1 = host_idaw(c.cda, 1);
  EXPECT_EQ(w0 & 0xfff, 0xf00u);
  EXPECT_EQ(w1 & 0xfff, 0u);
  EXPECT_NE(w0, 0x5f00u);  // a host address, not the guest's
  expect_same(w0, 0x5f00, 0x100);
  expect_same(w1, 0x6000, 0x200);

  // A store through the IDAW reaches the guest.
  std::array<uint8_t, 3> data{0xca, 0xfe, 0x42};
  ASSERT_TRUE(cp.memory().write(w1 + 5, data));
  std::array<uint8_t, 3> back{};
  ASSERT_TRUE(mem.read(0x6005, back));
  EXPECT_EQ(back, data);
}

TEST_F(Cp, Format0ChainIsConvertedIncludingTic) {
  // Format 0: SEEK (CC) then a TIC with junk in its flags and count; the
  // conversion keeps only the TIC's address, so the chain ends at the TIC.
  ccw0(0x1000, 0x07, CCW_FLAG_CC, 6, 0x4000);
  ccw0(0x1008, 0x18, CCW_FLAG_CC | CCW_FLAG_SLI, 0xffff, 0x2000);  // low nibble 8: TIC
  ccw0(0x1010, 0x02, 0, 8, 0x4100);                                // not part of the program
  ccw0(0x2000, 0x06, CCW_FLAG_SLI, 0x10, 0x4200, 0xff);
  ASSERT_EQ(cp.init(orb(0x1000, /*fmt=*/false)), 0);
  EXPECT_EQ(cp.ccw_count(), 3u);
  ASSERT_EQ(cp.prefetch(), 0);

  uint32_t cpa = host_cpa();
  Ccw1 seek = host_ccw(cpa);
  EXPECT_EQ(seek.cmd_code, 0x07);
  EXPECT_EQ(seek.flags, CCW_FLAG_CC | CCW_FLAG_IDA);
  EXPECT_EQ(seek.count, 6);
  EXPECT_EQ(host_idaw(seek.cda, 0) & 0xfff, 0u);
  Ccw1 tic = host_ccw(cpa + 8);
  EXPECT_EQ(tic.cmd_code, CCW_CMD_TIC);
  EXPECT_EQ(tic.flags, 0);
  EXPECT_EQ(tic.count, 0);
  Ccw1 read = host_ccw(tic.cda);
  EXPECT_EQ(read.cmd_code, 0x06);
  EXPECT_EQ(read.flags, CCW_FLAG_SLI | CCW_FLAG_IDA);
  EXPECT_EQ(read.count, 0x10);
  EXPECT_EQ(host_idaw(read.cda, 0) & 0xfff, 0x200u);
}

TEST_F(Cp, ChainOf256IsAcceptedThe257thIsEinval) {
  for (int i = 0; i < 255; ++i) ccw1(0x1000 + 8 * i, CCW_CMD_NOOP, i % 2 ? CCW_FLAG_CC : CCW_FLAG_DC, 0, 0);
  ccw1(0x1000 + 8 * 255, CCW_CMD_NOOP, 0, 0, 0);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.ccw_count(), 256u);
  cp.free();

  ccw1(0x1000 + 8 * 255, CCW_CMD_NOOP, CCW_FLAG_CC, 0, 0);  // would need a 257th
  EXPECT_EQ(cp.init(orb(0x1000)), -EINVAL);
  EXPECT_FALSE(cp.initialized());
  EXPECT_EQ(cp.ccw_count(), 0u);
}

TEST_F(Cp, ChainFetchReads2KEvenForOneCcw) {
  // One CCW 8 bytes before the end: the kernel copies 2K and fails.
  ccw1(MEM_SIZE - 8, CCW_CMD_NOOP, 0, 0, 0);
  EXPECT_EQ(cp.init(orb(MEM_SIZE - 8)), -EINVAL);
  ccw1(MEM_SIZE - 2048, CCW_CMD_NOOP, 0, 0, 0);
  EXPECT_EQ(cp.init(orb(MEM_SIZE - 2048)), 0);
}

TEST_F(Cp, TicBackIntoTheChainKeepsCounting) {
  // CCW0 (CC), TIC back to CCW0, CCW2: the TIC lies in the counted part,
  // so CCW2 belongs to the same chain and no second chain is fetched.
  ccw1(0x1000, 0x02, CCW_FLAG_CC, 8, 0x4000);
  ccw1(0x1008, CCW_CMD_TIC, 0, 0, 0x1000);
  ccw1(0x1010, CCW_CMD_NOOP, 0, 0, 0);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.ccw_count(), 3u);
  ASSERT_EQ(cp.prefetch(), 0);
  uint32_t cpa = host_cpa();
  EXPECT_EQ(host_ccw(cpa + 8).cda, cpa);
}

TEST_F(Cp, TicForwardStartsANewChain) {
  // A TIC to the CCW right after it is not "inside the current chain"
  // (only what was counted so far is): the chain ends and a new one starts.
  ccw1(0x1000, CCW_CMD_NOOP, CCW_FLAG_CC, 0, 0);
  ccw1(0x1008, CCW_CMD_TIC, 0, 0, 0x1010);
  ccw1(0x1010, CCW_CMD_NOOP, CCW_FLAG_CC, 0, 0);
  ccw1(0x1018, CCW_CMD_NOOP, 0, 0, 0);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.ccw_count(), 4u);
  ASSERT_EQ(cp.prefetch(), 0);
  uint32_t cpa = host_cpa();
  uint32_t second = host_ccw(cpa + 8).cda;
  EXPECT_NE(second, cpa + 16);  // a separate host copy
  EXPECT_EQ(host_ccw(second).cmd_code, CCW_CMD_NOOP);
  EXPECT_EQ(host_ccw(second + 8).flags, CCW_FLAG_IDA);
}

// Chain A at 0x1000 TICs to 0x2000 (a new chain B) and to 0x2008 (inside B:
// reused, not fetched again).
struct TwoChains : Cp {
  void SetUp() override {
    ccw1(0x1000, 0x02, CCW_FLAG_CC, 0x10, 0x8000);
    ccw1(0x1008, CCW_CMD_TIC, CCW_FLAG_CC, 0, 0x2000);  // format-1 flags count for chaining
    ccw1(0x1010, CCW_CMD_TIC, 0, 0, 0x2008);
    ccw1(0x2000, CCW_CMD_NOOP, CCW_FLAG_CC, 0, 0);
    ccw1(0x2008, 0x01, CCW_FLAG_CC, 0x20, 0x9000);
    ccw1(0x2010, CCW_CMD_NOOP, 0, 0, 0);
    ASSERT_EQ(cp.init(orb(0x1000)), 0);
    ASSERT_EQ(cp.prefetch(), 0);
    a = host_cpa();
    b = host_ccw(a + 8).cda;
  }
  uint32_t a = 0, b = 0;
};

TEST_F(TwoChains, TicTargetsBecomeHostAddresses) {
  EXPECT_EQ(cp.ccw_count(), 6u);  // a chain at 0x2008 would make it 8
  EXPECT_EQ(host_ccw(a + 8).cmd_code, CCW_CMD_TIC);
  EXPECT_EQ(host_ccw(a + 16).cda, b + 8);
  EXPECT_EQ(host_ccw(b + 8).cmd_code, 0x01);
  EXPECT_EQ(cp.pinned_pages(), 2u);
  EXPECT_LT(b, 0x80000000u);
  EXPECT_EQ(a % 8, 0u);
  EXPECT_EQ(b % 8, 0u);
}

TEST_F(TwoChains, UpdateScswMapsHostCpaToGuest) {
  auto mapped = [&](uint32_t cpa) {
    Scsw s;
    s.ctrl = SCSW_FCTL_START | SCSW_STCTL_PRIMARY | SCSW_STCTL_STATUS_PEND;
    s.cpa = cpa;
    cp.update_scsw(s);
    return s.cpa;
  };
  EXPECT_EQ(mapped(a), 0x1000u);
  EXPECT_EQ(mapped(a + 8), 0x1008u);        // middle of the first chain
  EXPECT_EQ(mapped(a + 24), 0x1018u);       // just beyond its end
  EXPECT_EQ(mapped(b + 16), 0x2010u);       // second chain
  EXPECT_EQ(mapped(b + 24), 0x2018u);       // just beyond the second's end
  EXPECT_EQ(mapped(0x12345678), 0x12345678u);  // unknown: left alone
  EXPECT_EQ(mapped(a + 28), a + 28);        // past "just beyond": no chain's
}

TEST_F(TwoChains, IovaPinned) {
  EXPECT_TRUE(cp.iova_pinned(0x8000, 1));
  EXPECT_TRUE(cp.iova_pinned(0x9fff, 1));
  EXPECT_TRUE(cp.iova_pinned(0x7000, 0x1001));
  EXPECT_FALSE(cp.iova_pinned(0x7000, 0x1000));
  EXPECT_FALSE(cp.iova_pinned(0xa000, 0x1000));
  EXPECT_FALSE(cp.iova_pinned(0x1000, 8));  // CCWs are copied, not pinned
}

TEST_F(TwoChains, FreeUnpinsAndNothingResolves) {
  uint64_t idaw = host_idaw(host_ccw(a).cda, 0);
  cp.free();
  EXPECT_FALSE(cp.initialized());
  EXPECT_EQ(cp.pinned_pages(), 0u);
  EXPECT_EQ(cp.ccw_count(), 0u);
  EXPECT_FALSE(cp.iova_pinned(0x8000, 1));
  std::array<uint8_t, 8> b8{};
  EXPECT_FALSE(cp.memory().read(a, b8));
  EXPECT_FALSE(cp.memory().read(idaw, b8));
  EXPECT_FALSE(cp.memory().write(idaw, b8));
  Scsw s;
  s.cpa = a + 8;
  cp.update_scsw(s);
  EXPECT_EQ(s.cpa, a + 8u);
}

TEST_F(Cp, ChainsAreBoundedInTheSimulator) {
  // Chain k at 0x1000 + 16k is a lone TIC to chain k + 1. The kernel has
  // no limit; the simulator fails the 257th chain as an allocation would.
  auto build = [&](int n) {
    for (int k = 0; k < n - 1; ++k) ccw1(0x1000 + 16 * k, CCW_CMD_TIC, 0, 0, 0x1000 + 16 * (k + 1));
    ccw1(0x1000 + 16 * (n - 1), CCW_CMD_NOOP, 0, 0, 0);
  };
  build(256);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.ccw_count(), 256u);
  ASSERT_EQ(cp.prefetch(), 0);
  cp.free();
  build(257);
  EXPECT_EQ(cp.init(orb(0x1000)), -ENOMEM);
  EXPECT_EQ(cp.ccw_count(), 0u);
}

// --- IDAWs

TEST_F(Cp, Format1IdawsAre2KAndBecome2KFormat2) {
  // c64=0: 4-byte IDAWs, 2K blocks. 0x1000 bytes from 0x8400: 3 blocks.
  ccw1(0x1000, 0x02, CCW_FLAG_IDA, 0x1000, 0x3000);
  put(0x3000, be32(0x8400));
  put(0x3004, be32(0x8800));
  put(0x3008, be32(0x9000));
  fill(0x8400, 0x1000, 3);
  ASSERT_EQ(cp.init(orb(0x1000, true, /*c64=*/false)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 3u);  // page 0x8000 twice, 0x9000 once

  Orb o = cp.get_orb(0, 0x80);
  EXPECT_TRUE(o.c64);
  EXPECT_TRUE(o.i2k);
  Ccw1 c = host_ccw(o.cpa);
  EXPECT_EQ(c.flags, CCW_FLAG_IDA);
  uint64_t w0 = host_idaw(c.cda, 0), w1 = host_idaw(c.cda, 1), w2 = host_idaw(c.cda, 2);
  EXPECT_EQ(w1, w0 + 0x400);  // same page, its 2K offset kept
  expect_same(w0, 0x8400, 0x400);
  expect_same(w1, 0x8800, 0x800);
  expect_same(w2, 0x9000, 0x800);
}

TEST_F(Cp, Format1IdalIsCopiedAs8ByteWords) {
  // The kernel copies idaw_nr * 8 bytes of a format-1 IDAL: 3 IDAWs that
  // fit in the last 12 bytes of memory still fail.
  ccw1(0x1000, 0x02, CCW_FLAG_IDA, 0x1000, MEM_SIZE - 12);
  put(MEM_SIZE - 12, be32(0x8400));
  put(MEM_SIZE - 8, be32(0x8800));
  put(MEM_SIZE - 4, be32(0x9000));
  ASSERT_EQ(cp.init(orb(0x1000, true, false)), 0);
  EXPECT_EQ(cp.prefetch(), -EINVAL);
  EXPECT_EQ(cp.pinned_pages(), 0u);
}

TEST_F(Cp, Format2IdawsWith4KBlocks) {
  ccw1(0x1000, 0x01, CCW_FLAG_IDA, 0x1000, 0x3000);  // WRITE
  put(0x3000, be64(0x20080));
  put(0x3008, be64(0x31000));
  fill(0x20080, 0xf80, 5);
  fill(0x31000, 0x80, 9);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 2u);
  Orb o = cp.get_orb(0, 0x80);
  EXPECT_FALSE(o.i2k);
  Ccw1 c = host_ccw(o.cpa);
  expect_same(host_idaw(c.cda, 0), 0x20080, 0xf80);
  expect_same(host_idaw(c.cda, 1), 0x31000, 0x80);
  EXPECT_TRUE(cp.iova_pinned(0x31000, 1));
  EXPECT_FALSE(cp.iova_pinned(0x21000, 1));
}

TEST_F(Cp, Format2IdawsWith2KBlocks) {
  // i2k: 0x1000 bytes from 0x20080 need 3 2K blocks (4K ones: 2).
  ccw1(0x1000, 0x02, CCW_FLAG_IDA, 0x1000, 0x3000);
  put(0x3000, be64(0x20080));
  put(0x3008, be64(0x40800));
  put(0x3010, be64(0x51000));
  ASSERT_EQ(cp.init(orb(0x1000, true, true, /*i2k=*/true)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 3u);
  Orb o = cp.get_orb(0, 0x80);
  EXPECT_TRUE(o.c64);
  EXPECT_TRUE(o.i2k);
  Ccw1 c = host_ccw(o.cpa);
  EXPECT_EQ(host_idaw(c.cda, 1) & 0xfff, 0x800u);
  expect_same(host_idaw(c.cda, 1), 0x40800, 0x800);
  expect_same(host_idaw(c.cda, 2), 0x51000, 0x80);
}

TEST_F(Cp, DirectCcwWithFormat1OrbGets2KIdaws) {
  // c64=0, direct: IDAWs made at 0x5700, 0x5800, 0x6000.
  ccw1(0x1000, 0x02, 0, 0x1000, 0x5700);
  ASSERT_EQ(cp.init(orb(0x1000, true, false)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 3u);
  Ccw1 c = host_ccw(host_cpa());
  uint64_t w0 = host_idaw(c.cda, 0);
  EXPECT_EQ(host_idaw(c.cda, 1), w0 + 0x100);
  fill(0x5700, 0x1000, 11);
  expect_same(w0, 0x5700, 0x100);
  expect_same(host_idaw(c.cda, 2), 0x6000, 0x700);
}

// --- what pins nothing

TEST_F(Cp, NoPinningWithoutDataTransfer) {
  // Addresses outside guest memory: nothing is pinned, so nothing fails.
  const uint32_t away = 0x7ff00000;
  ccw1(0x1000, 0x02, CCW_FLAG_CC, 0, away);                         // count 0
  ccw1(0x1008, CCW_CMD_NOOP, CCW_FLAG_CC, 0x100, away);             // NOOP
  ccw1(0x1010, 0x02, CCW_FLAG_CC | CCW_FLAG_SKIP, 0x100, away);     // read, skip
  ccw1(0x1018, 0x0c, CCW_FLAG_CC | CCW_FLAG_SKIP, 0x100, away);     // read backward, skip
  ccw1(0x1020, 0x04, CCW_FLAG_CC | CCW_FLAG_SKIP, 0x20, away);      // sense, skip
  ccw1(0x1028, 0xe4, CCW_FLAG_SKIP, 0x28, away);                    // sense ID (…4), skip
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 0u);
  // Still IDA CCWs; their IDAL keeps the guest's address untranslated.
  Ccw1 c = host_ccw(host_cpa());
  EXPECT_EQ(c.flags, CCW_FLAG_CC | CCW_FLAG_IDA);
  EXPECT_EQ(host_idaw(c.cda, 0), away);
}

TEST_F(Cp, SkipIsIgnoredForWrites) {
  ccw1(0x1000, 0x01, CCW_FLAG_SKIP, 0x100, 0x5000);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 1u);
}

TEST_F(Cp, NoopStillReadsItsIdal) {
  // No data moves, but ccw_count_idaws() reads the first IDAW anyway.
  ccw1(0x1000, CCW_CMD_NOOP, CCW_FLAG_IDA, 0x100, 0x7ff00000);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.prefetch(), -EINVAL);
}

// --- hostile addresses

TEST_F(Cp, ProgramOutsideMemory) {
  EXPECT_EQ(cp.init(orb(0x7ff00000)), -EINVAL);
  EXPECT_FALSE(cp.initialized());
  ccw1(0x1000, CCW_CMD_TIC, 0, 0, 0xfffffff8);
  EXPECT_EQ(cp.init(orb(0x1000)), -EINVAL);
  EXPECT_FALSE(cp.initialized());
  EXPECT_EQ(cp.pinned_pages(), 0u);
}

TEST_F(Cp, DataOutsideMemoryFailsAndLeavesEarlierPinsToFree) {
  ccw1(0x1000, 0x02, CCW_FLAG_CC, 0x10, 0x5000);                // fine: 1 page
  ccw1(0x1008, 0x02, CCW_FLAG_CC, 0x2000, MEM_SIZE - 0x1000);   // second page beyond
  ccw1(0x1010, 0x02, 0, 0x10, 0x6000);                          // never reached
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.prefetch(), -EINVAL);
  EXPECT_TRUE(cp.initialized());
  // The failing CCW pinned nothing and lost its address; the chain is cut
  // before it; the first CCW's page stays pinned until free().
  EXPECT_EQ(cp.pinned_pages(), 1u);
  EXPECT_EQ(cp.ccw_count(), 1u);
  EXPECT_FALSE(cp.iova_pinned(MEM_SIZE - 0x1000, 1));
  uint32_t cpa = host_cpa();
  EXPECT_EQ(host_ccw(cpa + 8).cda, 0u);
  cp.free();
  EXPECT_EQ(cp.pinned_pages(), 0u);
}

TEST_F(Cp, IdawOutsideMemoryPinsNothing) {
  ccw1(0x1000, 0x02, CCW_FLAG_IDA, 0x1800, 0x3000);
  put(0x3000, be64(0x5800));
  put(0x3008, be64(0xffffffffffff0000ull));
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.prefetch(), -EINVAL);
  EXPECT_EQ(cp.pinned_pages(), 0u);
  EXPECT_EQ(cp.ccw_count(), 0u);
}

TEST_F(Cp, IdalOutsideMemory) {
  ccw1(0x1000, 0x02, CCW_FLAG_IDA, 0x10, 0x7ffffff8);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.prefetch(), -EINVAL);
  EXPECT_EQ(cp.pinned_pages(), 0u);
}

TEST_F(Cp, LargestCountPinsAtMost17Or33Pages) {
  ccw1(0x1000, 0x02, 0, 0xffff, 0x10fff);  // 4K: (0xfff + 0xffff + 0xfff) >> 12
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 17u);
  cp.free();
  ccw1(0x1000, 0x02, 0, 0xffff, 0x107ff);  // 2K: (0x7ff + 0xffff + 0x7ff) >> 11
  ASSERT_EQ(cp.init(orb(0x1000, true, false)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  EXPECT_EQ(cp.pinned_pages(), 33u);
}

// --- lifecycle and the ORB

TEST_F(Cp, InitTwiceIsBusy) {
  ccw1(0x1000, CCW_CMD_NOOP, 0, 0, 0);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  EXPECT_EQ(cp.init(orb(0x1000)), -EBUSY);
  cp.free();
  EXPECT_EQ(cp.init(orb(0x1000)), 0);
}

TEST_F(Cp, PrefetchBeforeInitIsEinval) {
  EXPECT_EQ(cp.prefetch(), -EINVAL);
  EXPECT_FALSE(cp.iova_pinned(0, MEM_SIZE));
  std::array<uint8_t, 8> b{};
  EXPECT_FALSE(cp.memory().read(0x10000000, b));
}

TEST_F(Cp, GetOrb) {
  ccw1(0x1000, CCW_CMD_NOOP, 0, 0, 0);
  Orb in = orb(0x1000, /*fmt=*/false, /*c64=*/false);
  in.intparm = 0xdeadbeef;
  in.key = 5;
  in.spnd = true;
  in.pfch = false;  // the kernel only warns, and prefetches anyway
  in.lpm = 0;
  ASSERT_EQ(cp.init(in), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  Orb o = cp.get_orb(0x0123abcd, 0xc0);
  EXPECT_EQ(o.intparm, 0x0123abcdu);
  EXPECT_EQ(o.key, 5);
  EXPECT_TRUE(o.spnd);
  EXPECT_FALSE(o.pfch);
  EXPECT_TRUE(o.fmt);
  EXPECT_TRUE(o.c64);
  EXPECT_TRUE(o.i2k);
  EXPECT_EQ(o.lpm, 0xc0);
  EXPECT_GE(o.cpa, 0x10000000u);
  EXPECT_LT(o.cpa, 0x80000000u);
  EXPECT_EQ(host_ccw(o.cpa).cmd_code, CCW_CMD_NOOP);
  EXPECT_EQ(cp.get_orb(1, 0xc0), cp.get_orb(1, 0xc0));
  cp.free();

  in.lpm = 0x40;
  in.c64 = true;
  ASSERT_EQ(cp.init(in), 0);
  o = cp.get_orb(0, 0xc0);
  EXPECT_EQ(o.lpm, 0x40);
  EXPECT_FALSE(o.i2k);
}

TEST_F(Cp, ChannelCannotStoreIntoTheKernelsCopies) {
  ccw1(0x1000, 0x02, 0, 0x10, 0x5000);
  ASSERT_EQ(cp.init(orb(0x1000)), 0);
  ASSERT_EQ(cp.prefetch(), 0);
  uint32_t cpa = host_cpa();
  std::array<uint8_t, 8> b{};
  EXPECT_FALSE(cp.memory().write(cpa, b));
  EXPECT_FALSE(cp.memory().read(cpa + 8, b));  // past the one-CCW chain
  EXPECT_FALSE(cp.memory().read(0x5000, b));   // guest addresses are not host ones
}

TEST(VfioCcwCpRandom, HostileProgramsNeverCrashOrLeakPins) {
  // Random CCWs with addresses mostly inside a small guest: whatever init
  // and prefetch say, free() leaves no pin and nothing reachable.
  std::mt19937_64 rng(20260101);
  for (int round = 0; round < 300; ++round) {
    kvm::GuestMemory mem(64 * 1024);
    ChannelProgram cp(mem);
    std::vector<uint8_t> bytes(mem.size());
    for (size_t i = 0; i < bytes.size(); i += 8) {
      uint32_t addr = static_cast<uint32_t>(rng() % (rng() % 8 ? mem.size() : 0x100000000ull)) & ~7u;
      uint8_t cmds[] = {0x01, 0x02, CCW_CMD_NOOP, 0x04, CCW_CMD_TIC, 0x0c, static_cast<uint8_t>(rng())};
      Ccw1 c{cmds[rng() % 7], static_cast<uint8_t>(rng()), static_cast<uint16_t>(rng() % 3 ? rng() % 0x3000 : rng()),
             addr};
      auto w = encode(c);
      std::copy(w.begin(), w.end(), bytes.begin() + static_cast<long>(i));
    }
    ASSERT_TRUE(mem.write(0, bytes));
    Orb o;
    o.cpa = static_cast<uint32_t>(rng() % mem.size()) & ~7u;
    o.fmt = rng() % 2;
    o.c64 = rng() % 2;
    o.i2k = rng() % 2;
    if (cp.init(o) != 0) {
      EXPECT_EQ(cp.ccw_count(), 0u);
      continue;
    }
    EXPECT_GE(cp.ccw_count(), 1u);
    int ret = cp.prefetch();
    EXPECT_LE(ret, 0);
    std::array<uint8_t, 16> buf{};
    uint32_t cpa = cp.get_orb(0, 0x80).cpa;
    EXPECT_TRUE(cp.memory().read(cpa, std::span(buf).first(8)));
    Scsw scsw;
    scsw.cpa = cpa + 8;
    cp.update_scsw(scsw);
    cp.free();
    EXPECT_EQ(cp.pinned_pages(), 0u);
    EXPECT_FALSE(cp.memory().read(cpa, buf));
  }
}

}  // namespace
