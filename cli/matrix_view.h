// `mdevsim matrix`: a picture of the AP matrix of the simulated host, the
// adapter x usage-domain grid of APQNs with what each one is used for (the
// host's default drivers, vfio_ap, a mediated device, a running guest) and
// the states that keep an assigned APQN from its guest or that conflict.
//
// Two steps, so that the model lock is held only for the first: a snapshot
// of the facts as JSON text, and a rendering of that text.
#pragma once

#include <string>

namespace mdevsim {

class System;

// A snapshot of everything the picture needs, as JSON text. The caller holds
// sys.lock() (shared is enough); the function does not lock.
//
// Format (version 1; ids are numbers, sets of ids are ascending arrays):
//   {"format": "mdevsim-matrix", "version": 1,
//    "host": {"max_adapter_id", "max_domain_id",
//             "adapters", "usage_domains", "control_domains",   QCI APM/AQM/ADM
//             "apmask", "aqmask"},                               "0x" + 64 hex digits
//    "domains": [...],        the columns: QCI AQM, the queues' domains, mdev domains
//    "adapters": [            the rows: QCI APM, the cards, mdev adapters
//      {"id", "in_host", "type" (card type, null without a card),
//       "config", "chkstop", "driver" (card driver or null; only with a card),
//       "queues": {"<driver>": [domains]}, "unbound": [domains],
//       "reserved": [domains of "domains" whose APQN apqn_owned_by_def_drv()]}],
//    "mdevs": [               in creation order (IOMMU group)
//      {"uuid", "iommu_group", "adapters", "domains", "control_domains",
//       "guest_view": {"adapters", "domains", "control_domains"},   shadow APCB
//       "guest": name of the running guest or null}],
//    "guests": [{"name", "mdev": uuid or null}]}
std::string matrix_snapshot_json(System& sys);

enum class MatrixStyle { Plain, Color, Svg };

// Renders a snapshot. Plain: ASCII text; Color: the same text with ANSI SGR
// colours (stripping the escapes gives exactly the Plain text); Svg: a
// standalone SVG document with one <rect> per grid cell. Throws
// std::invalid_argument when the text is not a version 1 snapshot.
//
// Cells (X stands for an mdev's letter, A, B, ..., Z, AA, AB, ...):
//   h    owned by the host: bound to cex4queue or reserved by apmask/aqmask
//   -    free for vfio_ap: bound to vfio_ap, not assigned
//   u    unbound queue, not reserved and not assigned
//   .    no queue
//   X    assigned to mdev X (not in the view of a running guest)
//   X*   in use by the running guest of mdev X (in its CRYCB)
//   X!   assigned to mdev X but not available: not in the host configuration,
//        no queue or not bound to vfio_ap, so the guest view filters it
//   #hX  conflict: assigned to mdev X but reserved for the host
//   #XY  conflict: assigned to mdevs X and Y
// Rows are adapters ("05 CEX5C"), columns usage domains ("0047"); a row or
// column without any queue or assignment is left out. Grids with more than
// 16 rows (columns) merge runs of 3 or more consecutive adapters (domains)
// with identical cells into one labelled with the range ("10-3f"); the text
// breaks the columns into blocks at most 80 characters wide.
std::string render_matrix(const std::string& snapshot_json, MatrixStyle style);

}  // namespace mdevsim
