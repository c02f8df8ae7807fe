// The generic sysfs tree: structure, kernfs-style symlinks, path walk,
// open/access permissions and the show/store page rules (spec §1,
// kernel-facts §8). Nothing here knows about s390.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "sysfs-fs/tree/tree.h"

namespace {

using sysfs::AttrOps;
using sysfs::Cred;
using sysfs::Directory;
using sysfs::Kind;
using sysfs::Node;
using sysfs::Tree;
using base::Errno;
using base::Result;

// A kernel object with one text value; store() records what it received.
struct Obj {
  std::string text = "hello\n";
  std::string stored;
  int stores = 0;
  int fail = 0;  // errno returned by show/store when non-zero
};
Result<std::string> val_show(Obj& o) {
  if (o.fail) return Errno{o.fail};
  return o.text;
}
Result<size_t> val_store(Obj& o, std::string_view buf) {
  ++o.stores;
  if (o.fail) return Errno{o.fail};
  o.stored = std::string(buf);
  return buf.size();
}

const AttrOps kRw = SYSFS_ATTR_RW(Obj, val);  // named "val"
const AttrOps kRo{"ro", 0444, sysfs::show_thunk<Obj, val_show>, nullptr};
const AttrOps kWo{"wo", 0200, nullptr, sysfs::store_thunk<Obj, val_store>};
const AttrOps kGroup[] = {
    {"g1", 0444, sysfs::show_thunk<Obj, val_show>, nullptr},
    {"g2", 0644, sysfs::show_thunk<Obj, val_show>, sysfs::store_thunk<Obj, val_store>},
};

const Cred kRoot{0, 0};
const Cred kUser{1000, 1000};
const Cred kUserGid0{1000, 0};

template <typename T>
int err(const Result<T>& r) {
  return r ? 0 : r.error().code;
}

// A little of /sys: devices/ap/card05/05.0004, bus/ap/{devices,drivers}.
struct SysfsTest : ::testing::Test {
  Tree tree;
  Obj obj;
  Directory& devices = tree.root().add_dir("devices");
  Directory& ap = devices.add_dir("ap");
  Directory& card = ap.add_dir("card05");
  Directory& queue = card.add_dir("05.0004");
  Directory& bus_ap = tree.root().add_dir("bus").add_dir("ap");
  Directory& bus_devices = bus_ap.add_dir("devices");
  Directory& cex4card = bus_ap.add_dir("drivers").add_dir("cex4card");
  Directory& module_ap = tree.root().add_dir("module").add_dir("ap");

  void SetUp() override {
    card.add_attr(kRw, &obj);
    card.add_attr(kRo, &obj);
    card.add_attr(kWo, &obj);
    bus_devices.add_link("card05", card.self());
    bus_devices.add_link("05.0004", queue.self());
    card.add_link("subsystem", bus_ap.self());
    queue.add_link("subsystem", bus_ap.self());
    card.add_link("driver", cex4card.self());
    cex4card.add_link("card05", card.self());
    ap.add_link("module", module_ap.self());
  }
  std::shared_ptr<Node> at(std::string_view path, bool follow = true) {
    auto r = tree.lookup(path, follow);
    EXPECT_TRUE(r) << path << ": errno " << err(r);
    return r ? *r : nullptr;
  }
  sysfs::Attribute& attr(std::string_view path) { return static_cast<sysfs::Attribute&>(*at(path)); }
};

TEST_F(SysfsTest, ChildrenAreSortedAndFound) {
  Directory& d = tree.root().add_dir("sorted");
  d.add_dir("m");
  d.add_attr(kRo, &obj);        // "ro"
  d.add_link("b", card.self());
  d.add_attr(kRw, &obj);        // "val"
  d.add_dir("a");
  d.add_link("Z", card.self());  // byte order: upper case first
  auto names = tree.list("sorted");
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"Z", "a", "b", "m", "ro", "val"}));
  EXPECT_EQ(d.subdir_count(), 2u);
  EXPECT_EQ(d.find("ro")->kind(), Kind::Attr);
  EXPECT_EQ(d.find("b")->kind(), Kind::Link);
  EXPECT_EQ(d.find_dir("m")->name(), "m");
  EXPECT_EQ(d.find_dir("ro"), nullptr);  // not a directory
  EXPECT_EQ(d.find("nope"), nullptr);
  EXPECT_EQ(&d.get_or_add_dir("m"), d.find_dir("m"));
  EXPECT_EQ(d.get_or_add_dir("new").name(), "new");
  EXPECT_EQ(d.subdir_count(), 3u);

  auto top = tree.list("");
  ASSERT_TRUE(top);
  EXPECT_EQ(*top, (std::vector<std::string>{"bus", "devices", "module", "sorted"}));
}

