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
// A failing call answers its errno's name (EINVAL); false and a message for
// a request that is not understood.
bool vfio_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out);

}  // namespace mdevsim
