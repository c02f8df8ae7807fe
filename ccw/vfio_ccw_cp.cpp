// vfio_ccw's channel-program translation (drivers/s390/cio/vfio_ccw_cp.c),
// in the kernel's structure and with its names; the kernel's own code is
// not copied. What stands in for the host:
//  - vfio_dma_rw() and vfio_pin_pages() are the type1 container's (QEMU's
//    default): an IOVA outside the guest's one DMA mapping [0, size) fails
//    with -EINVAL (vfio_find_dma() finds nothing). iommufd would say -ENOENT.
//  - kcalloc() hands out addresses from KMALLOC_BASE up, 8-aligned with an
//    8-byte gap after every block (so "just beyond the end" of one chain is
//    never the start of another), never reused within one program. They
//    are 31-bit, as the ORB's cpa and a TIC's cda must be.
//  - A pinned guest page is reachable at PIN_BASE + slot * 4096, its slot
//    given on its first pin in this program; only format-2 IDAWs hold it.
#include "ccw/vfio_ccw_cp.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <unordered_map>

namespace ccw {
namespace {

constexpr uint64_t PAGE_SHIFT = 12, PAGE_SIZE = uint64_t{1} << PAGE_SHIFT;
constexpr unsigned IDA_SIZE_SHIFT = 12, IDA_2K_SIZE_SHIFT = 11;  // asm/idals.h
constexpr uint64_t KMALLOC_BASE = 0x10000000, KMALLOC_END = 0x80000000;
constexpr uint64_t PIN_BASE = uint64_t{1} << 40;
// The kernel bounds neither the number of chains nor its recursion through
// them (only guest memory and the kernel stack do). The simulator stops
// at this many, failing as ccwchain_alloc() would when kcalloc() fails.
constexpr size_t CCWCHAINS_MAX_SIM = 256;
constexpr int VFIO_NOT_MAPPED = -EINVAL;

uint32_t get32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }
uint64_t get64(const uint8_t* p) { return uint64_t{get32(p)} << 32 | get32(p + 4); }
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  put32(p, static_cast<uint32_t>(v >> 32));
  put32(p + 4, static_cast<uint32_t>(v));
}

// idal_nr_words() / idal_2k_nr_words(): blocks touched by [vaddr, +length),
// in the kernel's unsigned int.
unsigned idal_words(uint64_t vaddr, unsigned length, unsigned shift) {
  unsigned block = 1u << shift;
  unsigned cidaw = static_cast<unsigned>(vaddr & (block - 1));
  cidaw += length + block - 1;
  return cidaw >> shift;
}

bool ccw_is_read(const Ccw1& c) { return (c.cmd_code & 0x03) == 0x02; }
bool ccw_is_read_backward(const Ccw1& c) { return (c.cmd_code & 0x0f) == 0x0c; }
bool ccw_is_sense(const Ccw1& c) { return (c.cmd_code & 0x0f) == CCW_CMD_BASIC_SENSE; }
bool ccw_is_noop(const Ccw1& c) { return c.cmd_code == CCW_CMD_NOOP; }
bool ccw_is_tic(const Ccw1& c) { return c.cmd_code == CCW_CMD_TIC; }
bool ccw_is_idal(const Ccw1& c) { return c.flags & CCW_FLAG_IDA; }
bool ccw_is_skip(const Ccw1& c) { return c.flags & CCW_FLAG_SKIP; }
bool ccw_is_chain(const Ccw1& c) { return c.flags & (CCW_FLAG_CC | CCW_FLAG_DC); }

// Whether the CCW moves data, so its pages must be pinned. SKIP suppresses
// the transfer only for reads, read backward and sense.
bool ccw_does_data_transfer(const Ccw1& c) {
  if (c.count == 0 || ccw_is_noop(c)) return false;
  if (!ccw_is_skip(c)) return true;
  return !(ccw_is_read(c) || ccw_is_read_backward(c) || ccw_is_sense(c));
}

