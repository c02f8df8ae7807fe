// The generic in-memory sysfs tree: directories, attributes with show/store,
// and symlinks whose relative targets are computed as kernfs computes them.
// It knows nothing about s390. All access happens under the owner's model
// lock; nothing here is thread-safe on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sysfs {

using base::Errno;
using base::Result;

class Tree;
class Directory;

// Kernfs limits: show() fills one page but sysfs_emit stops at PAGE_SIZE - 1
// characters; store() receives at most one page per write().
inline constexpr size_t PAGE_SIZE = 4096;
inline constexpr size_t SHOW_MAX = PAGE_SIZE - 1;

// A store that cannot finish yet (the kernel would block the writer, as
// mdev's remove of an open device does) returns this; the caller waits for
// the model to change, or ten seconds, and calls it again.
inline constexpr Errno WAIT_FOR_CHANGE{-1};

// One attribute of a kernel object, as struct device_attribute: the show and
// store callbacks take the object the attribute group was added for.
struct AttrOps {
  std::string_view name;
  uint16_t mode;
  Result<std::string> (*show)(void* obj);
  Result<size_t> (*store)(void* obj, std::string_view buf);
};

// Typed adapters so attribute tables read like the kernel's DEVICE_ATTR_*.
template <class T, Result<std::string> (*F)(T&)>
Result<std::string> show_thunk(void* o) { return F(*static_cast<T*>(o)); }
template <class T, Result<size_t> (*F)(T&, std::string_view)>
Result<size_t> store_thunk(void* o, std::string_view b) { return F(*static_cast<T*>(o), b); }

#define SYSFS_ATTR_RO(T, name) \
  ::sysfs::AttrOps { #name, 0444, ::sysfs::show_thunk<T, name##_show>, nullptr }
#define SYSFS_ATTR_RW(T, name) \
  ::sysfs::AttrOps { #name, 0644, ::sysfs::show_thunk<T, name##_show>, ::sysfs::store_thunk<T, name##_store> }
#define SYSFS_ATTR_WO(T, name) \
  ::sysfs::AttrOps { #name, 0200, nullptr, ::sysfs::store_thunk<T, name##_store> }

enum class Kind : uint8_t { Dir, Attr, Link };

class Node {
 public:
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;

  uint64_t ino() const { return m_ino; }
  Kind kind() const { return m_kind; }
  std::string_view name() const { return m_name; }
  uint16_t mode() const { return m_mode; }
  void set_mode(uint16_t mode) { m_mode = mode; }  // chmod, as kernfs allows
  Directory* parent() const { return m_parent; }
  // A removed node stays valid for open files and the FUSE inode table, but
  // reads and writes fail with ENODEV as kernfs' deactivated nodes do.
  bool removed() const { return m_removed; }
  // Path from the tree root, without a leading slash ("bus/ap/apmask").
  std::string path() const;

 protected:
  Node(Kind kind, uint64_t ino, uint16_t mode) : m_ino(ino), m_kind(kind), m_mode(mode) {}
  std::string_view m_name;

 private:
  friend class Directory;
  uint64_t m_ino;
  Directory* m_parent = nullptr;
  Kind m_kind;
  bool m_removed = false;
  uint16_t m_mode;
};

class Attribute final : public Node {
 public:
  Attribute(uint64_t ino, const AttrOps& ops, void* obj) : Node(Kind::Attr, ino, ops.mode), m_ops(&ops), m_obj(obj) {
    m_name = ops.name;
  }
  // Kernel: sysfs_kf_seq_show(): EIO without a show method, text capped.
  Result<std::string> show() const;
  // Kernel: kernfs_fop_write_iter() + sysfs_kf_write(): an empty write never
  // reaches store(); at most one page is passed. A store that returned
  // WAIT_FOR_CHANGE is called again with `again`, even if it removed its own
  // file meanwhile (as device_remove_file_self() lets the kernel's do).
  Result<size_t> store(std::string_view buf, bool again = false) const;
  bool has_show() const { return m_ops->show != nullptr; }
  bool has_store() const { return m_ops->store != nullptr; }

 private:
  const AttrOps* m_ops;
  void* m_obj;
};

class Symlink final : public Node {
 public:
  Symlink(uint64_t ino, std::string name, std::shared_ptr<Node> target)
      : Node(Kind::Link, ino, 0777), m_own_name(std::move(name)), m_target(std::move(target)) {
    m_name = m_own_name;
  }
  // Kernel: kernfs_get_target_path(): "../" up to the common ancestor, then
  // down to the target.
  std::string target_path() const;
  std::shared_ptr<Node> target() const { return m_target.lock(); }

 private:
  std::string m_own_name;
  std::weak_ptr<Node> m_target;
};

class Directory final : public Node {
 public:
  Directory(Tree& tree, uint64_t ino, std::string name) : Node(Kind::Dir, ino, 0755), m_tree(&tree), m_own_name(std::move(name)) {
    m_name = m_own_name;
  }
  ~Directory() override;

  Tree& tree() const { return *m_tree; }
  std::shared_ptr<Node> find(std::string_view name) const;
  Directory* find_dir(std::string_view name) const;
  // Calls f(node) for every child, in name order.
  template <typename F>
  void for_each_child(F&& f) const {
    for (auto& c : m_children)
      if (!c->removed()) f(*c);
  }
  size_t subdir_count() const;

  // Creating an existing name is a programming error (the kernel warns with
  // "cannot create duplicate filename"); it aborts.
  Directory& add_dir(std::string name);
  // Returns the existing directory of that name, or creates it.
  Directory& get_or_add_dir(std::string name);
  void add_attr(const AttrOps& ops, void* obj);
  void add_attrs(std::span<const AttrOps> group, void* obj);
  void remove_attrs(std::span<const AttrOps> group);
  void add_link(std::string name, const std::shared_ptr<Node>& target);
  // Removes `name` and everything below it; a missing name is ignored.
  void remove(std::string_view name);
  std::shared_ptr<Node> self() const;

 private:
  void insert(std::shared_ptr<Node> node);
  static void mark_removed(Node& n);
  Tree* m_tree;
  std::string m_own_name;
  // Sorted by name. A removed child keeps its slot until half the slots are
  // removed ones, so that emptying a large directory (65,536 queues leaving
  // a driver) costs linear, not quadratic, time.
  std::vector<std::shared_ptr<Node>> m_children;
  size_t m_removed = 0;
};

}  // namespace sysfs
