// Tree: owns the root directory, hands out inode numbers (never reused) and
// records removals so the FUSE layer can drop the kernel's cached entries.
// It also offers path-based access with the same permission rules the FUSE
// adapter applies, for in-process clients and tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sysfs-fs/tree/node.h"

namespace sysfs {

// The caller of an operation: only root (uid 0) has CAP_DAC_OVERRIDE.
struct Cred {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Kernel: generic_permission() on root-owned sysfs nodes, then
// kernfs_fop_open(): opening for write needs some write bit in the mode and
// for read some read bit, even for root (EACCES).
Result<void> open_permission(const Node& node, bool read, bool write, Cred cred);
// Kernel: access(2) through generic_permission(): root passes R_OK/W_OK on
// any node and X_OK where some execute bit is set.
Result<void> access_permission(const Node& node, int mask, Cred cred);

class Tree {
 public:
  Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  Directory& root() const { return *m_root; }
  // Every node's timestamps: the simulated kernel's boot.
  int64_t boot_time() const { return m_boot_time; }
  const std::shared_ptr<Directory>& root_ptr() const { return m_root; }
  uint64_t alloc_ino() { return m_next_ino++; }

  // A removed entry, for invalidating the kernel's dentry cache.
  struct Removal {
    uint64_t parent_ino;
    uint64_t child_ino;
    std::string name;
  };
  void note_removal(const Directory& parent, const Node& child);
  std::vector<Removal> take_removals() { return std::exchange(m_removals, {}); }
  // Directories whose subdirectory count (their link count) changed.
  void note_dir_changed(const Directory& dir) { m_changed_dirs.insert(dir.ino()); }
  std::unordered_set<uint64_t> take_changed_dirs() { return std::exchange(m_changed_dirs, {}); }

  // Path-based access; paths are relative to the root, symlinks in
  // intermediate components are followed as path walk does.
  Result<std::shared_ptr<Node>> lookup(std::string_view path, bool follow_last = true) const;
  Result<std::string> read(std::string_view path, Cred cred = {}) const;
  Result<size_t> write(std::string_view path, std::string_view data, Cred cred = {}) const;
  Result<std::string> readlink(std::string_view path) const;
  Result<std::vector<std::string>> list(std::string_view path) const;

 private:
  uint64_t m_next_ino = 1;  // the root is FUSE_ROOT_ID
  int64_t m_boot_time;
  std::shared_ptr<Directory> m_root;
  std::vector<Removal> m_removals;
  std::unordered_set<uint64_t> m_changed_dirs;
};

}  // namespace sysfs