// [head, head + (len - 1) * 8], both ends included, in the kernel's u32
// arithmetic (len 0 wraps the tail below head).
bool is_cpa_within_range(uint32_t cpa, uint32_t head, int len) {
  uint32_t tail = head + static_cast<uint32_t>(len - 1) * 8u;
  return head <= cpa && cpa <= tail;
}

bool is_tic_within_range(const Ccw1& c, uint32_t head, int len) {
  return ccw_is_tic(c) && is_cpa_within_range(c.cda, head, len);
}

}  // namespace

// struct page_array: the guest addresses of one CCW's IDAWs and how many
// of them are pinned.
struct PageArray {
  std::vector<uint64_t> pa_iova;
  int pa_nr = 0;
  bool allocated = false;  // pa_iova != NULL: the kernel never clears it
};

// struct ccwchain.
struct CcwChain {
  std::vector<Ccw1> ch_ccw;  // as allocated; ch_len may shrink below it
  uint64_t ch_iova = 0;
  int ch_len = 0;
  uint64_t host = 0;  // where ch_ccw lies for the channel
  std::vector<PageArray> ch_pa;
};

struct ChannelProgram::Impl final : ChannelMemory {
  explicit Impl(kvm::GuestMemory& g) : guest(g) {}

  kvm::GuestMemory& guest;
  Orb orb;
  std::vector<CcwChain> chains;  // cp->ccwchain_list, in list order

  // The kernel's allocations: a chain's CCWs (read from `chains`) or an IDAL.
  struct Block {
    uint64_t size = 0;
    int chain = -1;
    std::vector<uint8_t> bytes;
  };
  std::map<uint64_t, Block> blocks;
  uint64_t next_alloc = KMALLOC_BASE;

  struct Pin {
    uint64_t slot = 0;
    size_t refs = 0;
  };
  std::unordered_map<uint64_t, Pin> pins;  // by guest page frame
  std::vector<uint64_t> slot_pfn;
  size_t pin_refs = 0;

  void reset() {
    chains.clear();
    blocks.clear();
    next_alloc = KMALLOC_BASE;
    pins.clear();
    slot_pfn.clear();
    pin_refs = 0;
  }

  bool idal_is_2k() const { return !orb.c64 || orb.i2k; }

  // kcalloc(): zeroed, 0 when the simulated region is spent.
  uint64_t kcalloc(uint64_t size) {
    uint64_t at = next_alloc;
    if (size > KMALLOC_END - at) return 0;
    next_alloc = std::min(KMALLOC_END, ((at + size + 7) & ~uint64_t{7}) + 8);
    blocks[at].size = size;
    return at;
  }

  // --- pinning (vfio_pin_pages() / vfio_unpin_pages() on a type1 container)

  uint64_t host_address(uint64_t iova) const {
    return PIN_BASE + pins.at(iova >> PAGE_SHIFT).slot * PAGE_SIZE + (iova & (PAGE_SIZE - 1));
  }

  void pin(uint64_t iova) {
    auto [it, fresh] = pins.try_emplace(iova >> PAGE_SHIFT);
    if (fresh) {
      it->second.slot = slot_pfn.size();
      slot_pfn.push_back(iova >> PAGE_SHIFT);
    }
    ++it->second.refs;
    ++pin_refs;
  }

  void unpin(uint64_t iova) {
    --pins.at(iova >> PAGE_SHIFT).refs;
    --pin_refs;
  }

  // page_array_pin(): all of them or none. The kernel pins contiguous 4K
  // runs in one call, which changes nothing here: type1 finds each page
  // the guest's mapping covers, and fails the rest with -EINVAL.
  int page_array_pin(PageArray& pa) {
    for (int i = 0; i < pa.pa_nr; ++i) {
      if (pa.pa_iova[i] >= guest.size()) {
        while (i-- > 0) unpin(pa.pa_iova[i]);
        pa.pa_nr = 0;
        return VFIO_NOT_MAPPED;
      }
      pin(pa.pa_iova[i]);
    }
    return 0;
  }

