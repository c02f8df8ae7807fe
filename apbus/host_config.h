// The host file: one LPAR's AP configuration as JSON. See README "Host file".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apbus/ap_hwinfo.h"
#include "base/bitmap256.h"
#include "base/result.h"

namespace ap {

enum class CardMode { Accel, CCA, EP11 };

struct CardConfig {
  unsigned id = 0;
  std::string type;      // "CEX5C": generation 4..8 and mode letter A/C/P
  unsigned raw_type = 0; // TAPQ 'at', 10..14 for CEX4..CEX8 unless given
  CardMode mode = CardMode::CCA;
  ApHwinfo hwinfo;       // the full TAPQ GR2 word of the card's queues
  bool config = true;    // configured (SCLP)
  bool chkstop = false;  // checkstopped
  std::string serialnr;  // CCA/EP11 serial number, may be empty
  // Names the master keys loaded into the card's domains: cards with the
  // same name have the same keys (and verification patterns) per domain.
  // Empty: keys of their own ("card ID").
  std::string master_keys;
};

struct HostConfig {
  unsigned max_adapter_id = 255;  // QCI Na
  unsigned max_domain_id = 255;   // QCI Nd
  base::Bitmap256 usage_domains;    // QCI AQM
  base::Bitmap256 control_domains;  // QCI ADM
  base::Bitmap256 apmask = base::Bitmap256::all();  // boot value, ap.apmask=
  base::Bitmap256 aqmask = base::Bitmap256::all();  // boot value, ap.aqmask=
  int domain = -1;                  // boot value, ap.domain= (-1: auto-select)
  QciFlags qci;
  bool interrupts = true;           // AP adapter interrupts available
  std::vector<CardConfig> cards;    // sorted by id
  // The kernel's vfio_ap has the live-migration series (matrix features
  // "migratable"); false for a kernel without it.
  bool vfio_ap_migration = true;

  // QCI APM: the configured adapters.
  base::Bitmap256 adapters() const;
};

// Parses a host file. Every error names the key and the reason; a host file
// with any error yields nothing.
base::Result<HostConfig> parse_host_config(std::string_view json_text, std::string& error);
base::Result<HostConfig> load_host_file(const std::string& path, std::string& error);
// The LPAR of the upstream vfio-ap documentation: adapters 5 (CEX5C) and 6
// (CEX5A), usage and control domains 4, 0x47, 0xab, 0xff.
extern const char* const DEFAULT_HOST_JSON;
HostConfig default_host();

}  // namespace ap
