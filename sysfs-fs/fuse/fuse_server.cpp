#define FUSE_USE_VERSION 314
#include "sysfs-fs/fuse/fuse_server.h"

#include <fuse3/fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace sysfs {
namespace {

// Entries and attributes are cached by the kernel: nothing about a node
// changes but a directory's link count, and removals and link counts are
// invalidated explicitly before the change is reported done. Nothing
// negative is cached, so new entries show at once.
constexpr double TIMEOUT = 86400.0;

// Per-open state of an attribute, like a seq_file: the text of the last
// show() and where the last read ended. Reads of one open file may arrive
// concurrently (pread from several threads); `lock` serializes them as the
// seq_file mutex does.
struct OpenFile {
  std::shared_ptr<Node> node;
  std::mutex lock;
  std::string text;      // under `lock`
  size_t read_pos = 0;   // under `lock`
  bool filled = false;   // under `lock`
};

struct DirEntry {
  std::string name;
  uint64_t ino;
  mode_t type;
};

// Per-open state of a directory: the listing taken at offset 0, so that
// entries added or removed meanwhile neither repeat nor vanish.
struct OpenDir {
  std::vector<DirEntry> entries;
};

// The open files (or directories) of a mount, by file handle. A RELEASE
// the kernel still had queued when the mount went away never arrives; what
// is left is freed with the server.
template <class T>
class Handles {
 public:
  uint64_t add(std::unique_ptr<T> h) {
    T* p = h.get();
    std::lock_guard g(m_lock);
    m_open.emplace(p, std::move(h));
    return reinterpret_cast<uint64_t>(p);
  }
  void remove(uint64_t fh) {
    std::lock_guard g(m_lock);
    m_open.erase(reinterpret_cast<T*>(fh));
  }
  static T& of(const fuse_file_info* fi) { return *reinterpret_cast<T*>(fi->fh); }

 private:
  std::mutex m_lock;
  std::unordered_map<T*, std::unique_ptr<T>> m_open;
};

mode_t type_bits(const Node& n) {
  switch (n.kind()) {
    case Kind::Dir: return S_IFDIR;
    case Kind::Link: return S_IFLNK;
    default: return S_IFREG;
  }
}

}  // namespace

struct FuseServer::Impl {
  FuseServer& server;
  Tree& tree;
  std::shared_mutex& lock;  // the model lock
  std::mutex inodes_lock;   // guards `inodes`, taken inside the model lock
  fuse_session* se = nullptr;
  std::string mountpoint;
  bool mounted = false;
  bool signals = false;
  // Who mounted it: nodes show as theirs, and they act as root in them,
  // as in a sysfs of their own. Root for a root mount, as on a real host.
  uid_t owner_uid = 0;
  gid_t owner_gid = 0;

  struct InodeRef {
    std::shared_ptr<Node> node;
    uint64_t nlookup;
  };
  // Nodes the kernel knows, with their lookup counts (under `lock`).
  std::unordered_map<uint64_t, InodeRef> inodes;
  Handles<OpenFile> files;
  Handles<OpenDir> dirs;

  Impl(FuseServer& s, Tree& t, std::shared_mutex& l) : server(s), tree(t), lock(l) {
    inodes.emplace(FUSE_ROOT_ID, InodeRef{tree.root_ptr(), 1});
  }

  static Impl& of(fuse_req_t req) { return *static_cast<Impl*>(fuse_req_userdata(req)); }
  static Cred cred(fuse_req_t req) {
    const fuse_ctx* c = fuse_req_ctx(req);
    if (c->uid == of(req).owner_uid) return Cred{0, 0};
    return Cred{c->uid, c->gid};
  }

  std::shared_ptr<Node> node(fuse_ino_t ino) {
    std::lock_guard g(inodes_lock);
    auto it = inodes.find(ino);
    return it == inodes.end() ? nullptr : it->second.node;
  }