  void page_array_unpin(PageArray& pa) {
    for (int i = 0; i < pa.pa_nr; ++i) unpin(pa.pa_iova[i]);
    pa.pa_nr = 0;
  }

  // --- cp_init(): fetching the chains

  // ccwchain_calc_length(): count while a CCW chains (CC or DC) or is a TIC
  // back into the part counted so far; a 257th CCW is -EINVAL.
  static int ccwchain_calc_length(uint32_t iova, const std::vector<Ccw1>& guest_cp) {
    for (int cnt = 1; cnt <= static_cast<int>(CCWCHAIN_LEN_MAX); ++cnt) {
      const Ccw1& c = guest_cp[cnt - 1];
      if (!ccw_is_chain(c) && !is_tic_within_range(c, iova, cnt)) return cnt;
    }
    return -EINVAL;
  }

  bool tic_target_chain_exists(const Ccw1& tic) const {
    return std::any_of(chains.begin(), chains.end(), [&](const CcwChain& ch) {
      return is_cpa_within_range(tic.cda, static_cast<uint32_t>(ch.ch_iova), ch.ch_len);
    });
  }

  // The fetch half of ccwchain_handle_ccw(): copy 2K of CCWs (however short
  // the chain turns out to be), convert format 0, keep the chain's length.
  int fetch_chain(uint32_t gcda) {
    std::array<uint8_t, CCWCHAIN_LEN_MAX * 8> raw;
    if (!guest.read(gcda, raw)) return VFIO_NOT_MAPPED;
    std::vector<Ccw1> guest_cp(CCWCHAIN_LEN_MAX);
    for (size_t i = 0; i < CCWCHAIN_LEN_MAX; ++i) {
      std::span<const uint8_t, 8> word(raw.data() + 8 * i, 8);
      guest_cp[i] = orb.fmt ? decode_ccw1(word) : decode_ccw0(word);
    }
    int len = ccwchain_calc_length(gcda, guest_cp);
    if (len < 0) return len;
    if (chains.size() >= CCWCHAINS_MAX_SIM) return -ENOMEM;
    uint64_t host = kcalloc(uint64_t(len) * 8);
    if (!host) return -ENOMEM;
    blocks[host].chain = static_cast<int>(chains.size());
    CcwChain& ch = chains.emplace_back();
    ch.ch_ccw.assign(guest_cp.begin(), guest_cp.begin() + len);
    ch.ch_iova = gcda;
    ch.ch_len = len;
    ch.host = host;
    ch.ch_pa.resize(len);
    return 0;
  }

