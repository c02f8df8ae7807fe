// `mdevsim css`: a picture of the simulated host's channel subsystem: each
// subchannel with its device, driver and channel paths, the vfio_ccw mdevs
// on it and the guests that have them. Like `mdevsim matrix`: a snapshot
// taken under the model lock, rendered without it.
#pragma once

#include <string>

#include "cli/matrix_view.h"

namespace mdevsim {

class System;

// The snapshot as JSON text; the caller holds sys.lock() (shared).
// Format (version 1):
//   {"format": "mdevsim-css", "version": 1, "cssid",
//    "chpids": [{"id", "type", "online", "configured"}],
//    "subchannels": [{"schid": "0.0.0313", "type", "devno": "0.0.2b09" or null,
//       "dev": "3390/0e" or null, "cu": "3990/e9" or null, "driver" or null,
//       "qdio", "online" (its ccw device), "paths": [[chpid, usable]...],
//       "mdev": {"uuid", "guest" or null, "dev_id", "subch_id"} or null}]}
// A path is usable when it is in the subchannel's VPM (installed,
// available, operational, and the channel path online).
std::string css_snapshot_json(System& sys);

// Plain: text; Color: the same with SGR colours; Svg: a standalone SVG.
// Rows are subchannels (runs of three or more alike, consecutive ones are
// merged into one "0.0.0000-0.0.ffff" row); columns the channel paths,
// "#" a usable path, "o" an installed one that is not, "." none.
// Throws std::invalid_argument for text that is not a version 1 snapshot.
std::string render_css(const std::string& snapshot_json, MatrixStyle style);

}  // namespace mdevsim
