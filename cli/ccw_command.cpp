#include "cli/ccw_command.h"

#include <fmt/format.h>

#include <charconv>

#include "base/hex.h"
#include "ccw/eckd_dasd.h"
#include "cli/system.h"

namespace mdevsim {
namespace {

std::string faults_text(const ccw::Subchannel& sch) {
  const ccw::MachineSubchannel& hw = *sch.hw;
  static const char* const interrupts[] = {"normal", "hold", "lose"};
  std::string media;
  if (auto* dasd = dynamic_cast<const ccw::eckd::EckdDasd*>(sch.device.get()))
    for (unsigned t : dasd->media_errors) media += fmt::format("{}{}", media.empty() ? "" : ",", t);
  return fmt::format("{} notoper={} interrupt={} busy={} unit_check={} media_error={}", sch.name, hw.faults.not_operational ? 1 : 0,
                     interrupts[static_cast<int>(hw.faults.interrupt)], hw.faults.busy,
                     hw.faults.unit_check ? base::to_hex(*hw.faults.unit_check) : "-", media.empty() ? "none" : media);
}

bool number(std::string_view s, unsigned& v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool ccw_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out) {
  if (words.size() < 2 || words[0] != "fault") {
    out = "ccw: fault SUBCHANNEL KEY=VALUE... (see mdevsim ccw fault --help)";
    return false;
  }
  return mutate([&] {
    ccw::Subchannel* sch = sys.css().subchannel(words[1]);
    if (!sch || !sch->device) {
      out = "ccw fault: no I/O subchannel with a device " + words[1];
      return false;
    }
    ccw::MachineSubchannel& hw = *sch->hw;
    auto* dasd = dynamic_cast<ccw::eckd::EckdDasd*>(sch->device.get());
    // All settings are checked before any is made: one bad one changes nothing.
    ccw::MachineSubchannel::Faults next = hw.faults;
    std::set<unsigned> media = dasd ? dasd->media_errors : std::set<unsigned>{};
    bool release = false;
    for (size_t i = 2; i < words.size(); ++i) {
      const std::string& kv = words[i];
      const size_t eq = kv.find('=');
      const std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      unsigned n = 0;
      if (kv == "clear") {
        next = {};
        media.clear();
      } else if (kv == "release") {
        release = true;
      } else if (k == "notoper" && (v == "0" || v == "1")) {
        next.not_operational = v == "1";
      } else if (k == "interrupt" && (v == "normal" || v == "hold" || v == "lose")) {
        using F = ccw::MachineSubchannel::InterruptFault;
        next.interrupt = v == "normal" ? F::None : v == "hold" ? F::Hold : F::Lose;
      } else if (k == "busy" && number(v, n) && n <= 1000) {
        next.busy = n;
      } else if (k == "unit_check" && base::from_hex(v) && v.size() <= 64 && !v.empty()) {
        std::array<uint8_t, 32> sense{};
        auto bytes = *base::from_hex(v);
        std::copy(bytes.begin(), bytes.end(), sense.begin());
        next.unit_check = sense;
      } else if (k == "media_error" && dasd && v == "none") {
        media.clear();
      } else if (k == "media_error" && dasd && number(v, n) && n < dasd->volume().geometry().tracks()) {
        media.insert(n);
      } else {
        out = fmt::format("ccw fault: {} is not a fault of {}{}", kv, sch->name,
                          k == "media_error" && !dasd ? " (media errors are a DASD's)" : "");
        return false;
      }
    }
    hw.faults = next;
    if (dasd) dasd->media_errors = media;
    if (release) {
      if (hw.faults.interrupt == ccw::MachineSubchannel::InterruptFault::Hold)
        hw.faults.interrupt = ccw::MachineSubchannel::InterruptFault::None;
      hw.deliver();
    }
    out = faults_text(*sch);
    return true;
  });
}

}  // namespace mdevsim
