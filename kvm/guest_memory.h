// The guest's memory as KVM maps it: absolute addresses 0 to size, in
// 4 KiB pages made on their first write (a page never written reads as
// zeros), so a guest costs only what it touches. vfio_ccw copies channel
// programs, IDAW lists and data through it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>

namespace kvm {

class GuestMemory {
 public:
  static constexpr uint64_t PAGE_SIZE = 4096;
  static constexpr uint64_t DEFAULT_SIZE = uint64_t{128} << 20;  // QEMU's default -m

  explicit GuestMemory(uint64_t size = DEFAULT_SIZE) : m_size(size) {}
  uint64_t size() const { return m_size; }
  // [addr, addr + len) lies inside the memory.
  bool contains(uint64_t addr, uint64_t len) const { return addr <= m_size && len <= m_size - addr; }
  // All or nothing: false, and nothing copied, outside the memory.
  bool read(uint64_t addr, std::span<uint8_t> out) const;
  bool write(uint64_t addr, std::span<const uint8_t> in);
  // Pages made so far.
  size_t resident_pages() const { return m_pages.size(); }

 private:
  using Page = std::array<uint8_t, PAGE_SIZE>;
  uint64_t m_size;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> m_pages;  // by page number
};

}  // namespace kvm