  // ccwchain_handle_ccw() with ccwchain_loop_tic(): the kernel recurses
  // into each TIC whose target no chain holds yet, appending chains depth
  // first. An explicit stack keeps that order without the recursion. Any
  // failure fails cp_init() as a whole.
  int ccwchain_handle_ccw(uint32_t cda) {
    struct Frame {
      size_t chain;
      int next;
    };
    if (int ret = fetch_chain(cda)) return ret;
    std::vector<Frame> stack{{chains.size() - 1, 0}};
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == chains[f.chain].ch_len) {
        stack.pop_back();
        continue;
      }
      const Ccw1 tic = chains[f.chain].ch_ccw[f.next++];
      if (!ccw_is_tic(tic) || tic_target_chain_exists(tic)) continue;
      if (int ret = fetch_chain(tic.cda)) return ret;
      stack.push_back({chains.size() - 1, 0});
    }
    return 0;
  }

  // --- cp_prefetch(): translating one CCW

  // ccwchain_fetch_tic(): point the TIC at the host copy of its target.
  int ccwchain_fetch_tic(Ccw1& c) const {
    for (const CcwChain& ch : chains) {
      uint32_t head = static_cast<uint32_t>(ch.ch_iova);
      if (is_cpa_within_range(c.cda, head, ch.ch_len)) {
        c.cda = static_cast<uint32_t>(ch.host) + (c.cda - head);
        return 0;
      }
    }
    return -EFAULT;
  }

  // ccw_count_idaws(): how many IDAWs the data needs, from the first IDAW's
  // address (read from the guest) or the CCW's own; the ORB decides the
  // block size for every CCW. A count of 0 still needs one.
  int ccw_count_idaws(const Ccw1& c) const {
    unsigned bytes = c.count ? c.count : 1;
    uint64_t iova = c.cda;
    if (ccw_is_idal(c)) {
      std::array<uint8_t, 8> first{};
      if (!guest.read(c.cda, std::span(first).first(orb.c64 ? 8 : 4))) return VFIO_NOT_MAPPED;
      iova = orb.c64 ? get64(first.data()) : get32(first.data());
    }
    return static_cast<int>(idal_words(iova, bytes, idal_is_2k() ? IDA_2K_SIZE_SHIFT : IDA_SIZE_SHIFT));
  }

  // get_guest_idal(): idaw_nr 8-byte words, copied from the guest's IDAL
  // (8 bytes a word even when the guest's are 4-byte format-1 ones) or
  // made from a direct CCW's address in the guest's IDAW format.
  bool get_guest_idal(const Ccw1& c, std::vector<uint8_t>& idaws, int idaw_nr) const {
    if (ccw_is_idal(c)) return guest.read(c.cda, idaws);
    uint64_t size = idal_is_2k() ? PAGE_SIZE / 2 : PAGE_SIZE;
    uint64_t addr = c.cda;
    for (int i = 0; i < idaw_nr; ++i) {
      if (i) addr = (addr + size) & ~(size - 1);
      if (orb.c64) put64(&idaws[8 * i], addr);
      else put32(&idaws[4 * i], static_cast<uint32_t>(addr));
    }
    return true;
  }

  // ccwchain_fetch_ccw(): every data CCW becomes an IDA CCW with a host
  // IDAL of format-2 IDAWs to the pinned pages (the guest's 2K blocks stay
  // 2K: cp_get_orb() sets i2k). A CCW that moves no data pins nothing and
  // keeps the guest's words in its IDAL.
  int ccwchain_fetch_ccw(Ccw1& c, PageArray& pa) {
    int idaw_nr = ccw_count_idaws(c);
    if (idaw_nr < 0) return idaw_nr;

    uint64_t at = kcalloc(uint64_t(idaw_nr) * 8);
    if (!at) {
      c.cda = 0;
      return -ENOMEM;
    }
    std::vector<uint8_t> idaws(size_t(idaw_nr) * 8);
    int ret = 0;
    if (!get_guest_idal(c, idaws, idaw_nr)) ret = VFIO_NOT_MAPPED;
    else if (pa.pa_nr || pa.allocated) ret = -EINVAL;  // page_array_alloc()
    if (ret) {
      blocks.erase(at);
      c.cda = 0;
      return ret;
    }

    pa.allocated = true;
    pa.pa_nr = idaw_nr;
    pa.pa_iova.resize(idaw_nr);
    for (int i = 0; i < idaw_nr; ++i)
      pa.pa_iova[i] = orb.c64 ? get64(&idaws[8 * i]) : get32(&idaws[4 * i]);

    if (ccw_does_data_transfer(c)) {
      if ((ret = page_array_pin(pa)) < 0) {
        blocks.erase(at);
        c.cda = 0;
        return ret;
      }
    } else {
      pa.pa_nr = 0;
    }

    c.cda = static_cast<uint32_t>(at);
    c.flags |= CCW_FLAG_IDA;
    // page_array_idal_create_words(): the pinned page plus the IDAW's offset.
    for (int i = 0; i < pa.pa_nr; ++i) put64(&idaws[8 * i], host_address(pa.pa_iova[i]));
    blocks[at].bytes = std::move(idaws);
    return 0;
  }

  // --- the channel's view

  struct Piece {
    const Block* block = nullptr;  // else a pinned page at `guest`
    uint64_t offset = 0, guest = 0;
    size_t len = 0;
  };

  // Where [addr, addr + len) lies, or false if any byte lies nowhere. The
  // channel stores only through IDAWs, into pinned pages: the kernel's
  // CCW and IDAW copies refuse stores.
  bool locate(uint64_t addr, size_t len, bool store, std::vector<Piece>& out) const {
    for (size_t done = 0; done < len;) {
      uint64_t a = addr + done;
      if (a < addr) return false;
      Piece p;
      if (a >= PIN_BASE) {
        uint64_t slot = (a - PIN_BASE) >> PAGE_SHIFT;
        if (slot >= slot_pfn.size() || pins.at(slot_pfn[slot]).refs == 0) return false;
        uint64_t off = a & (PAGE_SIZE - 1);
        p.guest = slot_pfn[slot] * PAGE_SIZE + off;
        p.len = static_cast<size_t>(std::min<uint64_t>(len - done, PAGE_SIZE - off));
        if (!guest.contains(p.guest, p.len)) return false;
      } else {
        auto it = blocks.upper_bound(a);
        if (store || it == blocks.begin()) return false;
        --it;
        if (a - it->first >= it->second.size) return false;
        p.block = &it->second;
        p.offset = a - it->first;
        p.len = static_cast<size_t>(std::min<uint64_t>(len - done, it->second.size - p.offset));
      }
      out.push_back(p);
      done += p.len;
    }
    return true;
  }

  // Bytes [offset, offset + dst.size()) of a block: a chain's are its CCWs
  // encoded, only those the channel asks for.
  void copy_block(const Block& b, size_t offset, std::span<uint8_t> dst) const {
    if (b.chain < 0) {
      std::copy_n(b.bytes.begin() + static_cast<long>(offset), dst.size(), dst.begin());
      return;
    }
    const auto& ccws = chains[b.chain].ch_ccw;
    for (size_t done = 0; done < dst.size();) {
      const size_t at = offset + done, n = std::min(dst.size() - done, 8 - at % 8);
      const auto w = encode(ccws[at / 8]);
      std::copy_n(w.begin() + static_cast<long>(at % 8), n, dst.begin() + static_cast<long>(done));
      done += n;
    }
  }

  bool read(uint64_t addr, std::span<uint8_t> out) const override {
    std::vector<Piece> pieces;
    if (!locate(addr, out.size(), false, pieces)) return false;
    size_t done = 0;
    for (const Piece& p : pieces) {
      auto dst = out.subspan(done, p.len);
      if (p.block) {
        copy_block(*p.block, p.offset, dst);
      } else {
        guest.read(p.guest, dst);
      }
      done += p.len;
    }
    return true;
  }

  bool write(uint64_t addr, std::span<const uint8_t> in) override {
    std::vector<Piece> pieces;
    if (!locate(addr, in.size(), true, pieces)) return false;
    size_t done = 0;
    for (const Piece& p : pieces) {
      guest.write(p.guest, in.subspan(done, p.len));
      done += p.len;
    }
    return true;
  }
};

