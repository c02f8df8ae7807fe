// The VTOC that `fdasd -a` leaves on a CDL volume's track 1 (s390-tools
// include/lib/vtoc.h, libvtoc/vtoc.c, fdasd/fdasd.c): the format-4 DSCB
// that describes the VTOC, an empty format-5, a format-7 for disks of more
// than 65,536 tracks, and one format-1 DSCB for the partition that fills
// the volume from track 2. Linux's partition code (block/partitions/ibm.c)
// reads them to find dasda1.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "ccw/eckd_geometry.h"

namespace ccw::eckd {

// A DSCB as READ KEY AND DATA returns it: 44 bytes of key, 96 of data.
using Dscb = std::array<uint8_t, 44 + 96>;

// A creation date: years since 1900 and day of the year. fdasd stores
// gmtime()'s tm_year and tm_yday, so the DSCB holds day - 1 (0 = 1 January).
struct DscbDate {
  unsigned year = 0;  // e.g. 126 for 2026
  unsigned day = 1;   // 1..366
};

Dscb format4_dscb(const Geometry& g);
Dscb format5_dscb(const Geometry& g);
Dscb format7_dscb(const Geometry& g);
// The partition of tracks [first, last], number `part` (1-based), named
// LINUX.V<volser>.PART<nnnn>.NATIVE. On a volume of more than 65534
// cylinders fdasd writes it as a format-8 DSCB pointing at a format-9.
Dscb format1_dscb(const Geometry& g, const std::array<uint8_t, 6>& volser, unsigned part, unsigned first_track,
                  unsigned last_track, DscbDate created);

// Track 1's twelve records after `dasdfmt -d cdl -b 4096` and `fdasd -a`:
// F4, F5, F7 (big disks only), F1 for tracks 2..end (F8 and F9 on a large
// volume), then zero DSCBs.
std::vector<Dscb> fdasd_auto_vtoc(const Geometry& g, const std::array<uint8_t, 6>& volser, DscbDate created);

}  // namespace ccw::eckd