TEST_F(SysfsTest, NodeBasics) {
  EXPECT_EQ(tree.root().ino(), 1u);  // FUSE_ROOT_ID
  EXPECT_EQ(tree.root().path(), "");
  EXPECT_EQ(queue.path(), "devices/ap/card05/05.0004");
  EXPECT_EQ(at("devices/ap/card05/val")->path(), "devices/ap/card05/val");
  EXPECT_EQ(tree.root().self(), tree.root_ptr());
  EXPECT_EQ(card.self().get(), &card);
  EXPECT_EQ(card.parent(), &ap);
  EXPECT_NE(card.ino(), queue.ino());
  EXPECT_EQ(card.mode(), 0755);
  EXPECT_EQ(at("devices/ap/card05/val")->mode(), 0644);
  EXPECT_EQ(at("devices/ap/card05/ro")->mode(), 0444);
  EXPECT_EQ(at("devices/ap/card05/wo")->mode(), 0200);
  EXPECT_EQ(at("devices/ap/module", false)->mode(), 0777);
  // inode numbers are never reused
  uint64_t before = tree.alloc_ino();
  card.remove("val");
  card.add_attr(kRw, &obj);
  EXPECT_GT(at("devices/ap/card05/val")->ino(), before);
}

TEST_F(SysfsTest, DuplicateNameAborts) {
  EXPECT_DEATH(card.add_dir("05.0004"), "cannot create duplicate filename");
}

// kernfs_get_target_path(): "../" from the link's directory up to the first
// common ancestor that is a *strict* ancestor of the target, then down.
TEST_F(SysfsTest, SymlinkTargetPaths) {
  Directory& drvq = bus_ap.find_dir("drivers")->add_dir("cex4queue");
  drvq.add_link("05.0004", queue.self());
  queue.add_link("driver", drvq.self());
  card.add_link("peer", queue.self());       // target inside the link's directory
  queue.add_link("parent", card.self());     // target is an ancestor (like a class "device" link)
  ap.add_link("self", ap.self());            // target is the link's own directory
  tree.root().add_link("toplink", ap.self());  // link at the root
  struct Case {
    const char* link;
    const char* target;
  };
  const Case cases[] = {
      {"bus/ap/devices/card05", "../../../devices/ap/card05"},
      {"bus/ap/devices/05.0004", "../../../devices/ap/card05/05.0004"},
      {"devices/ap/card05/subsystem", "../../../bus/ap"},
      {"devices/ap/card05/05.0004/subsystem", "../../../../bus/ap"},
      {"devices/ap/card05/driver", "../../../bus/ap/drivers/cex4card"},
      {"devices/ap/card05/05.0004/driver", "../../../../bus/ap/drivers/cex4queue"},
      {"bus/ap/drivers/cex4queue/05.0004", "../../../../devices/ap/card05/05.0004"},
      {"bus/ap/drivers/cex4card/card05", "../../../../devices/ap/card05"},
      {"devices/ap/module", "../../module/ap"},
      {"devices/ap/card05/peer", "05.0004"},
      {"devices/ap/card05/05.0004/parent", "../../card05"},
      {"devices/ap/self", "../ap"},
      {"toplink", "devices/ap"},
  };
  for (const auto& c : cases) {
    auto link = tree.lookup(c.link, false);
    ASSERT_TRUE(link) << c.link;
    ASSERT_EQ((*link)->kind(), Kind::Link) << c.link;
    EXPECT_EQ(static_cast<sysfs::Symlink&>(**link).target_path(), c.target) << c.link;
    auto text = tree.readlink(c.link);
    ASSERT_TRUE(text) << c.link;
    EXPECT_EQ(*text, c.target) << c.link;
    // Following the link reaches the very node it names.
    EXPECT_EQ(at(c.link).get(), static_cast<sysfs::Symlink&>(**link).target().get()) << c.link;
  }
  EXPECT_EQ(err(tree.readlink("devices/ap/card05")), EINVAL);  // not a link
  EXPECT_EQ(err(tree.readlink("devices/ap/nope")), ENOENT);
}

