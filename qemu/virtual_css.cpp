#include "qemu/virtual_css.h"

#include <fmt/format.h>

#include <cstdio>

namespace qemu {

std::optional<CssDevId> parse_css_devid(const std::string& driver, const std::string& value, std::string& error) {
  unsigned cssid = 0, ssid = 0, devid = 0;
  int n1 = 0, n2 = 0;
  int num = std::sscanf(value.c_str(), "%2x.%1x%n.%4x%n", &cssid, &ssid, &n1, &devid, &n2);
  if (num != 3 || n2 - n1 != 5 || value.size() != static_cast<size_t>(n2)) {
    error = fmt::format("Property '{}.devno' doesn't take value '{}'", driver, value);
    return std::nullopt;
  }
  if (cssid > MAX_CSSID || ssid > MAX_SSID) {
    error = fmt::format("Invalid cssid or ssid: cssid {:x}, ssid {:x}", cssid, ssid);
    return std::nullopt;
  }
  // The property's fields are uint8_t and uint16_t: "%4x" takes "-111",
  // which ends up as 0xfeef.
  return CssDevId{cssid, ssid, devid & 0xffff};
}

std::string format_css_devid(const CssDevId& id) {
  std::string s = fmt::format("{:02x}.{:1x}.{:04x}", id.cssid, id.ssid, id.devid);
  return id.cssid <= 0xf ? s.substr(1) : s;
}

VirtualCss::VirtualCss() { m_images[VIRTUAL_CSSID]; }

VirtualCss::SubchSet* VirtualCss::set(unsigned cssid, unsigned ssid, bool create) {
  auto it = m_images.find(cssid);
  if (it == m_images.end()) return nullptr;
  auto& s = it->second.sets[ssid];
  if (!s && create) s = std::make_unique<SubchSet>();
  return s.get();
}

bool VirtualCss::devno_used(unsigned cssid, unsigned ssid, unsigned devno) {
  SubchSet* s = set(cssid, ssid, false);
  return s && s->devnos_used.test(devno);
}

// The lowest free one; _Find_first() of the complement is MAX_SCHID + 1
// when there is none.
unsigned VirtualCss::free_subch(unsigned cssid, unsigned ssid) {
  SubchSet* s = set(cssid, ssid, false);
  return s ? static_cast<unsigned>((~s->schids_used)._Find_first()) : 0;
}

bool VirtualCss::create_sch(std::optional<CssDevId> devno, CssDevId& subch, CssDevId& dev, std::string& error,
                            std::string& warning) {
  // css_create_css_image(): any id but 255.
  auto make_image = [&](unsigned cssid) {
    if (cssid != 255) m_images[cssid];
  };
  if (devno) {
    make_image(devno->cssid);
    if (devno_used(devno->cssid, devno->ssid, devno->devid)) {
      error = fmt::format("Device {:x}.{:x}.{:04x} already exists", devno->cssid, devno->ssid, devno->devid);
      return false;
    }
    unsigned schid = free_subch(devno->cssid, devno->ssid);
    if (schid > MAX_SCHID) {
      error = fmt::format("No free subchannel found for {:x}.{:x}.{:04x}", devno->cssid, devno->ssid, devno->devid);
      return false;
    }
    dev = *devno;
    subch = {devno->cssid, devno->ssid, schid};
  } else {
    // css_find_free_subch_and_devno() image by image from the default; the
    // device number search starts at the subchannel's and wraps at 0xffff.
    for (unsigned cssid = VIRTUAL_CSSID;;) {
      make_image(cssid);
      for (unsigned ssid = 0; ssid <= MAX_SSID; ++ssid) {
        unsigned schid = free_subch(cssid, ssid);
        if (schid > MAX_SCHID) continue;
        for (unsigned round = 0; round <= MAX_DEVNO; ++round) {
          unsigned d = (schid + round) % MAX_DEVNO;
          if (devno_used(cssid, ssid, d)) continue;
          subch = {cssid, ssid, schid};
          dev = {cssid, ssid, d};
          goto found;
        }
      }
      cssid = (cssid + 1) % MAX_CSSID;
      if (cssid == VIRTUAL_CSSID) {
        error = "Virtual channel subsystem is full!";
        return false;
      }
    }
  }
found:
  // css_subch_assign()
  if (SubchSet* s = set(subch.cssid, subch.ssid, true)) {
    s->schids_used.set(subch.devid);
    s->devnos_used.set(dev.devid);
  } else {
    warning = fmt::format("Suspicious call to css_subch_assign ({:x}.{:x}.{:04x}) for non-existing css!", subch.cssid,
                          subch.ssid, subch.devid);
  }
  return true;
}

void VirtualCss::release(const CssDevId& subch, const CssDevId& dev) {
  if (SubchSet* s = set(subch.cssid, subch.ssid, false)) {
    s->schids_used.reset(subch.devid);
    s->devnos_used.reset(dev.devid);
  }
}

}  // namespace qemu
