#include "migration/ap_config_stream.h"

namespace migration {
namespace {

void put_be(std::vector<uint8_t>& b, size_t off, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
}

uint64_t get_be(std::span<const uint8_t> b, size_t off, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v = v << 8 | b[off + i];
  return v;
}

}  // namespace

std::vector<uint8_t> encode(const ApConfig& c) {
  std::vector<uint8_t> b(config_size(c.queues.size()), 0);
  put_be(b, 0, c.queues.size(), 4);
  for (unsigned i = 0; i < 4; ++i) put_be(b, 8 + 8 * i, c.adm.word(i), 8);
  size_t off = CONFIG_HEADER_SIZE;
  for (const QueueInfo& q : c.queues) {
    put_be(b, off, q.data, 8);
    put_be(b, off + 8, q.apqn, 2);
    off += QUEUE_INFO_SIZE;
  }
  return b;
}

size_t announced_size(std::span<const uint8_t> stream) {
  return stream.size() < 4 ? 0 : config_size(get_be(stream, 0, 4));
}

base::Result<size_t> ResumeBuffer::write(std::span<const uint8_t> data, bool positioned) {
  if (positioned) return base::Errno{ESPIPE};
  if (data.empty()) return base::Errno{EINVAL};
  if (m_buf.empty()) {
    if (data.size() < 4) return base::Errno{EINVAL};
    uint64_t n = get_be(data, 0, 4);
    if (n > MAX_AP_QUEUES) return base::Errno{EINVAL};
    if (data.size() > config_size(n)) return base::Errno{EIO};
    m_size = config_size(n);
    m_buf.reserve(m_size);
  } else if (m_buf.size() + data.size() > m_size) {
    return base::Errno{EIO};
  }
  m_buf.insert(m_buf.end(), data.begin(), data.end());
  return data.size();
}

ApConfig ResumeBuffer::config() const {
  ApConfig c;
  if (!complete()) return c;
  for (unsigned i = 0; i < 4; ++i) c.adm.set_word(i, get_be(m_buf, 8 + 8 * i, 8));
  const size_t n = get_be(m_buf, 0, 4);
  c.queues.reserve(n);
  for (size_t i = 0, off = CONFIG_HEADER_SIZE; i < n; ++i, off += QUEUE_INFO_SIZE)
    c.queues.push_back({get_be(m_buf, off, 8), static_cast<uint16_t>(get_be(m_buf, off + 8, 2))});
  return c;
}

}  // namespace migration