ChannelProgram::ChannelProgram(kvm::GuestMemory& guest) : m_impl(std::make_unique<Impl>(guest)) {}

ChannelProgram::~ChannelProgram() { free(); }

// cp_init(). The kernel warns (ratelimited) when the ORB lacks pfch and
// prefetches anyway; there is no log here. A failed init leaves nothing:
// the kernel keeps the chains fetched before the failure on its list until
// the next cp_init() drops the list (leaking them), which nobody sees.
int ChannelProgram::init(const Orb& orb) {
  if (m_initialized) return -EBUSY;
  m_impl->reset();
  m_impl->orb = orb;
  if (int ret = m_impl->ccwchain_handle_ccw(orb.cpa)) {
    m_impl->reset();
    return ret;
  }
  m_initialized = true;
  return 0;
}

// cp_prefetch(). On failure the chains are cut to the CCWs translated
// before the failing one, which stay pinned until free(): the caller
// (fsm_io_request) frees the program.
int ChannelProgram::prefetch() {
  if (!m_initialized) return -EINVAL;
  auto& chains = m_impl->chains;
  for (size_t n = 0; n < chains.size(); ++n) {
    CcwChain& ch = chains[n];
    for (int idx = 0; idx < ch.ch_len; ++idx) {
      Ccw1& c = ch.ch_ccw[idx];
      int ret = ccw_is_tic(c) ? m_impl->ccwchain_fetch_tic(c) : m_impl->ccwchain_fetch_ccw(c, ch.ch_pa[idx]);
      if (ret) {
        ch.ch_len = idx;
        for (size_t rest = n + 1; rest < chains.size(); ++rest) chains[rest].ch_len = 0;
        return ret;
      }
    }
  }
  return 0;
}

