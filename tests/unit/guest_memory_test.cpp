// The guest's memory: zeros until written, copies across page boundaries,
// and nothing at all outside it (a channel program's addresses are the
// guest's to choose).
#include "kvm/guest_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace {

using kvm::GuestMemory;

TEST(GuestMemory, ZerosUntilWrittenAndAcrossPages) {
  GuestMemory mem(3 * GuestMemory::PAGE_SIZE);
  std::vector<uint8_t> buf(100, 0xaa);
  ASSERT_TRUE(mem.read(0, buf));
  EXPECT_EQ(buf, std::vector<uint8_t>(100, 0));
  EXPECT_EQ(mem.resident_pages(), 0u);
  std::vector<uint8_t> data(5000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(mem.write(4000, data));  // pages 0, 1 and 2
  EXPECT_EQ(mem.resident_pages(), 3u);
  std::vector<uint8_t> back(5000);
  ASSERT_TRUE(mem.read(4000, back));
  EXPECT_EQ(back, data);
  std::vector<uint8_t> edge(2);
  ASSERT_TRUE(mem.read(3999, edge));
  EXPECT_EQ(edge[0], 0);
  EXPECT_EQ(edge[1], data[0]);
}

TEST(GuestMemory, NothingOutsideIt) {
  GuestMemory mem(2 * GuestMemory::PAGE_SIZE);
  std::vector<uint8_t> buf(16, 0x55);
  const uint64_t end = mem.size();
  EXPECT_TRUE(mem.write(end - 16, buf));
  EXPECT_FALSE(mem.write(end - 15, buf));
  EXPECT_FALSE(mem.read(end, buf));
  EXPECT_TRUE(mem.read(end, std::span<uint8_t>()));  // an empty copy at the end
  EXPECT_FALSE(mem.read(std::numeric_limits<uint64_t>::max() - 8, buf));  // no wrap-around
  EXPECT_FALSE(mem.write(std::numeric_limits<uint64_t>::max(), buf));
  // A refused copy leaves the buffer and the memory as they were.
  std::vector<uint8_t> out(32, 0x11);
  EXPECT_FALSE(mem.read(end - 16, out));
  EXPECT_EQ(out, std::vector<uint8_t>(32, 0x11));
  EXPECT_EQ(mem.resident_pages(), 1u);
  EXPECT_EQ(GuestMemory().size(), uint64_t{128} << 20);
}

}  // namespace