  struct stat stat_of(const Node& n) const {
    struct stat st{};
    st.st_atim.tv_sec = st.st_mtim.tv_sec = st.st_ctim.tv_sec = tree.boot_time();
    st.st_ino = n.ino();
    st.st_mode = type_bits(n) | n.mode();
    st.st_uid = owner_uid;
    st.st_gid = owner_gid;
    st.st_blksize = 4096;
    switch (n.kind()) {
      case Kind::Dir:
        st.st_nlink = 2 + static_cast<const Directory&>(n).subdir_count();
        break;
      case Kind::Link:
        st.st_nlink = 1;
        st.st_size = static_cast<off_t>(static_cast<const Symlink&>(n).target_path().size());
        break;
      case Kind::Attr:
        st.st_nlink = 1;
        st.st_size = PAGE_SIZE;  // as sysfs reports for every attribute
        break;
    }
    return st;
  }

  fuse_entry_param entry_of(const std::shared_ptr<Node>& n) {
    {
      std::lock_guard g(inodes_lock);
      auto [it, inserted] = inodes.try_emplace(n->ino(), InodeRef{n, 0});
      ++it->second.nlookup;
    }
    fuse_entry_param e{};
    e.ino = n->ino();
    e.attr = stat_of(*n);
    e.entry_timeout = TIMEOUT;
    e.attr_timeout = TIMEOUT;
    return e;
  }

  void forget_one(fuse_ino_t ino, uint64_t n) {
    std::lock_guard g(inodes_lock);
    auto it = inodes.find(ino);
    if (it == inodes.end() || ino == FUSE_ROOT_ID) return;
    it->second.nlookup = it->second.nlookup > n ? it->second.nlookup - n : 0;
    if (it->second.nlookup == 0) inodes.erase(it);
  }

  // ------------------------------------------------------------ operations

  static void op_init(void*, fuse_conn_info* conn) {
    // O_TRUNC arrives with the open instead of a separate truncate.
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    // Link targets never change (a changed link is a new node).
    if (conn->capable & FUSE_CAP_CACHE_SYMLINKS) conn->want |= FUSE_CAP_CACHE_SYMLINKS;
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  }

