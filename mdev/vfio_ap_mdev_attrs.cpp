// Each store parses with kstrtoul (EINVAL, ERANGE) and calls one MatrixDev
// function; each show formats the masks as vfio_ap_mdev_matrix_show() does.
#include "mdev/vfio_ap_mdev_attrs.h"

#include <fmt/format.h>

#include "base/kstrto.h"
#include "mdev/matrix_dev.h"

namespace vfio_ap {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

MatrixDev& dev_of(MatrixMdev& m) { return *static_cast<MatrixDev*>(m.mdev->type->ops()); }

// Errors in order: EINVAL/ERANGE (kstrtoul), then those of the operation.
template <Result<void> (MatrixDev::*Op)(MatrixMdev&, uint64_t)>
Store id_store(MatrixMdev& m, std::string_view buf) {
  uint64_t id = SIM_TRY(base::kstrtoul(buf));
  SIM_TRY_VOID((dev_of(m).*Op)(m, id));
  return buf.size();
}

// ENODEV (id > apm_max), EADDRNOTAVAIL (host-reserved), EADDRINUSE (shared).
Store assign_adapter_store(MatrixMdev& m, std::string_view b) { return id_store<&MatrixDev::assign_adapter>(m, b); }
// ENODEV (id > aqm_max), EADDRNOTAVAIL, EADDRINUSE.
Store assign_domain_store(MatrixMdev& m, std::string_view b) { return id_store<&MatrixDev::assign_domain>(m, b); }
// ENODEV (id > adm_max).
Store assign_control_domain_store(MatrixMdev& m, std::string_view b) { return id_store<&MatrixDev::assign_control_domain>(m, b); }
// ENODEV (id beyond the maximum) for the three unassign stores.
Store unassign_adapter_store(MatrixMdev& m, std::string_view b) { return id_store<&MatrixDev::unassign_adapter>(m, b); }
Store unassign_domain_store(MatrixMdev& m, std::string_view b) { return id_store<&MatrixDev::unassign_domain>(m, b); }
Store unassign_control_domain_store(MatrixMdev& m, std::string_view b) { return id_store<&MatrixDev::unassign_control_domain>(m, b); }

// "05.0004" per APQN, "05." per adapter without domains, ".0004" per
// domain without adapters, nothing at all for an empty matrix.
std::string matrix_text(const ApMatrix& mx, unsigned apm_max, unsigned aqm_max) {
  Bitmap256 apm = mx.apm & Bitmap256::first(apm_max + 1), aqm = mx.aqm & Bitmap256::first(aqm_max + 1);
  std::string out;
  if (apm.any() && aqm.any())
    apm.for_each([&](unsigned a) { aqm.for_each([&](unsigned d) { out += fmt::format("{:02x}.{:04x}\n", a, d); }); });
  else if (apm.any())
    apm.for_each([&](unsigned a) { out += fmt::format("{:02x}.\n", a); });
  else
    aqm.for_each([&](unsigned d) { out += fmt::format(".{:04x}\n", d); });
  return out;
}

Show matrix_show(MatrixMdev& m) { return matrix_text(m.matrix, dev_of(m).apm_max(), dev_of(m).aqm_max()); }
Show guest_matrix_show(MatrixMdev& m) { return matrix_text(m.shadow_apcb, dev_of(m).apm_max(), dev_of(m).aqm_max()); }

Show control_domains_show(MatrixMdev& m) {
  std::string out;
  (m.matrix.adm & Bitmap256::first(dev_of(m).adm_max() + 1)).for_each([&](unsigned d) { out += fmt::format("{:04x}\n", d); });
  return out;
}

Show ap_config_show(MatrixMdev& m) {
  return fmt::format("0x{},0x{},0x{}\n", m.matrix.apm.hex(), m.matrix.aqm.hex(), m.matrix.adm.hex());
}

// Errors in order: EINVAL (fewer than three masks, or a mask that does not
// parse), EADDRNOTAVAIL, EADDRINUSE, ENODEV. Bytes beyond 201 are dropped.
Store ap_config_store(MatrixMdev& m, std::string_view buf) {
  std::string_view s = base::c_str(buf).substr(0, 201);
  Bitmap256 masks[3];
  for (auto& mask : masks) {
    if (s.data() == nullptr) return Errno{EINVAL};  // strsep ran out of tokens
    size_t end = s.find_first_of(",\n");
    mask = SIM_TRY(base::hex2bitmap(s.substr(0, end)));
    s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
  }
  SIM_TRY_VOID(dev_of(m).set_ap_config(m, ApMatrix{masks[0], masks[1], masks[2]}));
  return buf.size();
}

const sysfs::AttrOps attrs[] = {
    SYSFS_ATTR_WO(MatrixMdev, assign_adapter),
    SYSFS_ATTR_WO(MatrixMdev, unassign_adapter),
    SYSFS_ATTR_WO(MatrixMdev, assign_domain),
    SYSFS_ATTR_WO(MatrixMdev, unassign_domain),
    SYSFS_ATTR_WO(MatrixMdev, assign_control_domain),
    SYSFS_ATTR_WO(MatrixMdev, unassign_control_domain),
    SYSFS_ATTR_RW(MatrixMdev, ap_config),
    SYSFS_ATTR_RO(MatrixMdev, control_domains),
    SYSFS_ATTR_RO(MatrixMdev, matrix),
    SYSFS_ATTR_RO(MatrixMdev, guest_matrix),
};

}  // namespace

std::span<const sysfs::AttrOps> vfio_ap_mdev_attrs() { return attrs; }

}  // namespace vfio_ap
