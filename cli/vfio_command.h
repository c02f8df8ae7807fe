// `mdevsim vfio ...` on the simulator's side: what QEMU does with a vfio_ap
// device for live migration (VFIO_DEVICE_FEATURE MIGRATION, MIG_DEVICE_STATE
// and MIG_DATA_SIZE, VFIO_DEVICE_RESET, and read/write on the data files),
// for scripts and tests that drive the steps themselves. One request is the
// words after "vfio"; the answer is one line.
#pragma once

#include <string>
#include <vector>

#include "cli/ap_command.h"  // Mutate

namespace mdevsim {

// Requests (UUID of an mdev; FD a data file number set_state gave):
//   UUID migration           -> flags=0x1
//   UUID get_state           -> state=RUNNING
//   UUID set_state STATE     -> state=STOP_COPY data_fd=3 (-1: no file)
//   UUID data_size           -> stop_copy_length=56
//   UUID reset               -> ok
//   read FD LENGTH [pread]   -> read=N data=HEX
//   write FD HEX [pwrite]    -> wrote=N
//   close FD                 -> ok
// For a vfio_ccw mdev open in a guest, its device file as QEMU uses it:
//   UUID get_info                 -> flags=0x11 num_regions=4 num_irqs=3
//   UUID get_region_info N        -> offset=0x400 size=8 flags=0xb cap_type=2 cap_subtype=1
//   UUID get_irq_info N           -> flags=0x1 count=1
//   UUID read N OFFSET LENGTH     -> read=N data=HEX (region N, OFFSET in it)
//   UUID write N OFFSET HEX       -> wrote=N
//   UUID set_irqs N none|bool:B|eventfd:FD -> ok
//   UUID eventfd N                -> count=C (what reading the eventfd gives)
//   UUID reset                    -> ok;  UUID migration -> ENOTTY
// A failing call answers its errno's name (EINVAL); false and a message for
// a request that is not understood.
bool vfio_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out);

}  // namespace mdevsim