  static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    Impl& s = of(req);
    std::shared_lock g(s.lock);
    auto p = s.node(parent);
    if (!p || p->removed()) return (void)fuse_reply_err(req, ENOENT);
    if (p->kind() != Kind::Dir) return (void)fuse_reply_err(req, ENOTDIR);
    auto child = static_cast<Directory&>(*p).find(name);
    if (!child) return (void)fuse_reply_err(req, ENOENT);
    // Replied under the lock: a removal cannot slip between the answer and
    // its invalidation (which then waits for the lookup to finish).
    fuse_entry_param e = s.entry_of(child);
    fuse_reply_entry(req, &e);
  }

  static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
    of(req).forget_one(ino, n);
    fuse_reply_none(req);
  }

  static void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    Impl& s = of(req);
    for (size_t i = 0; i < count; ++i) s.forget_one(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
  }

  static void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    Impl& s = of(req);
    struct stat st;
    {
      std::shared_lock g(s.lock);
      auto n = s.node(ino);
      if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
      st = s.stat_of(*n);
    }
    fuse_reply_attr(req, &st, TIMEOUT);
  }

  // Kernfs: truncation is accepted and ignored; root (the mount's owner)
  // may chmod; ownership stays the owner's.
  static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
    Impl& s = of(req);
    std::unique_lock g(s.lock);
    auto n = s.node(ino);
    if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
    Cred c = cred(req);
    // utimensat(): to "now" (NULL or UTIME_NOW) a non-owner needs write
    // permission (may_setattr(): EACCES); explicit times only the owner (or
    // CAP_FOWNER) may set (setattr_prepare(): EPERM). Every node is the mount
    // owner's, who acts as root.
    const bool now = to_set & (FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW);
    const bool explicit_time = ((to_set & FUSE_SET_ATTR_ATIME) && !(to_set & FUSE_SET_ATTR_ATIME_NOW)) ||
                               ((to_set & FUSE_SET_ATTR_MTIME) && !(to_set & FUSE_SET_ATTR_MTIME_NOW));
    if (c.uid != 0 && now && !explicit_time) {
      auto r = access_permission(*n, W_OK, c);
      if (!r) return (void)fuse_reply_err(req, r.error().code);
    }
    if (c.uid != 0 && explicit_time) return (void)fuse_reply_err(req, EPERM);
    if ((to_set & FUSE_SET_ATTR_SIZE) && n->kind() == Kind::Dir) return (void)fuse_reply_err(req, EISDIR);
    if (to_set & FUSE_SET_ATTR_SIZE) {
      auto r = open_permission(*n, false, true, c);
      if (!r) return (void)fuse_reply_err(req, r.error().code);
    }
    if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
        (c.uid != 0 || ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != s.owner_uid) ||
         ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != s.owner_gid)))
      return (void)fuse_reply_err(req, EPERM);
    if (to_set & FUSE_SET_ATTR_MODE) {
      if (c.uid != 0) return (void)fuse_reply_err(req, EPERM);
      if (n->kind() != Kind::Link) n->set_mode(static_cast<uint16_t>(attr->st_mode & 07777));
    }
    struct stat st = s.stat_of(*n);
    fuse_reply_attr(req, &st, TIMEOUT);
  }

  static void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    Impl& s = of(req);
    std::string target;
    {
      std::shared_lock g(s.lock);
      auto n = s.node(ino);
      if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
      if (n->kind() != Kind::Link) return (void)fuse_reply_err(req, EINVAL);
      target = static_cast<Symlink&>(*n).target_path();
    }
    fuse_reply_readlink(req, target.c_str());
  }

  static void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Impl& s = of(req);
    std::shared_ptr<Node> n;
    {
      std::shared_lock g(s.lock);
      n = s.node(ino);
      if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
      if (n->kind() == Kind::Dir) return (void)fuse_reply_err(req, EISDIR);
      int acc = fi->flags & O_ACCMODE;
      auto r = open_permission(*n, acc != O_WRONLY, acc != O_RDONLY, cred(req));
      if (!r) return (void)fuse_reply_err(req, r.error().code);
    }
    auto f = std::make_unique<OpenFile>();
    f->node = std::move(n);
    fi->fh = of(req).files.add(std::move(f));
    fi->direct_io = 1;  // content changes behind a constant st_size
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) != 0) of(req).files.remove(fi->fh);
  }

  static void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    Impl& s = of(req);
    auto* f = &Handles<OpenFile>::of(fi);
    size_t o = static_cast<size_t>(off);
    std::string reply;  // owned by this request: no other read can change it
    {
      std::lock_guard fg(f->lock);
      // seq_read_iter(): a read from offset 0, or from anywhere but where
      // the last one ended, runs show() again.
      if (!f->filled || o == 0 || o != f->read_pos) {
        std::shared_lock g(s.lock);
        auto text = static_cast<Attribute&>(*f->node).show();
        if (!text) return (void)fuse_reply_err(req, text.error().code);
        f->text = std::move(*text);
        f->filled = true;
      }
      if (o < f->text.size()) reply.assign(f->text, o, std::min(size, f->text.size() - o));
      f->read_pos = o + reply.size();
    }
    fuse_reply_buf(req, reply.data(), reply.size());
  }

  static void op_write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t, fuse_file_info* fi) {
    Impl& s = of(req);
    auto* f = &Handles<OpenFile>::of(fi);
    for (bool again = false;; again = true) {
      uint64_t gen = 0;
      auto r = s.server.mutate([&] {
        gen = s.server.generation();
        return static_cast<Attribute&>(*f->node).store(std::string_view(buf, size), again);
      });
      // A store that blocks in the kernel (mdev remove of an open device)
      // is tried again when anything changes, and every ten seconds.
      if (!r && r.error() == WAIT_FOR_CHANGE) {
        s.server.wait_for_change(gen + 1, std::chrono::seconds(10));
        continue;
      }
      if (!r) return (void)fuse_reply_err(req, r.error().code);
      return (void)fuse_reply_write(req, *r);
    }
  }

  // Turning flush off once saves a round trip on every close.
  static void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, ENOSYS); }

  static void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    of(req).files.remove(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Impl& s = of(req);
    {
      std::shared_lock g(s.lock);
      auto n = s.node(ino);
      if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
      if (n->kind() != Kind::Dir) return (void)fuse_reply_err(req, ENOTDIR);
      auto r = open_permission(*n, true, false, cred(req));
      if (!r) return (void)fuse_reply_err(req, r.error().code);
    }
    fi->fh = of(req).dirs.add(std::make_unique<OpenDir>());
    if (fuse_reply_open(req, fi) != 0) of(req).dirs.remove(fi->fh);
  }

  static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    Impl& s = of(req);
    auto* d = &Handles<OpenDir>::of(fi);
    if (off == 0) {
      std::shared_lock g(s.lock);
      auto n = s.node(ino);
      if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
      auto& dir = static_cast<Directory&>(*n);
      d->entries.clear();
      d->entries.push_back({".", dir.ino(), S_IFDIR});
      d->entries.push_back({"..", dir.parent() ? dir.parent()->ino() : dir.ino(), S_IFDIR});
      dir.for_each_child([&](const Node& c) { d->entries.push_back({std::string(c.name()), c.ino(), type_bits(c)}); });
    }
    std::string buf(size, '\0');
    size_t used = 0;
    for (size_t i = static_cast<size_t>(off); i < d->entries.size(); ++i) {
      struct stat st{};
      st.st_ino = d->entries[i].ino;
      st.st_mode = d->entries[i].type;
      size_t len = fuse_add_direntry(req, buf.data() + used, size - used, d->entries[i].name.c_str(), &st,
                                     static_cast<off_t>(i + 1));
      if (len > size - used) break;
      used += len;
    }
    fuse_reply_buf(req, buf.data(), used);
  }

  static void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    of(req).dirs.remove(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void op_access(fuse_req_t req, fuse_ino_t ino, int mask) {
    Impl& s = of(req);
    std::shared_lock g(s.lock);
    auto n = s.node(ino);
    if (!n || n->removed()) return (void)fuse_reply_err(req, ENOENT);
    auto r = access_permission(*n, mask, cred(req));
    fuse_reply_err(req, r ? 0 : r.error().code);
  }

  // Kernfs directories cannot create files (vfs_create: EACCES) and refuse
  // every other namespace change with EPERM.
  static void op_create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { fuse_reply_err(req, EACCES); }
  static void op_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { fuse_reply_err(req, EPERM); }
  static void op_mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { fuse_reply_err(req, EPERM); }
  static void op_unlink(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
  static void op_symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
  static void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
  static void op_rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) { fuse_reply_err(req, EPERM); }

  static void op_statfs(fuse_req_t req, fuse_ino_t) {
    struct statvfs sv{};
    sv.f_bsize = 4096;
    sv.f_frsize = 4096;
    sv.f_namemax = 255;
    fuse_reply_statfs(req, &sv);
  }

  static const fuse_lowlevel_ops ops;
};

