// FuseServer: serves a sysfs::Tree through the libfuse3 low-level API, the
// way kernfs serves sysfs. The only code that includes a FUSE header.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "sysfs-fs/tree/tree.h"

struct fuse_session;

namespace sysfs {

class FuseServer {
 public:
  // `model_lock` guards the tree and everything its callbacks touch: shared
  // for lookups and show(), exclusive for store() and other changes.
  FuseServer(Tree& tree, std::shared_mutex& model_lock);
  ~FuseServer();
  FuseServer(const FuseServer&) = delete;
  FuseServer& operator=(const FuseServer&) = delete;

  // Creates the session and mounts it. On failure `error` is one line.
  // With `handle_signals`, SIGINT/SIGTERM/SIGHUP end the loop.
  bool mount(const std::string& mountpoint, std::string& error, bool handle_signals);
  // Serves requests on several threads until unmounted or exit() is called.
  void loop();
  // Asks the loop to end; unmount() detaches the mount.
  void exit();
  void unmount();

  // Runs a mutation of the model under the lock, then drops the kernel's
  // cached entries of what it removed, so no client sees a stale entry.
  template <typename F>
  auto mutate(F&& f) {
    std::unique_lock lock(m_model_lock);
    auto result = f();
    auto inval = take_invalidations();
    uint64_t gen = ++m_generation;
    lock.unlock();
    send_invalidations(inval);
    changed(gen);
    return result;
  }
  // The number of mutations so far (read under the model lock).
  uint64_t generation() const { return m_generation; }
  // Waits until a mutation after `gen`, or the timeout.
  void wait_for_change(uint64_t gen, std::chrono::milliseconds timeout);

  // Implementation detail of the C callbacks.
  struct Impl;

 private:
  struct Inval {
    uint64_t parent;
    std::string name;  // empty: only the attributes of `parent` changed
  };
  std::vector<Inval> take_invalidations();  // under the model lock
  void changed(uint64_t gen);
  void send_invalidations(const std::vector<Inval>& inval);

  std::unique_ptr<Impl> m_impl;
  std::shared_mutex& m_model_lock;
  uint64_t m_generation = 0;  // under the model lock
  std::mutex m_changed_lock;
  std::condition_variable m_changed_cv;
  uint64_t m_changed_gen = 0;  // under m_changed_lock
};

}  // namespace sysfs
