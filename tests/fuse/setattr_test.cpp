// utimensat(2) on a root-owned sysfs attribute through the mount: another
// user may neither touch it (no write permission: EACCES) nor set explicit
// times (not the owner: EPERM); root may do both.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "tests/support/mounted.h"

namespace {

using mdevsim::testing::Mounted;

// Runs `call` in a child as nobody (65534); its errno, 0 on success, or -1
// if the child could not become nobody.
int errno_as_nobody(const std::function<int()>& call) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
      _exit(255);
    _exit(call() == 0 ? 0 : errno);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) != 255 ? WEXITSTATUS(status) : -1;
}

class SetTimes : public ::testing::Test {
 protected:
  void SetUp() override {
    MDEVSIM_REQUIRE_MOUNT();
    m = std::make_unique<Mounted>();
    attr = m->path("devices/ap/card05/hwtype");  // 0444, root's
  }
  std::unique_ptr<Mounted> m;
  std::string attr;
  const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  const timespec fixed[2] = {{1000000, 0}, {1000000, 0}};
};

TEST_F(SetTimes, OtherUserMayNotTouch) {
  EXPECT_EQ(errno_as_nobody([&] { return utimensat(AT_FDCWD, attr.c_str(), nullptr, 0); }), EACCES);
  EXPECT_EQ(errno_as_nobody([&] { return utimensat(AT_FDCWD, attr.c_str(), now, 0); }), EACCES);
}

TEST_F(SetTimes, OtherUserMayNotSetExplicitTimes) {
  EXPECT_EQ(errno_as_nobody([&] { return utimensat(AT_FDCWD, attr.c_str(), fixed, 0); }), EPERM);
  const timespec mixed[2] = {{0, UTIME_NOW}, {1000000, 0}};
  EXPECT_EQ(errno_as_nobody([&] { return utimensat(AT_FDCWD, attr.c_str(), mixed, 0); }), EPERM);
}

TEST_F(SetTimes, RootMay) {
  EXPECT_EQ(utimensat(AT_FDCWD, attr.c_str(), nullptr, 0), 0) << strerror(errno);
  EXPECT_EQ(utimensat(AT_FDCWD, attr.c_str(), fixed, 0), 0) << strerror(errno);
}

}  // namespace
