#include "kvm/guest_memory.h"

#include <algorithm>

namespace kvm {

bool GuestMemory::read(uint64_t addr, std::span<uint8_t> out) const {
  if (!contains(addr, out.size())) return false;
  for (size_t done = 0; done < out.size();) {
    uint64_t at = addr + done, offset = at % PAGE_SIZE;
    size_t n = static_cast<size_t>(std::min<uint64_t>(PAGE_SIZE - offset, out.size() - done));
    auto it = m_pages.find(at / PAGE_SIZE);
    if (it == m_pages.end()) std::fill_n(out.begin() + static_cast<long>(done), n, uint8_t{0});
    else std::copy_n(it->second->begin() + static_cast<long>(offset), n, out.begin() + static_cast<long>(done));
    done += n;
  }
  return true;
}

bool GuestMemory::write(uint64_t addr, std::span<const uint8_t> in) {
  if (!contains(addr, in.size())) return false;
  for (size_t done = 0; done < in.size();) {
    uint64_t at = addr + done, offset = at % PAGE_SIZE;
    size_t n = static_cast<size_t>(std::min<uint64_t>(PAGE_SIZE - offset, in.size() - done));
    auto& page = m_pages[at / PAGE_SIZE];
    if (!page) page = std::make_unique<Page>();  // value-initialized: zeros
    std::copy_n(in.begin() + static_cast<long>(done), n, page->begin() + static_cast<long>(offset));
    done += n;
  }
  return true;
}

}  // namespace kvm
