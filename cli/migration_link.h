// Live migration of a running guest and its vfio_ap mdev from one simulator
// to another over TCP, as libvirt and QEMU do it (`virsh migrate --live`):
// the destination must listen (libvirtd), have an mdev with the source's
// UUID (created beforehand, seed 004) and start an incoming guest on it; the
// source stops its guest's device, reads the STOP_COPY data and sends it;
// the destination writes it into its RESUMING file, where vfio_ap checks and
// installs it. On success the guest runs on the destination and the source's
// guest is gone (its mdev released); on failure the source guest runs on,
// both hosts unchanged, with the seed's messages on each side.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "cli/ap_command.h"  // Mutate

namespace mdevsim {

class System;

// The destination's side: accepts migrations on HOST:PORT until destroyed.
class MigrationListener {
 public:
  MigrationListener(System& sys, Mutate mutate) : m_sys(sys), m_mutate(std::move(mutate)) {}
  ~MigrationListener();
  // HOST:PORT (port 0: any); the address it got, or false and `error`.
  bool listen(const std::string& address, std::string& bound, std::string& error);

 private:
  void serve();
  void incoming(int fd);

  System& m_sys;
  Mutate m_mutate;
  int m_fd = -1;
  std::thread m_thread;
};

// The source's side: migrates guest `name` to the listener at HOST:PORT.
// `out`: a line on success, else virsh's error (the seed's console message).
bool migrate_guest(System& sys, const Mutate& mutate, const std::string& name, const std::string& address,
                   std::string& out);

}  // namespace mdevsim
