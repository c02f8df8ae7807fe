// Runs every testdata/golden/*.txt transcript twice: in-process through the
// sysfs tree, and through a real FUSE mount with plain system calls.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "cli/ap_command.h"
#include "cli/vfio_command.h"
#include "cli/control.h"
#include "cli/ccw_command.h"
#include "cli/guest_ccw.h"
#include "cli/guest_text.h"
#include "tests/golden/transcript.h"
#include "tests/support/mounted.h"

namespace {

using mdevsim::System;
using mdevsim::testing::Mounted;

struct Outcome {
  std::string text;
  int err = 0;
};

// The operations a transcript uses, implemented by both paths.
class Client {
 public:
  virtual ~Client() = default;
  virtual long write(const std::string& path, const std::string& data) = 0;  // count or -errno
  virtual Outcome read(const std::string& path) = 0;
  virtual Outcome readlink(const std::string& path) = 0;
  virtual Outcome ls(const std::string& path) = 0;  // names sorted, space separated
  virtual System& sys() = 0;
  // Runs a change of the model outside sysfs (guests) as the control
  // socket does.
  virtual bool mutate(const std::function<bool()>& f) = 0;
};

std::string join_sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string s;
  for (auto& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

class InProcess final : public Client {
 public:
  explicit InProcess(mdevsim::Host host) : m_sys(std::move(host)) {}
  long write(const std::string& path, const std::string& data) override {
    std::lock_guard g(m_sys.lock());
    auto r = m_sys.tree().write(path, data);
    return r ? static_cast<long>(*r) : -r.error().code;
  }
  Outcome read(const std::string& path) override {
    std::lock_guard g(m_sys.lock());
    auto r = m_sys.tree().read(path);
    return r ? Outcome{*r, 0} : Outcome{"", r.error().code};
  }
  Outcome readlink(const std::string& path) override {
    std::lock_guard g(m_sys.lock());
    auto r = m_sys.tree().readlink(path);
    return r ? Outcome{*r, 0} : Outcome{"", r.error().code};
  }
  Outcome ls(const std::string& path) override {
    std::lock_guard g(m_sys.lock());
    auto r = m_sys.tree().list(path);
    return r ? Outcome{join_sorted(*r), 0} : Outcome{"", r.error().code};
  }
  System& sys() override { return m_sys; }
  bool mutate(const std::function<bool()>& f) override {
    std::lock_guard g(m_sys.lock());
    return f();
  }

 private:
  System m_sys;
};

class ThroughMount final : public Client {
 public:
  explicit ThroughMount(mdevsim::Host host) : m_mount(std::move(host)) {}
  long write(const std::string& path, const std::string& data) override {
    return mdevsim::testing::write_file(m_mount.path(path), data);
  }
  Outcome read(const std::string& path) override {
    Outcome o;
    o.text = mdevsim::testing::read_file(m_mount.path(path), o.err);
    return o;
  }
  Outcome readlink(const std::string& path) override {
    char buf[4096];
    ssize_t n = ::readlink(m_mount.path(path).c_str(), buf, sizeof buf);
    if (n < 0) return {"", errno};
    return {std::string(buf, static_cast<size_t>(n)), 0};
  }
  Outcome ls(const std::string& path) override {
    DIR* d = opendir(m_mount.path(path).c_str());
    if (!d) return {"", errno};
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.emplace_back(e->d_name);
    closedir(d);
    return {join_sorted(names), 0};
  }
  System& sys() override { return m_mount.sys(); }
  bool mutate(const std::function<bool()>& f) override { return m_mount.server().mutate(f); }

 private:
  Mounted m_mount;
};

std::string source_dir() { return MDEVSIM_SOURCE_DIR; }

std::vector<std::string> transcripts() {
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(source_dir() + "/testdata/golden"))
    if (e.path().extension() == ".txt") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// The AP-only default host, unless the transcript names a host file.
mdevsim::Host host_for(const golden::Transcript& t) {
  if (t.host.empty()) return {ap::default_host(), {}};
  std::string error;
  auto host = mdevsim::load_host_file(source_dir() + "/testdata/hosts/" + t.host + ".json", error);
  if (!host) throw std::runtime_error(error);
  return std::move(*host);
}

void run(Client& c, const golden::Transcript& t) {
  for (const auto& st : t.steps) {
    SCOPED_TRACE(fmt::format("{}.txt:{}: {} {}", t.name, st.line, st.op, st.path));
    Outcome got;
    if (st.op == "write") {
      long n = c.write(st.path, st.data);
      got = n < 0 ? Outcome{"", static_cast<int>(-n)} : Outcome{n == static_cast<long>(st.data.size()) ? "ok" : fmt::format("ok {}", n), 0};
    } else if (st.op == "read") {
      got = c.read(st.path);
    } else if (st.op == "readlink") {
      got = c.readlink(st.path);
    } else if (st.op == "ls") {
      got = c.ls(st.path);
    } else if (st.op == "missing") {
      Outcome o = c.read(st.path);
      Outcome l = c.ls(st.path);
      Outcome rl = c.readlink(st.path);
      EXPECT_TRUE(o.err == ENOENT && l.err == ENOENT && rl.err == ENOENT) << st.path << " exists";
      continue;
    } else if (st.op == "ap") {
      std::istringstream in(st.data);
      std::vector<std::string> words;
      for (std::string w; in >> w;) words.push_back(w);
      mdevsim::ap_command(c.sys(), [&](const std::function<bool()>& f) { return c.mutate(f); }, words, got.text);
    } else if (st.op == "vfio") {
      std::istringstream in(st.data);
      std::vector<std::string> words;
      for (std::string w; in >> w;) words.push_back(w);
      mdevsim::vfio_command(c.sys(), [&](const std::function<bool()>& f) { return c.mutate(f); }, words, got.text);
    } else if (st.op == "ccw") {
      std::istringstream in(st.data);
      std::vector<std::string> words;
      for (std::string w; in >> w;) words.push_back(w);
      mdevsim::ccw_command(c.sys(), [&](const std::function<bool()>& f) { return c.mutate(f); }, words, got.text);
    } else if (st.op == "guest" && st.data.starts_with("ccw ")) {
      std::istringstream in(st.data.substr(4));
      std::vector<std::string> words;
      for (std::string w; in >> w;) words.push_back(w);
      mdevsim::guest_ccw_command(c.sys(), [&](const std::function<bool()>& f) { return c.mutate(f); }, words, got.text);
    } else if (st.op == "guest") {
      std::istringstream in(st.data);
      std::string verb, name;
      in >> verb >> name;
      std::vector<std::string> args;
      for (std::string w; in >> w;) args.push_back(w);
      auto& guests = c.sys().guests();
      std::string error;
      if (verb == "show") {
        std::lock_guard g(c.sys().lock());
        const qemu::Guest* guest = guests.find(name);
        got.text = guest ? mdevsim::guest_text(*guest) : "no guest";
      } else if (verb == "log") {
        std::lock_guard g(c.sys().lock());
        auto it = guests.logs().find(name);
        if (it != guests.logs().end())
          for (auto& l : it->second) got.text += (got.text.empty() ? "" : "\n") + l;
      } else {
        bool ok = c.mutate([&] {
          if (verb != "start") return guests.stop(name, error);
          return guests.start(name, mdevsim::guest_start_args(args), error);
        });
        got.text = ok ? "ok" : error;
        if (ok && !st.expect_text) got.text = "ok";
      }
    } else {
      std::lock_guard g(c.sys().lock());
      if (st.op == "dmesg") {
        auto& lines = c.sys().klog().lines();
        size_t n = std::min<size_t>(st.path.empty() ? 1 : std::stoul(st.path), lines.size());
        for (size_t k = lines.size() - n; k < lines.size(); ++k) got.text += (got.text.empty() ? "" : "\n") + lines[k].text;
      } else {
        auto& ev = c.sys().uevents().events();
        got.text = ev.empty() ? "" : ev.back().text();
      }
    }
    std::string shown = got.err ? golden::errno_name(got.err) : (st.expect_text ? golden::quote(got.text) : got.text);
    std::string want = st.expect_text ? golden::quote(st.expect) : st.expect;
    EXPECT_EQ(shown, want);
  }
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, InProcess) {
  auto t = golden::parse_transcript(GetParam());
  InProcess c(host_for(t));
  run(c, t);
}

TEST_P(Golden, ThroughMount) {
  MDEVSIM_REQUIRE_MOUNT();
  auto t = golden::parse_transcript(GetParam());
  ThroughMount c(host_for(t));
  run(c, t);
}

INSTANTIATE_TEST_SUITE_P(Transcripts, Golden, ::testing::ValuesIn(transcripts()),
                         [](const auto& info) { return std::filesystem::path(info.param).stem().string(); });

}  // namespace