// cp_get_orb(). The kernel edits its copy of the guest's ORB in place;
// doing it on a copy gives the same ORB every call. Not initialized: the
// kernel returns NULL (fsm_io_helper() then fails with -EIO); here a zero
// ORB, so callers check initialized() first.
Orb ChannelProgram::get_orb(uint32_t intparm, uint8_t sch_lpm) const {
  if (!m_initialized) return Orb{};
  Orb o = m_impl->orb;
  o.intparm = intparm;
  o.fmt = true;
  // Everything vfio_ccw builds is format 2; format-1 input means 2K blocks.
  if (!o.c64) o.i2k = true;
  o.c64 = true;
  if (o.lpm == 0) o.lpm = sch_lpm;
  o.cpa = static_cast<uint32_t>(m_impl->chains.front().host);
  return o;
}

// cp_update_scsw(): a cpa in a host chain, or just past its end (where it
// points after the chain ran), becomes the same offset in the guest's.
void ChannelProgram::update_scsw(Scsw& scsw) const {
  if (!m_initialized) return;
  for (const CcwChain& ch : m_impl->chains) {
    uint32_t head = static_cast<uint32_t>(ch.host);
    if (is_cpa_within_range(scsw.cpa, head, ch.ch_len + 1)) {
      scsw.cpa += static_cast<uint32_t>(ch.ch_iova) - head;
      return;
    }
  }
}

// cp_iova_pinned(): any pinned IDAW page among the pages of [iova, +length).
bool ChannelProgram::iova_pinned(uint64_t iova, uint64_t length) const {
  if (!m_initialized) return false;
  uint64_t first = iova >> PAGE_SHIFT, last = (iova + length - 1) >> PAGE_SHIFT;
  for (const CcwChain& ch : m_impl->chains)
    for (int i = 0; i < ch.ch_len; ++i) {
      const PageArray& pa = ch.ch_pa[i];
      for (int j = 0; j < pa.pa_nr; ++j) {
        uint64_t pfn = pa.pa_iova[j] >> PAGE_SHIFT;
        if (pfn >= first && pfn <= last) return true;
      }
    }
  return false;
}

// cp_free(): unpin what the chains hold and forget them. The simulator
// drops everything else it made for the program too.
void ChannelProgram::free() {
  if (!m_initialized) return;
  m_initialized = false;
  for (CcwChain& ch : m_impl->chains)
    for (int i = 0; i < ch.ch_len; ++i) m_impl->page_array_unpin(ch.ch_pa[i]);
  m_impl->reset();
}

ChannelMemory& ChannelProgram::memory() { return *m_impl; }

// Page references held, as vfio_pin_pages() counts them: a page behind two
// 2K IDAWs counts twice.
size_t ChannelProgram::pinned_pages() const { return m_impl->pin_refs; }

size_t ChannelProgram::ccw_count() const {
  size_t n = 0;
  for (const CcwChain& ch : m_impl->chains) n += static_cast<size_t>(ch.ch_len);
  return n;
}

}  // namespace ccw
