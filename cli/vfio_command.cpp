#include "cli/vfio_command.h"

#include <fmt/format.h>

#include <cstring>

#include "base/hex.h"
#include "cli/system.h"

namespace mdevsim {
namespace {

using migration::MigState;

bool parse_num(const std::string& s, long& v) {
  char* end = nullptr;
  errno = 0;
  v = std::strtol(s.c_str(), &end, 10);
  return !s.empty() && *end == 0 && errno == 0;
}

std::string err_text(base::Errno e) {
  const char* name = strerrorname_np(e.code);
  return name ? name : fmt::format("errno {}", e.code);
}

bool usage(std::string& out) {
  out = "vfio: bad arguments (see mdevsim vfio --help)";
  return false;
}

// The file requests; the model's lock is held.
bool file_request(vfio_ap::MatrixDev& md, const std::vector<std::string>& w, std::string& out) {
  long fd;
  if (w.size() < 2 || !parse_num(w[1], fd)) return usage(out);
  const int f = static_cast<int>(fd);
  if (w[0] == "close" && w.size() == 2) {
    md.mig_close(f);
    out = "ok";
    return true;
  }
  const bool positioned = w.size() == 4 && (w[3] == "pread" || w[3] == "pwrite");
  if (w.size() != 3 && !positioned) return usage(out);
  if (w[0] == "read" && (w.size() == 3 || w[3] == "pread")) {
    long len;
    if (!parse_num(w[2], len) || len < 0) return usage(out);
    auto r = md.mig_read(f, static_cast<size_t>(len), positioned);
    out = r ? fmt::format("read={} data={}", r->size(), base::to_hex(*r)) : err_text(r.error());
    return true;
  }
  if (w[0] == "write" && (w.size() == 3 || w[3] == "pwrite")) {
    auto bytes = w[2] == "-" ? std::vector<uint8_t>{} : base::from_hex(w[2]);  // "-": an empty write
    if (!bytes) return usage(out);
    auto r = md.mig_write(f, *bytes, positioned);
    out = r ? fmt::format("wrote={}", *r) : err_text(r.error());
    return true;
  }
  return usage(out);
}

// The device requests on one mdev; the model's lock is held.
bool device_request(vfio_ap::MatrixDev& md, vfio_ap::MatrixMdev& m, const std::vector<std::string>& w, std::string& out) {
  const std::string& verb = w[1];
  if (verb == "migration" && w.size() == 2) {
    auto r = md.mig_flags();
    out = r ? fmt::format("flags=0x{:x}", *r) : err_text(r.error());
  } else if (verb == "get_state" && w.size() == 2) {
    auto r = md.mig_get_state(m);
    out = r ? fmt::format("state={}", migration::state_name(*r)) : err_text(r.error());
  } else if (verb == "set_state" && w.size() == 3) {
    auto target = migration::parse_state(w[2]);
    if (!target) {
      out = "vfio set_state: no such state " + w[2];
      return false;
    }
    auto r = md.mig_set_state(m, *target);
    auto now = md.mig_get_state(m);
    out = r ? fmt::format("state={} data_fd={}", migration::state_name(*now), *r)
            : fmt::format("{} state={}", err_text(r.error()), now ? migration::state_name(*now) : "?");
  } else if (verb == "data_size" && w.size() == 2) {
    auto r = md.mig_data_size(m);
    out = r ? fmt::format("stop_copy_length={}", *r) : err_text(r.error());
  } else if (verb == "reset" && w.size() == 2) {
    md.mig_reset(m);
    out = "ok";
  } else {
    return usage(out);
  }
  return true;
}

// A vfio_ccw mdev's device file, as QEMU's hw/vfio/ccw.c uses it; the
// device must be open (a guest has it).
bool ccw_request(ccw::VfioCcwDriver& drv, ccw::VfioCcwPrivate& p, const std::vector<std::string>& w, std::string& out) {
  if (!p.mdev->kvm) {
    out = fmt::format("{} is not open: start a guest with it (mdevsim guest start --ccw)", p.mdev->uuid);
    return false;
  }
  const std::string& verb = w[1];
  long n = 0, off = 0, len = 0;
  auto region_pos = [&](long index, long offset) {
    return (static_cast<uint64_t>(index) << ccw::VFIO_CCW_OFFSET_SHIFT) + static_cast<uint64_t>(offset);
  };
  if (verb == "get_info" && w.size() == 2) {
    out = fmt::format("flags=0x11 num_regions={} num_irqs={}", drv.get_info_num_regions(p), ccw::VFIO_CCW_NUM_IRQS);
  } else if (verb == "get_region_info" && w.size() == 3 && parse_num(w[2], n) && n >= 0) {
    auto r = drv.get_region_info(p, static_cast<unsigned>(n));
    out = !r ? err_text(r.error())
          : r->cap_type ? fmt::format("offset=0x{:x} size={} flags=0x{:x} cap_type={} cap_subtype={}", r->offset, r->size,
                                      r->flags, r->cap_type, r->cap_subtype)
                        : fmt::format("offset=0x{:x} size={} flags=0x{:x}", r->offset, r->size, r->flags);
  } else if (verb == "get_irq_info" && w.size() == 3 && parse_num(w[2], n) && n >= 0) {
    auto r = drv.get_irq_info(static_cast<unsigned>(n));
    out = r ? fmt::format("flags=0x{:x} count={}", r->flags, r->count) : err_text(r.error());
  } else if (verb == "read" && w.size() == 5 && parse_num(w[2], n) && parse_num(w[3], off) && parse_num(w[4], len) &&
             n >= 0 && off >= 0 && len >= 0 && len <= 4096) {
    std::vector<uint8_t> buf(static_cast<size_t>(len));
    auto r = drv.read(p, region_pos(n, off), buf);
    out = r ? fmt::format("read={} data={}", *r, base::to_hex(buf)) : err_text(r.error());
  } else if (verb == "write" && w.size() == 5 && parse_num(w[2], n) && parse_num(w[3], off) && n >= 0 && off >= 0) {
    auto bytes = base::from_hex(w[4]);
    if (!bytes) return usage(out);
    auto r = drv.write(p, region_pos(n, off), *bytes);
    out = r ? fmt::format("wrote={}", *r) : err_text(r.error());
  } else if (verb == "set_irqs" && w.size() == 4 && parse_num(w[2], n) && n >= 0) {
    // DATA_NONE ("none"), DATA_BOOL ("bool:0|1") or DATA_EVENTFD ("eventfd:FD", -1 removes).
    using D = ccw::VfioCcwDriver::IrqData;
    long v = 0;
    D kind = D::None;
    if (w[3].starts_with("bool:") && parse_num(w[3].substr(5), v)) kind = D::Bool;
    else if (w[3].starts_with("eventfd:") && parse_num(w[3].substr(8), v)) kind = D::Eventfd;
    else if (w[3] != "none") return usage(out);
    auto r = drv.set_irqs(p, static_cast<unsigned>(n), true, kind, static_cast<int>(v));
    out = r ? "ok" : err_text(r.error());
  } else if (verb == "eventfd" && w.size() == 3 && parse_num(w[2], n) && n >= 0 && n < ccw::VFIO_CCW_NUM_IRQS) {
    // Reading an eventfd: its count, then zero.
    out = fmt::format("count={}", std::exchange(p.signals[static_cast<size_t>(n)], 0));
  } else if (verb == "reset" && w.size() == 2) {
    auto r = drv.reset(p);
    out = r ? "ok" : err_text(r.error());
  } else if (verb == "migration" && w.size() == 2) {
    out = err_text(base::Errno{ENOTTY});  // vfio_ccw has no migration ops
  } else {
    return usage(out);
  }
  return true;
}

}  // namespace

bool vfio_command(System& sys, const Mutate& mutate, const std::vector<std::string>& w, std::string& out) {
  if (w.size() < 2) return usage(out);
  return mutate([&] {
    auto& md = sys.matrix_dev();
    if (w[0] == "read" || w[0] == "write" || w[0] == "close") return file_request(md, w, out);
    vfio_ap::MatrixMdev* m = md.find(w[0]);
    if (mdev::MdevDevice* d = m ? nullptr : sys.mdev_core().find(w[0])) {
      if (ccw::VfioCcwPrivate* p = sys.vfio_ccw().private_of(*d)) return ccw_request(sys.vfio_ccw(), *p, w, out);
    }
    if (!m) {
      out = "no mdev " + w[0];
      return false;
    }
    return device_request(md, *m, w, out);
  });
}

}  // namespace mdevsim