TEST_F(SysfsTest, LookupWalksLikePathWalk) {
  struct Case {
    const char* path;
    const Node* want;  // nullptr: expect `error`
    int error;
  };
  const Node* val = card.find("val").get();
  const Case cases[] = {
      {"", &tree.root(), 0},
      {"/", &tree.root(), 0},
      {"devices/ap/card05", &card, 0},
      {"/devices//ap/./card05/", &card, 0},
      {"bus/ap/devices/card05", &card, 0},                   // last component followed
      {"bus/ap/devices/card05/val", val, 0},                 // intermediate link
      {"bus/ap/devices/05.0004/subsystem/devices/card05/val", val, 0},  // two links
      {"bus/ap/devices/card05/..", &ap, 0},                  // ".." of the target, not of the link
      {"bus/ap/devices/card05/../card05/05.0004", &queue, 0},
      {"devices/ap/card05/../../../bus", bus_ap.parent(), 0},
      {"..", &tree.root(), 0},                               // ".." at the root stays there
      {"../devices/..", &tree.root(), 0},
      {"devices/ap/nope", nullptr, ENOENT},
      {"bus/ap/devices/card05/nope", nullptr, ENOENT},
      {"devices/ap/card05/val/x", nullptr, ENOTDIR},
      {"bus/ap/devices/card05/val/..", nullptr, ENOTDIR},
  };
  for (const auto& c : cases) {
    auto r = tree.lookup(c.path);
    if (c.want) {
      ASSERT_TRUE(r) << c.path << ": errno " << err(r);
      EXPECT_EQ(r->get(), c.want) << c.path;
    } else {
      EXPECT_EQ(err(r), c.error) << c.path;
    }
  }
  // Without following the last component the link itself is returned, but
  // intermediate links are still followed.
  EXPECT_EQ(at("bus/ap/devices/card05", false)->kind(), Kind::Link);
  EXPECT_EQ(at("bus/ap/devices/card05/subsystem", false)->kind(), Kind::Link);
  EXPECT_EQ(at("bus/ap/devices/card05/subsystem/devices", false).get(), &bus_devices);
}

TEST_F(SysfsTest, LookupStopsAfterFortyLinks) {
  ap.add_link("self", ap.self());
  std::string path = "devices/ap";
  for (int i = 0; i < 40; ++i) path += "/self";
  EXPECT_EQ(at(path).get(), &ap);  // MAXSYMLINKS = 40 is still fine
  EXPECT_EQ(err(tree.lookup(path + "/self")), ELOOP);
}

TEST_F(SysfsTest, ReadWriteThroughTree) {
  EXPECT_EQ(*tree.read("devices/ap/card05/val"), "hello\n");
  EXPECT_EQ(*tree.read("bus/ap/devices/card05/ro"), "hello\n");
  EXPECT_EQ(*tree.write("devices/ap/card05/val", "1\n"), 2u);
  EXPECT_EQ(obj.stored, "1\n");
  EXPECT_EQ(*tree.write("devices/ap/card05/wo", "xyz"), 3u);
  EXPECT_EQ(obj.stored, "xyz");
  EXPECT_EQ(err(tree.read("devices/ap/card05")), EISDIR);
  EXPECT_EQ(err(tree.write("devices/ap/card05", "1")), EISDIR);
  EXPECT_EQ(err(tree.read("devices/ap/nope")), ENOENT);
  // errors from show/store come back unchanged
  obj.fail = ENXIO;
  EXPECT_EQ(err(tree.read("devices/ap/card05/val")), ENXIO);
  EXPECT_EQ(err(tree.write("devices/ap/card05/val", "1")), ENXIO);
}

// kernfs_fop_open() after generic_permission(): root bypasses the owner,
// group and other bits, but a write needs some write bit in the mode and a
// read some read bit, even for root. Everything is owned by root:root.
TEST(Permissions, Open) {
  struct Case {
    uint16_t mode;
    Cred cred;
    bool read, write;
    int error;
  };
  const Case cases[] = {
      {0444, kRoot, true, false, 0},
      {0444, kRoot, false, true, EACCES},
      {0444, kRoot, true, true, EACCES},
      {0200, kRoot, false, true, 0},
      {0200, kRoot, true, false, EACCES},
      {0200, kRoot, true, true, EACCES},
      {0644, kRoot, true, true, 0},
      {0004, kRoot, true, false, 0},   // any read bit will do for root
      {0020, kRoot, false, true, 0},   // any write bit will do for root
      {0000, kRoot, true, false, EACCES},
      {0000, kRoot, false, true, EACCES},
      // others (not uid 0, not gid 0) use the 'other' bits
      {0644, kUser, true, false, 0},
      {0644, kUser, false, true, EACCES},
      {0640, kUser, true, false, EACCES},
      {0604, kUser, true, false, 0},
      {0666, kUser, false, true, 0},
      {0662, kUser, false, true, 0},
      {0200, kUser, false, true, EACCES},
      {0444, kUser, false, true, EACCES},
      // gid 0 uses the group bits
      {0640, kUserGid0, true, false, 0},
      {0604, kUserGid0, true, false, EACCES},
      {0660, kUserGid0, false, true, 0},
      {0644, kUserGid0, false, true, EACCES},
  };
  Tree tree;
  Obj obj;
  tree.root().add_attr(kRw, &obj);
  Node& n = *tree.root().find("val");
  for (const auto& c : cases) {
    n.set_mode(c.mode);
    auto r = sysfs::open_permission(n, c.read, c.write, c.cred);
    EXPECT_EQ(err(r), c.error) << std::oct << "mode 0" << c.mode << std::dec << " uid " << c.cred.uid << " gid "
                               << c.cred.gid << " r" << c.read << " w" << c.write;
  }
}

