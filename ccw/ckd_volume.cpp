#include "ccw/ckd_volume.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "ccw/cdl_labels.h"

namespace ccw::eckd {

std::vector<RecordFormat> standard_track(const Geometry& g, unsigned track) {
  std::vector<RecordFormat> records;
  for (unsigned r = 0;; ++r) {
    auto f = cdl_record(g, track, r);
    if (!f) return records;
    records.push_back(*f);
  }
}

CkdVolume::CkdVolume(const Geometry& g, int fd) : m_geometry(g), m_fd(fd) {
  if (fd < 0) m_memory = std::make_unique<kvm::GuestMemory>(image_size());
}

CkdVolume::~CkdVolume() {
  if (m_fd >= 0) ::close(m_fd);
}

base::Result<std::unique_ptr<CkdVolume>> CkdVolume::open(const Geometry& g, unsigned devno, const std::string& image,
                                                         std::string& error, DscbDate created) {
  int fd = -1;
  bool fresh = true;
  if (!image.empty()) {
    fd = ::open(image.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      int e = errno;
      error = fmt::format("{}: {}", image, std::strerror(e));
      return base::Errno{e};
    }
    struct stat st {};
    ::fstat(fd, &st);
    uint64_t size = uint64_t{g.tracks()} * BLOCKS_PER_TRACK * BLOCK_SIZE;
    fresh = st.st_size == 0;
    if (!fresh && static_cast<uint64_t>(st.st_size) != size) {
      error = fmt::format("{}: {} bytes, but a volume of {} cylinders and {} heads takes {}", image, st.st_size,
                          g.cylinders, g.heads, size);
      ::close(fd);
      return base::Errno{EINVAL};
    }
    if (fresh && ::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      int e = errno;
      error = fmt::format("{}: {}", image, std::strerror(e));
      ::close(fd);
      return base::Errno{e};
    }
  }
  std::unique_ptr<CkdVolume> v(new CkdVolume(g, fd));
  if (fresh && !v->write_new_volume(devno, created)) {
    error = fmt::format("{}: cannot write the volume label", image);
    return base::Errno{EIO};
  }
  return v;
}

// Track 0: IPL1, IPL2, VOL1; track 1: the VTOC of `fdasd -a`.
bool CkdVolume::write_new_volume(unsigned devno, DscbDate created) {
  auto volser = *ebcdic_volser(default_volser(devno));
  bool ok = write(0, 1, ipl1_record()) && write(0, 2, ipl2_record()) && write(0, 3, vol1_label(volser));
  unsigned rec = 1;
  for (const Dscb& d : fdasd_auto_vtoc(m_geometry, volser, created)) ok = ok && write(1, rec++, d);
  return ok;
}

std::optional<RecordFormat> CkdVolume::record(unsigned track, unsigned rec) const {
  if (auto it = m_custom.find(track); it != m_custom.end()) {
    if (rec >= it->second.formats.size()) return std::nullopt;
    return it->second.formats[rec];
  }
  return cdl_record(m_geometry, track, rec);
}

bool CkdVolume::read(unsigned track, unsigned rec, std::span<uint8_t> out) const {
  auto f = record(track, rec);
  if (!f || out.size() != f->kl + f->dl) return false;
  if (auto it = m_custom.find(track); it != m_custom.end()) {
    std::copy(it->second.contents[rec].begin(), it->second.contents[rec].end(), out.begin());
    return true;
  }
  if (rec == 0) {
    std::fill(out.begin(), out.end(), uint8_t{0});
    return true;
  }
  return image_read(uint64_t{cdl_block(track, rec)} * BLOCK_SIZE, out);
}

bool CkdVolume::write(unsigned track, unsigned rec, std::span<const uint8_t> in) {
  auto f = record(track, rec);
  if (!f || in.size() != f->kl + f->dl) return false;
  if (auto it = m_custom.find(track); it != m_custom.end()) {
    it->second.contents[rec].assign(in.begin(), in.end());
    return true;
  }
  if (rec == 0) return true;  // R0's data is not kept on standard tracks
  return image_write(uint64_t{cdl_block(track, rec)} * BLOCK_SIZE, in);
}

void CkdVolume::format(unsigned track, std::vector<RecordFormat> records) {
  if (track >= m_geometry.tracks()) return;
  // Records that keep their place and format keep their contents.
  std::vector<std::vector<uint8_t>> contents;
  for (unsigned r = 0; r < records.size(); ++r) {
    std::vector<uint8_t>& c = contents.emplace_back(records[r].kl + records[r].dl);
    if (record(track, r) == records[r]) read(track, r, c);
  }
  m_custom.erase(track);
  if (records != standard_track(m_geometry, track)) {
    m_custom[track] = Track{std::move(records), std::move(contents)};
    return;
  }
  for (unsigned r = 1; r < records.size(); ++r) {
    contents[r].resize(BLOCK_SIZE);  // the rest of the block: zeros
    image_write(uint64_t{cdl_block(track, r)} * BLOCK_SIZE, contents[r]);
  }
}

bool CkdVolume::image_read(uint64_t offset, std::span<uint8_t> out) const {
  if (m_memory) return m_memory->read(offset, out);
  for (size_t done = 0; done < out.size();) {
    ssize_t n = ::pread(m_fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool CkdVolume::image_write(uint64_t offset, std::span<const uint8_t> in) {
  if (m_memory) return m_memory->write(offset, in);
  for (size_t done = 0; done < in.size();) {
    ssize_t n = ::pwrite(m_fd, in.data() + done, in.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace ccw::eckd
