// struct channel_program (drivers/s390/cio/vfio_ccw_cp.c): vfio_ccw's copy
// of a guest's channel program. cp_init() fetches the guest's CCW chains
// from its memory (format 0 converted to format 1, TICs followed into the
// same or a new chain, at most 256 CCWs a chain); cp_prefetch() pins the
// guest pages the CCWs address and rewrites every data address as an IDAL
// of the pinned pages; the channel then runs the copy (memory()), and
// cp_update_scsw() turns the channel's CCW address back into the guest's.
// "Pinning" here counts the guest pages held; cp_free() releases them.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ccw/channel_memory.h"
#include "ccw/channel_words.h"
#include "kvm/guest_memory.h"

namespace ccw {

inline constexpr unsigned CCWCHAIN_LEN_MAX = 256;

class ChannelProgram {
 public:
  explicit ChannelProgram(kvm::GuestMemory& guest);
  ~ChannelProgram();
  ChannelProgram(const ChannelProgram&) = delete;
  ChannelProgram& operator=(const ChannelProgram&) = delete;

  // cp_init(): -EBUSY when one is held, the kernel's errnos for a chain it
  // cannot fetch (-EINVAL: outside guest memory, or a 257th CCW; -ENOMEM:
  // the simulator's bound on chains), 0 when the chains are copied.
  int init(const Orb& orb);
  // cp_prefetch(): -EINVAL before init, the errno of a page it cannot pin
  // or an IDAW it cannot read. On failure the failing CCW pins nothing, but
  // the CCWs translated before it stay pinned until free(), which the
  // caller owes (fsm_io_request() calls cp_free()).
  int prefetch();
  // cp_get_orb(): the ORB the subchannel is started with: intparm the
  // subchannel's, format 1, 64-bit IDAWs (2K ones when the guest's were
  // format 1), lpm the subchannel's if the guest's was 0, cpa the host copy.
  // Not initialized: the kernel's NULL is a zero ORB here; check initialized().
  Orb get_orb(uint32_t intparm, uint8_t sch_lpm) const;
  // cp_update_scsw(): a cpa inside a host chain becomes the guest's address.
  void update_scsw(Scsw& scsw) const;
  // cp_iova_pinned().
  bool iova_pinned(uint64_t iova, uint64_t length) const;
  // cp_free(): unpins and forgets.
  void free();

  bool initialized() const { return m_initialized; }
  // What the channel runs in: the host copies and the pinned guest pages.
  ChannelMemory& memory();
  size_t pinned_pages() const;
  size_t ccw_count() const;

 private:
  struct Impl;
  bool m_initialized = false;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ccw
