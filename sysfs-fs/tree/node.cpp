#include "sysfs-fs/tree/node.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "sysfs-fs/tree/tree.h"

namespace sysfs {
namespace {

bool name_less(const std::shared_ptr<Node>& n, std::string_view name) { return n->name() < name; }

}  // namespace

std::string Node::path() const {
  std::vector<std::string_view> parts;
  for (const Node* n = this; n->m_parent; n = n->m_parent) parts.push_back(n->m_name);
  std::string p;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!p.empty()) p += '/';
    p += *it;
  }
  return p;
}

Result<std::string> Attribute::show() const {
  if (removed()) return Errno{ENODEV};
  if (!m_ops->show) return Errno{EIO};
  auto text = m_ops->show(m_obj);
  if (text && text->size() > SHOW_MAX) text->resize(SHOW_MAX);
  return text;
}

Result<size_t> Attribute::store(std::string_view buf, bool again) const {
  if (removed() && !again) return Errno{ENODEV};
  buf = buf.substr(0, PAGE_SIZE);
  if (buf.empty()) return size_t{0};
  if (!m_ops->store) return Errno{EIO};
  return m_ops->store(m_obj, buf);
}

std::string Symlink::target_path() const {
  auto target = m_target.lock();
  if (!target) return {};
  // Ancestor chains, root first.
  auto chain = [](const Node* n) {
    std::vector<const Node*> v;
    for (; n; n = n->parent()) v.push_back(n);
    std::reverse(v.begin(), v.end());
    return v;
  };
  auto from = chain(parent());
  auto to = chain(target.get());
  // The base is searched among the target's *strict* ancestors, as the
  // kernel starts from target->parent: a link to its own directory or to an
  // ancestor goes up past it and names it ("device -> ../../../<parent>").
  size_t common = 0;
  while (common < from.size() && common + 1 < to.size() && from[common] == to[common]) ++common;
  std::string p;
  for (size_t i = common; i < from.size(); ++i) p += "../";
  for (size_t i = common; i < to.size(); ++i) {
    p += to[i]->name();
    if (i + 1 < to.size()) p += '/';
  }
  return p;
}

Directory::~Directory() = default;

std::shared_ptr<Node> Directory::find(std::string_view name) const {
  auto it = std::lower_bound(m_children.begin(), m_children.end(), name, name_less);
  if (it == m_children.end() || (*it)->name() != name || (*it)->removed()) return nullptr;
  return *it;
}

Directory* Directory::find_dir(std::string_view name) const {
  auto n = find(name);
  return n && n->kind() == Kind::Dir ? static_cast<Directory*>(n.get()) : nullptr;
}

size_t Directory::subdir_count() const {
  size_t n = 0;
  for_each_child([&](const Node& c) { n += c.kind() == Kind::Dir; });
  return n;
}

void Directory::insert(std::shared_ptr<Node> node) {
  auto it = std::lower_bound(m_children.begin(), m_children.end(), node->name(), name_less);
  bool reuse = it != m_children.end() && (*it)->name() == node->name();
  if (reuse && !(*it)->removed()) {
    std::fprintf(stderr, "sysfs: cannot create duplicate filename '%s/%.*s'\n", path().c_str(),
                 static_cast<int>(node->name().size()), node->name().data());
    std::abort();
  }
  node->m_parent = this;
  if (node->kind() == Kind::Dir) m_tree->note_dir_changed(*this);
  if (reuse) {
    *it = std::move(node);  // the slot of a removed namesake
    --m_removed;
  } else {
    m_children.insert(it, std::move(node));
  }
}

Directory& Directory::add_dir(std::string name) {
  auto dir = std::make_shared<Directory>(*m_tree, m_tree->alloc_ino(), std::move(name));
  Directory& ref = *dir;
  insert(std::move(dir));
  return ref;
}

Directory& Directory::get_or_add_dir(std::string name) {
  if (Directory* d = find_dir(name)) return *d;
  return add_dir(std::move(name));
}

void Directory::add_attr(const AttrOps& ops, void* obj) {
  insert(std::make_shared<Attribute>(m_tree->alloc_ino(), ops, obj));
}

void Directory::add_attrs(std::span<const AttrOps> group, void* obj) {
  for (const AttrOps& a : group) add_attr(a, obj);
}

void Directory::remove_attrs(std::span<const AttrOps> group) {
  for (const AttrOps& a : group) remove(a.name);
}

void Directory::add_link(std::string name, const std::shared_ptr<Node>& target) {
  insert(std::make_shared<Symlink>(m_tree->alloc_ino(), std::move(name), target));
}

void Directory::remove(std::string_view name) {
  auto it = std::lower_bound(m_children.begin(), m_children.end(), name, name_less);
  if (it == m_children.end() || (*it)->name() != name || (*it)->removed()) return;
  m_tree->note_removal(*this, **it);
  if ((*it)->kind() == Kind::Dir) m_tree->note_dir_changed(*this);
  mark_removed(**it);
  if (++m_removed * 2 > m_children.size()) {
    std::erase_if(m_children, [](auto& c) { return c->removed(); });
    m_removed = 0;
  }
}

// Marks a subtree removed so open files see ENODEV, and cuts the parent
// links: the FUSE inode table may keep a node alive longer than its parent.
void Directory::mark_removed(Node& n) {
  if (n.kind() == Kind::Dir)
    for (auto& c : static_cast<Directory&>(n).m_children)
      if (!c->removed()) mark_removed(*c);
  n.m_removed = true;
  n.m_parent = nullptr;
}

std::shared_ptr<Node> Directory::self() const {
  if (!parent()) return m_tree->root_ptr();
  return parent()->find(name());
}

}  // namespace sysfs