const fuse_lowlevel_ops FuseServer::Impl::ops = [] {
  fuse_lowlevel_ops o{};
  o.init = op_init;
  o.lookup = op_lookup;
  o.forget = op_forget;
  o.forget_multi = op_forget_multi;
  o.getattr = op_getattr;
  o.setattr = op_setattr;
  o.readlink = op_readlink;
  o.open = op_open;
  o.read = op_read;
  o.write = op_write;
  o.flush = op_flush;
  o.release = op_release;
  o.opendir = op_opendir;
  o.readdir = op_readdir;
  o.releasedir = op_releasedir;
  o.access = op_access;
  o.create = op_create;
  o.mknod = op_mknod;
  o.mkdir = op_mkdir;
  o.unlink = op_unlink;
  o.rmdir = op_unlink;
  o.symlink = op_symlink;
  o.link = op_link;
  o.rename = op_rename;
  o.statfs = op_statfs;
  return o;
}();

FuseServer::FuseServer(Tree& tree, std::shared_mutex& model_lock)
    : m_impl(std::make_unique<Impl>(*this, tree, model_lock)), m_model_lock(model_lock) {
  // What changed before the mount cannot be in the kernel's cache.
  std::lock_guard g(model_lock);
  tree.take_removals();
  tree.take_changed_dirs();
}