TEST_F(SysfsTest, TreeReadWriteCheckOpenPermission) {
  EXPECT_EQ(err(tree.write("devices/ap/card05/ro", "1")), EACCES);  // root, 0444
  EXPECT_EQ(err(tree.read("devices/ap/card05/wo")), EACCES);        // root, 0200
  EXPECT_EQ(err(tree.read("devices/ap/card05/val", kUser)), 0);
  EXPECT_EQ(err(tree.write("devices/ap/card05/val", "1", kUser)), EACCES);
  EXPECT_EQ(obj.stores, 0);
}

// access(2): generic_permission() alone. Root passes R_OK and W_OK on any
// node, X_OK only where some execute bit is set (directories always pass).
TEST(Permissions, Access) {
  struct Case {
    bool dir;
    uint16_t mode;
    Cred cred;
    int mask;
    int error;
  };
  const Case cases[] = {
      {false, 0444, kRoot, W_OK, 0},
      {false, 0444, kRoot, R_OK | W_OK, 0},
      {false, 0200, kRoot, R_OK, 0},
      {false, 0000, kRoot, R_OK | W_OK, 0},
      {false, 0644, kRoot, X_OK, EACCES},
      {false, 0744, kRoot, X_OK, 0},
      {false, 0645, kRoot, X_OK, 0},
      {false, 0644, kRoot, F_OK, 0},
      {true, 0755, kRoot, X_OK, 0},
      {true, 0000, kRoot, R_OK | W_OK | X_OK, 0},
      {false, 0644, kUser, R_OK, 0},
      {false, 0644, kUser, W_OK, EACCES},
      {false, 0666, kUser, R_OK | W_OK, 0},
      {false, 0640, kUser, R_OK, EACCES},
      {false, 0640, kUserGid0, R_OK, 0},
      {false, 0200, kUser, W_OK, EACCES},
      {false, 0755, kUser, X_OK, 0},
      {true, 0755, kUser, R_OK | X_OK, 0},
      {true, 0755, kUser, W_OK, EACCES},
      {true, 0750, kUser, X_OK, EACCES},
      {true, 0750, kUserGid0, X_OK, 0},
  };
  Tree tree;
  Obj obj;
  tree.root().add_attr(kRw, &obj);
  tree.root().add_dir("d");
  for (const auto& c : cases) {
    Node& n = *tree.root().find(c.dir ? "d" : "val");
    n.set_mode(c.mode);
    EXPECT_EQ(err(sysfs::access_permission(n, c.mask, c.cred)), c.error)
        << (c.dir ? "dir" : "file") << std::oct << " mode 0" << c.mode << std::dec << " uid " << c.cred.uid
        << " gid " << c.cred.gid << " mask " << c.mask;
  }
}

// sysfs_kf_seq_show(): output beyond PAGE_SIZE - 1 characters is cut off.
TEST_F(SysfsTest, ShowIsCappedAt4095) {
  struct Case {
    size_t len, want;
  };
  const Case cases[] = {{0, 0}, {4094, 4094}, {4095, 4095}, {4096, 4095}, {10000, 4095}};
  for (const auto& c : cases) {
    obj.text = std::string(c.len, 'x');
    auto r = attr("devices/ap/card05/val").show();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), c.want) << c.len;
  }
}

