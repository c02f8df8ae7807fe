#include "sysfs-fs/tree/tree.h"

#include <unistd.h>

#include <ctime>

namespace sysfs {

Result<void> open_permission(const Node& node, bool read, bool write, Cred cred) {
  uint16_t mode = node.mode();
  if (cred.uid != 0) {
    // Everything in sysfs is owned by root:root.
    unsigned shift = cred.gid == 0 ? 3 : 0;
    if ((read && !((mode >> shift) & 4)) || (write && !((mode >> shift) & 2))) return Errno{EACCES};
  }
  if ((write && !(mode & 0222)) || (read && !(mode & 0444))) return Errno{EACCES};
  return base::ok();
}

Result<void> access_permission(const Node& node, int mask, Cred cred) {
  uint16_t mode = node.mode();
  if (cred.uid == 0) {
    if ((mask & X_OK) && node.kind() != Kind::Dir && !(mode & 0111)) return Errno{EACCES};
    return base::ok();
  }
  unsigned shift = cred.gid == 0 ? 3 : 0;
  unsigned have = (mode >> shift) & 7;
  if ((mask & R_OK && !(have & 4)) || (mask & W_OK && !(have & 2)) || (mask & X_OK && !(have & 1)))
    return Errno{EACCES};
  return base::ok();
}

Tree::Tree() : m_boot_time(time(nullptr)), m_root(std::make_shared<Directory>(*this, alloc_ino(), std::string())) {}

void Tree::note_removal(const Directory& parent, const Node& child) {
  m_removals.push_back({parent.ino(), child.ino(), std::string(child.name())});
}

Result<std::shared_ptr<Node>> Tree::lookup(std::string_view path, bool follow_last) const {
  std::shared_ptr<Node> cur = m_root;
  int links = 0;
  // Components still to walk, as a stack of paths relative to `cur`.
  std::string rest(path);
  bool must_be_dir = !path.empty() && path.back() == '/';  // "file/" is ENOTDIR
  while (true) {
    while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
    if (rest.empty()) {
      if (must_be_dir && cur->kind() != Kind::Dir) return Errno{ENOTDIR};
      return cur;
    }
    size_t slash = rest.find('/');
    std::string comp = rest.substr(0, slash);
    rest = slash == std::string::npos ? std::string() : rest.substr(slash);
    if (cur->kind() != Kind::Dir) return Errno{ENOTDIR};
    auto* dir = static_cast<Directory*>(cur.get());
    std::shared_ptr<Node> next;
    if (comp == ".") {
      continue;
    } else if (comp == "..") {
      next = dir->parent() ? dir->parent()->self() : m_root;
    } else {
      next = dir->find(comp);
    }
    if (!next) return Errno{ENOENT};
    bool last = rest.find_first_not_of('/') == std::string::npos;
    if (next->kind() == Kind::Link && (!last || follow_last)) {
      if (++links > 40) return Errno{ELOOP};
      // A link whose target is gone resolves to nothing.
      auto target = static_cast<Symlink&>(*next).target();
      if (!target || target->removed()) return Errno{ENOENT};
      // Continue from the link's directory with its relative target.
      rest = static_cast<Symlink&>(*next).target_path() + rest;
      continue;
    }
    cur = std::move(next);
  }
}

Result<std::string> Tree::read(std::string_view path, Cred cred) const {
  auto node = SIM_TRY(lookup(path));
  if (node->kind() == Kind::Dir) return Errno{EISDIR};
  SIM_TRY_VOID(open_permission(*node, true, false, cred));
  return static_cast<Attribute&>(*node).show();
}

Result<size_t> Tree::write(std::string_view path, std::string_view data, Cred cred) const {
  auto node = SIM_TRY(lookup(path));
  if (node->kind() == Kind::Dir) return Errno{EISDIR};
  SIM_TRY_VOID(open_permission(*node, false, true, cred));
  return static_cast<Attribute&>(*node).store(data);
}

Result<std::string> Tree::readlink(std::string_view path) const {
  auto node = SIM_TRY(lookup(path, false));
  if (node->kind() != Kind::Link) return Errno{EINVAL};
  return static_cast<Symlink&>(*node).target_path();
}

Result<std::vector<std::string>> Tree::list(std::string_view path) const {
  auto node = SIM_TRY(lookup(path));
  if (node->kind() != Kind::Dir) return Errno{ENOTDIR};
  std::vector<std::string> names;
  static_cast<Directory&>(*node).for_each_child([&](const Node& c) { names.emplace_back(c.name()); });
  return names;
}

}  // namespace sysfs
