// Concurrent reads of one open attribute (issue 12, item 1): threads that
// pread() the same fd at offsets 0 and 1 must each get the attribute's text
// (whole, or from its second byte), never another read's half-built text or
// freed memory, and the server must survive. The server is `mdevsim mount`,
// a process of its own, so that its crash fails the reads instead of the
// test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/support/mounted.h"

namespace {

using namespace std::chrono_literals;

TEST(ReadRace, PreadOfOneFdFromFourThreads) {
  MDEVSIM_REQUIRE_MOUNT();
  char dir[] = "/tmp/mdevsim-race-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(mdevsim::testing::run({MDEVSIM_BINARY, "mount", dir}), 0);
  int err = 0;
  const std::string path = std::string(dir) + "/bus/ap/ap_adapter_mask";
  const std::string text = mdevsim::testing::read_file(path, err);
  ASSERT_EQ(err, 0);
  ASSERT_GT(text.size(), 60u);

  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::atomic<long> reads{0}, bad{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      char buf[4096];
      const off_t off = t % 2;  // two threads at 0, two at 1
      while (!stop) {
        ssize_t n = pread(fd, buf, sizeof buf, off);
        if (n < 0 || std::string(buf, static_cast<size_t>(n)) != text.substr(static_cast<size_t>(off))) ++bad;
        ++reads;
      }
    });
  }
  std::this_thread::sleep_for(3s);
  stop = true;
  for (auto& t : threads) t.join();
  close(fd);
  EXPECT_EQ(bad.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), 1000);
  // The server still answers.
  EXPECT_EQ(mdevsim::testing::read_file(path, err), text);
  EXPECT_EQ(mdevsim::testing::run({MDEVSIM_BINARY, "umount", dir}), 0);
  rmdir(dir);
}

}  // namespace
