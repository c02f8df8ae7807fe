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
// Cells (X stands for an mdev's letter: A, B, ..., Z, AA, AB, ... in the
// order the mdevs were created):
//   X*   in use by the running guest of mdev X (in the shadow APCB, which
//        is the guest's CRYCB)
//   X    assigned to mdev X, not in use by a guest (no guest runs, or the
//        guest view filters the APQN with its adapter)
//   X!   not available to mdev X: the adapter or domain is not in the host
//        configuration, or the queue is missing or not bound to vfio_ap
//   #hX  conflict: assigned to mdev X but reserved for the host by the masks
//   #XY  conflict: assigned to mdevs X and Y
//   -    free for vfio_ap: bound to vfio_ap, not assigned
//   u    unbound queue, neither reserved nor assigned
//   h    owned by the host: bound to cex4queue or reserved by apmask/aqmask
//   .    no queue
// The key under the grid lists the kinds present with their counts; the
// legend gives each mdev's UUID, running guest, APQN counts, adapters,
// usage domains and control domains (a "!" marks one the host lacks); notes
// list unbound queues, adapters and domains not in the host configuration,
// and deconfigured and checkstopped adapters.
// Rows are adapters ("05 CEX5C"), columns usage domains ("0047"); a row or
// column without any queue or assignment is left out. Grids with more than
// 16 rows (columns) merge runs of 3 or more consecutive adapters (domains)
// with identical cells into one labelled with the range ("10-3f"; merged
// rows of different card types say "mixed"); the text breaks the columns
// into blocks of at most 80 characters.
std::string render_matrix(const std::string& snapshot_json, MatrixStyle style);

}  // namespace mdevsim