// kernfs_fop_write_iter() + sysfs_kf_write(): at most one page reaches
// store(); an empty write returns 0 without calling it.
TEST_F(SysfsTest, StoreGetsAtMostOnePage) {
  struct Case {
    size_t len, want;
  };
  const Case cases[] = {{1, 1}, {4095, 4095}, {4096, 4096}, {4097, 4096}, {9000, 4096}};
  for (const auto& c : cases) {
    auto r = attr("devices/ap/card05/val").store(std::string(c.len, 'y'));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, c.want);
    EXPECT_EQ(obj.stored.size(), c.want);
  }
  int stores = obj.stores;
  EXPECT_EQ(*attr("devices/ap/card05/val").store(""), 0u);
  EXPECT_EQ(*tree.write("devices/ap/card05/wo", ""), 0u);
  EXPECT_EQ(obj.stores, stores);
}

// dev_attr_show/store(): a chmod'ed attribute without the method gives EIO
// (after the open check passed). An empty write still returns 0.
TEST_F(SysfsTest, MissingShowOrStoreIsEio) {
  at("devices/ap/card05/ro")->set_mode(0644);
  at("devices/ap/card05/wo")->set_mode(0644);
  EXPECT_EQ(err(tree.write("devices/ap/card05/ro", "1")), EIO);
  EXPECT_EQ(err(tree.read("devices/ap/card05/wo")), EIO);
  EXPECT_EQ(*tree.write("devices/ap/card05/ro", ""), 0u);
  EXPECT_EQ(*tree.read("devices/ap/card05/ro"), "hello\n");
  EXPECT_FALSE(attr("devices/ap/card05/ro").has_store());
  EXPECT_FALSE(attr("devices/ap/card05/wo").has_show());
  EXPECT_TRUE(attr("devices/ap/card05/val").has_show());
  EXPECT_TRUE(attr("devices/ap/card05/val").has_store());
}

// Removed kernfs nodes are deactivated: open files get ENODEV.
TEST_F(SysfsTest, RemovedNodesGiveEnodev) {
  auto val = std::static_pointer_cast<sysfs::Attribute>(at("devices/ap/card05/val"));
  auto q = at("devices/ap/card05/05.0004");
  (void)tree.take_removals();
  ap.remove("card05");
  EXPECT_TRUE(val->removed());
  EXPECT_TRUE(q->removed());
  EXPECT_EQ(val->parent(), nullptr);
  EXPECT_EQ(err(val->show()), ENODEV);
  EXPECT_EQ(err(val->store("1")), ENODEV);
  EXPECT_EQ(err(val->store("")), ENODEV);
  EXPECT_EQ(obj.stores, 0);
  EXPECT_EQ(err(tree.lookup("devices/ap/card05")), ENOENT);
  EXPECT_EQ(err(tree.read("devices/ap/card05/val")), ENOENT);
  // a link left pointing at the removed directory leads nowhere
  EXPECT_EQ(err(tree.lookup("bus/ap/devices/card05")), ENOENT);
  EXPECT_EQ(err(tree.lookup("bus/ap/devices/card05/val")), ENOENT);
  EXPECT_EQ(at("bus/ap/devices/card05", false)->kind(), Kind::Link);
}

TEST_F(SysfsTest, TakeRemovalsReportsEachRemovalOnce) {
  (void)tree.take_removals();
  uint64_t card_ino = card.ino(), ap_ino = ap.ino();
  uint64_t link_ino = bus_devices.find("card05")->ino();
  ap.remove("card05");            // a whole subtree: one entry
  ap.remove("card05");            // already gone: ignored
  ap.remove("nope");              // missing: ignored
  bus_devices.remove("card05");   // a link
  auto r = tree.take_removals();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].parent_ino, ap_ino);
  EXPECT_EQ(r[0].child_ino, card_ino);
  EXPECT_EQ(r[0].name, "card05");
  EXPECT_EQ(r[1].parent_ino, bus_devices.ino());
  EXPECT_EQ(r[1].child_ino, link_ino);
  EXPECT_EQ(r[1].name, "card05");
  EXPECT_TRUE(tree.take_removals().empty());
}

TEST_F(SysfsTest, AttributeGroups) {
  (void)tree.take_removals();
  queue.add_attrs(kGroup, &obj);
  EXPECT_EQ(*tree.list("devices/ap/card05/05.0004"), (std::vector<std::string>{"g1", "g2", "subsystem"}));
  EXPECT_EQ(*tree.read("devices/ap/card05/05.0004/g1"), "hello\n");
  queue.remove_attrs(kGroup);
  EXPECT_EQ(*tree.list("devices/ap/card05/05.0004"), (std::vector<std::string>{"subsystem"}));
  auto r = tree.take_removals();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "g1");
  EXPECT_EQ(r[1].name, "g2");
}

}  // namespace