FuseServer::~FuseServer() {
  unmount();
  if (m_impl->signals) fuse_remove_signal_handlers(m_impl->se);
  if (m_impl->se) fuse_session_destroy(m_impl->se);
}

bool FuseServer::mount(const std::string& mountpoint, std::string& error, bool handle_signals) {
  std::vector<std::string> argv = {"mdevsim", "-o", "fsname=sysfs,subtype=mdevsim"};
  if (geteuid() == 0) argv.insert(argv.end(), {"-o", "allow_other"});
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
  m_impl->owner_uid = geteuid();
  m_impl->owner_gid = getegid();
  m_impl->se = fuse_session_new(&args, &Impl::ops, sizeof(Impl::ops), m_impl.get());
  fuse_opt_free_args(&args);  // the session keeps what it parsed
  if (!m_impl->se) {
    error = "cannot create a FUSE session";
    return false;
  }
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    error = std::string("/dev/fuse: ") + std::strerror(errno);
    return false;
  }
  if (fuse_session_mount(m_impl->se, mountpoint.c_str()) != 0) {
    error = "cannot mount on " + mountpoint + " (see the message above)";
    return false;
  }
  if (handle_signals) fuse_set_signal_handlers(m_impl->se);
  m_impl->signals = handle_signals;
  m_impl->mountpoint = mountpoint;
  m_impl->mounted = true;
  return true;
}

void FuseServer::loop() {
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(cfg, 0);
  fuse_loop_cfg_set_max_threads(cfg, 16);
  fuse_session_loop_mt(m_impl->se, cfg);
  fuse_loop_cfg_destroy(cfg);
}

void FuseServer::exit() {
  if (m_impl->se) fuse_session_exit(m_impl->se);
}

void FuseServer::unmount() {
  if (m_impl->mounted) {
    fuse_session_unmount(m_impl->se);
    m_impl->mounted = false;
  }
}

void FuseServer::changed(uint64_t gen) {
  {
    std::lock_guard g(m_changed_lock);
    m_changed_gen = std::max(m_changed_gen, gen);
  }
  m_changed_cv.notify_all();
}

void FuseServer::wait_for_change(uint64_t gen, std::chrono::milliseconds timeout) {
  std::unique_lock g(m_changed_lock);
  m_changed_cv.wait_for(g, timeout, [&] { return m_changed_gen > gen; });
}

// Only what the kernel knows needs invalidating.
std::vector<FuseServer::Inval> FuseServer::take_invalidations() {
  std::vector<Inval> out;
  std::lock_guard g(m_impl->inodes_lock);
  auto& known = m_impl->inodes;
  for (auto& r : m_impl->tree.take_removals())
    if (known.count(r.child_ino) && known.count(r.parent_ino)) out.push_back({r.parent_ino, r.name});
  for (uint64_t dir : m_impl->tree.take_changed_dirs())
    if (known.count(dir)) out.push_back({dir, {}});
  return out;
}

void FuseServer::send_invalidations(const std::vector<Inval>& inval) {
  if (!m_impl->se) return;
  for (auto& i : inval) {
    if (i.name.empty())
      fuse_lowlevel_notify_inval_inode(m_impl->se, i.parent, -1, 0);  // attributes only
    else
      fuse_lowlevel_notify_inval_entry(m_impl->se, i.parent, i.name.c_str(), i.name.size());
  }
}

}  // namespace sysfs
