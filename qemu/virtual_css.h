// QEMU's virtual channel subsystem (hw/s390x/css.c, docs/system/s390x/css.rst):
// css images with four subchannel sets each, where every ccw device of a
// guest gets a subchannel and a device number.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace qemu {

inline constexpr unsigned VIRTUAL_CSSID = 0xfe;  // the default css image
inline constexpr unsigned MAX_CSSID = 255;
inline constexpr unsigned MAX_SSID = 3;
inline constexpr unsigned MAX_SCHID = 65535;
inline constexpr unsigned MAX_DEVNO = 65535;

// struct CssDevId: "<cssid>.<ssid>.<devno>" as a -device devno= and the
// dev_id and subch_id properties write it.
struct CssDevId {
  unsigned cssid = 0, ssid = 0, devid = 0;
  auto operator<=>(const CssDevId&) const = default;
};

// set_css_devid(): sscanf("%2x.%1x%n.%4x%n"), three fields, the device
// number exactly four digits, nothing after it; otherwise `error` is
// qdev's "Property 'DRIVER.devno' doesn't take value '...'", or "Invalid
// cssid or ssid: ..." beyond 255 or 3.
std::optional<CssDevId> parse_css_devid(const std::string& driver, const std::string& value, std::string& error);
// get_css_devid(): "%02x.%1x.%04x" without the leading zero of a cssid
// up to 0xf: "fe.0.1234", "0.0.1234".
std::string format_css_devid(const CssDevId& id);

class VirtualCss {
 public:
  VirtualCss();  // the machine creates the default image
  // css_create_sch(): with a devno, a subchannel in its set (the image
  // made on demand); without, the first free subchannel and device number
  // from the default image on. `subch` gets the subchannel id, `dev` the
  // device number; `error` is QEMU's message. `warning` is what QEMU
  // writes to stderr for the image 0xff it cannot create.
  bool create_sch(std::optional<CssDevId> devno, CssDevId& subch, CssDevId& dev, std::string& error,
                  std::string& warning);
  // css_subch_assign(..., NULL): an unplugged device frees both.
  void release(const CssDevId& subch, const CssDevId& dev);

  // What a guest without MCSS-E (every Linux) sees: only the default image.
  static bool visible(const CssDevId& id) { return id.cssid == VIRTUAL_CSSID; }

 private:
  struct SubchSet {
    std::bitset<MAX_SCHID + 1> schids_used;
    std::bitset<MAX_DEVNO + 1> devnos_used;
  };
  struct CssImage {
    std::unique_ptr<SubchSet> sets[MAX_SSID + 1];
  };
  SubchSet* set(unsigned cssid, unsigned ssid, bool create);
  bool devno_used(unsigned cssid, unsigned ssid, unsigned devno);
  unsigned free_subch(unsigned cssid, unsigned ssid);  // MAX_SCHID + 1 if none

  std::map<unsigned, CssImage> m_images;  // by cssid; 0xff is never made
};

}  // namespace qemu
