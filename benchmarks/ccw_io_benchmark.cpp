// ccw_io_benchmark: block reads from a simulated 3390 through the whole
// vfio-ccw path, against pread() of the same blocks from the DASD's image
// file, in the same run.
//
// One request through the simulator: the guest's dasd-eckd writes its
// channel program into guest memory and issues SSCH; QEMU passes the ORB to
// the vfio-ccw mdev's I/O region; vfio_ccw's FSM copies the chain
// (cp_init), pins the guest pages the CCWs address and rewrites them as
// IDALs (cp_prefetch) and starts the host subchannel; the channel runs the
// program on the 3390, which preads each record from the image; the
// interrupt reaches vfio_ccw (cp_free), the IRB goes to the I/O region and
// the eventfd to QEMU, which makes the guest's I/O interrupt pending; the
// guest takes the status with TSCH.
//
// Setup, once (about a second): a System with the default host, whose DASD
// on subchannel 0.0.0313 is backed by a new image file of --cylinders
// (default 100, 70 MiB) in --image_dir (default: the temp dir); the
// subchannel bound to vfio_ccw, an mdev, a guest with it as fe.0.1234 and
// the DASD set online (chccwdev -e). Then every block from 24 on (past
// CDL's short records on tracks 0 and 1) is filled with a pattern by
// pwrite() into the image (the simulator keeps no copy of standard tracks)
// and fsync()ed, so that both paths read real data from a warm page cache
// and no writeback runs while timing; one read through each path checks it.
//
// Benchmarks (real time; items/s = requests/s, bytes/s):
//   read4k/vfio_ccw   dasd-eckd's READ of one 4 KiB block (DE, LR, READ
//                     DATA MT), blocks in a fixed random order
//   read4k/pread      pread() of 4 KiB at block * 4096, the same order
//   read1m/vfio_ccw   256 blocks in one channel program (DE, then LR and
//                     128 READ DATA twice, joined by a TIC), sequential
//   read1m/pread      pread() of 1 MiB at the same offsets
// Counters of the vfio_ccw ones:
//   ratio_vs_pread            requests/s over pread's, with pread timed on
//                             the same requests right after the timed loop
//                             (a pair per repetition)
//   pages_pinned_per_request  guest pages vfio_ccw held when the interrupt
//                             came (ChannelProgram::pinned_pages())
//   ccws_per_request          CCWs the channel fetched (last_program())
// The summary prints the medians' ratios and the paired ones.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/bench_support.h"
#include "ccw/device_models.h"
#include "ccw/vfio_ccw_drv.h"
#include "cli/system.h"
#include "guest/dasd_eckd.h"

namespace {

constexpr unsigned FIRST_BLOCK = 24;  // past CDL's special records
constexpr size_t BLOCK = 4096;
constexpr unsigned BIG = guest::DasdEckd::MAX_BLOCKS;  // 256 blocks: 1 MiB
const std::string UUID = "7e270a25-e163-4922-af60-757fc8ed48c6";

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "ccw_io_benchmark: %s\n", why.c_str());
  std::exit(1);
}

// What block b holds: its number in every word, so a misplaced read shows.
void fill_block(unsigned b, uint8_t* out) {
  for (size_t i = 0; i < BLOCK; i += 4) {
    uint32_t w = b * 2654435761u ^ static_cast<uint32_t>(i);
    std::memcpy(out + i, &w, 4);
  }
}

struct Setup {
  std::filesystem::path dir;
  std::string image;
  int fd = -1;  // the image, for the reference
  std::unique_ptr<mdevsim::System> sys;
  qemu::Guest* g = nullptr;
  std::unique_ptr<guest::CcwIo> io;
  guest::DasdGeometry geo;
  std::unique_ptr<guest::DasdEckd> dasd;
  ccw::MachineSubchannel* hw = nullptr;
  size_t pinned = 0;  // summed at each interrupt
  std::vector<unsigned> random_blocks;

  Setup(const std::string& image_dir, unsigned cylinders) {
    dir = std::filesystem::path(bench::make_tmp_dir(image_dir.c_str()));
    image = (dir / "2b09.img").string();
    std::string error;
    auto host = mdevsim::default_host();
    ccw::DeviceModels devices;
    for (auto& sch : host.css.subchannels) {
      if (sch.schid.number != 0x313 || !sch.dev) continue;
      sch.dev->cylinders = cylinders;
      sch.dev->image = image;
      auto model = ccw::make_device_model(*sch.dev, error);
      if (!model) die(error);
      devices.emplace(sch.schid, std::move(*model));
    }
    sys = std::make_unique<mdevsim::System>(std::move(host.ap), std::move(host.css), std::move(devices));
    for (auto [path, value] : {std::pair{"bus/css/devices/0.0.0313/driver/unbind", "0.0.0313"},
                               std::pair{"bus/css/drivers/vfio_ccw/bind", "0.0.0313"},
                               std::pair{"bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io/create", UUID.c_str()}})
      if (!sys->tree().write(path, value)) die(std::string(path) + ": write failed");
    if (!sys->guests().start("bench", {.devices = {"vfio-ccw,devno=fe.0.1234,sysfsdev=/sys/bus/mdev/devices/" + UUID}},
                             error))
      die("guest: " + error);
    g = sys->guests().find("bench");
    io = std::make_unique<guest::CcwIo>(sys->guests(), *g, g->ccw[0]);
    dasd = std::make_unique<guest::DasdEckd>(*io, geo);
    std::vector<std::string> dmesg;
    if (!dasd->set_online({}, dmesg, error)) die("online: " + error);
    if (geo.block_size != BLOCK || geo.blocks() < FIRST_BLOCK + 2 * BIG) die("unexpected geometry");

    // The pins are gone once the request ends (cp_free() in the interrupt
    // path): count them as the interrupt arrives, before vfio_ccw sees it.
    ccw::VfioCcwPrivate* p = sys->vfio_ccw().private_of(*g->ccw[0].mdev);
    if (!p) die("no vfio_ccw private");
    hw = p->sch->hw.get();
    hw->on_interrupt = [this, p, next = hw->on_interrupt] {
      if (p->cp) pinned += p->cp->pinned_pages();
      next();
    };

    fd = ::open(image.c_str(), O_RDWR);
    if (fd < 0) die(image + ": " + std::strerror(errno));
    std::vector<uint8_t> chunk(BIG * BLOCK);
    for (unsigned b = FIRST_BLOCK; b < geo.blocks(); b += BIG) {
      const unsigned n = std::min(BIG, geo.blocks() - b);
      for (unsigned i = 0; i < n; ++i) fill_block(b + i, chunk.data() + i * BLOCK);
      if (::pwrite(fd, chunk.data(), n * BLOCK, static_cast<off_t>(b) * BLOCK) != static_cast<ssize_t>(n * BLOCK))
        die("pwrite failed");
    }
    if (::fsync(fd) != 0) die("fsync failed");

    std::mt19937 rng(2024);
    std::uniform_int_distribution<unsigned> pick(FIRST_BLOCK, geo.blocks() - 1);
    random_blocks.resize(1 << 16);
    for (auto& b : random_blocks) b = pick(rng);
    check();
  }
  ~Setup() {
    if (fd >= 0) ::close(fd);
    dasd.reset();
    io.reset();
    sys.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // Both paths return the pattern.
  void check() {
    std::vector<uint8_t> want(BIG * BLOCK), got(BIG * BLOCK);
    const unsigned b = random_blocks[0];
    fill_block(b, want.data());
    auto r = dasd->read_block(b);
    if (!r || !std::equal(r->begin(), r->end(), want.begin())) die("read_block returned other data");
    if (::pread(fd, got.data(), BLOCK, static_cast<off_t>(b) * BLOCK) != BLOCK ||
        !std::equal(got.begin(), got.begin() + BLOCK, want.begin()))
      die("pread returned other data");
    for (unsigned i = 0; i < BIG; ++i) fill_block(FIRST_BLOCK + i, want.data() + i * BLOCK);
    if (!dasd->read_blocks(FIRST_BLOCK, BIG) || !g->kvm.memory.read(guest::DATA_AREA, got) || got != want)
      die("read_blocks returned other data");
  }

  // The first block of the i-th 1 MiB request: sequential, wrapping.
  unsigned big_first(size_t i) const {
    const size_t requests = (geo.blocks() - FIRST_BLOCK) / BIG;
    return FIRST_BLOCK + static_cast<unsigned>(i % requests) * BIG;
  }
};
std::unique_ptr<Setup> g_setup;

using Clock = std::chrono::steady_clock;

// pread() of request i (`big`: a 1 MiB one), as the simulator gets it.
bool pread_one(size_t i, bool big, std::vector<uint8_t>& buf) {
  const Setup& s = *g_setup;
  const unsigned b = big ? s.big_first(i) : s.random_blocks[i % s.random_blocks.size()];
  const ssize_t r = ::pread(s.fd, buf.data(), buf.size(), static_cast<off_t>(b) * BLOCK);
  benchmark::DoNotOptimize(buf.data());
  return r == static_cast<ssize_t>(buf.size());
}

void bm_pread(benchmark::State& state, bool big) {
  std::vector<uint8_t> buf(big ? BIG * BLOCK : BLOCK);
  size_t i = 0;
  for (auto _ : state) {
    if (!pread_one(i++, big, buf)) {
      state.SkipWithError("pread failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.size()));
}

void bm_vfio_ccw(benchmark::State& state, bool big) {
  Setup& s = *g_setup;
  size_t i = 0, ccws = 0;
  s.pinned = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) {
    // The model lock per request, as the CLI and the FUSE server take it.
    std::unique_lock lk(s.sys->lock());
    bool ok;
    if (big) {
      ok = s.dasd->read_blocks(s.big_first(i), BIG);
    } else {
      auto r = s.dasd->read_block(s.random_blocks[i % s.random_blocks.size()]);
      ok = r.has_value();
      benchmark::DoNotOptimize(r);
    }
    if (!ok) {
      state.SkipWithError("I/O error");
      break;
    }
    ccws += s.hw->last_program().ccws;
    ++i;
  }
  const double t_sim = std::chrono::duration<double>(Clock::now() - t0).count();
  // The same requests by pread(), now: a pair in every repetition.
  std::vector<uint8_t> buf(big ? BIG * BLOCK : BLOCK);
  const auto t1 = Clock::now();
  for (size_t j = 0; j < i; ++j)
    if (!pread_one(j, big, buf)) {
      state.SkipWithError("pread failed");
      break;
    }
  const double t_pread = std::chrono::duration<double>(Clock::now() - t1).count();

  const int64_t n = state.iterations();
  state.SetItemsProcessed(n);
  state.SetBytesProcessed(n * static_cast<int64_t>(buf.size()));
  state.counters["ratio_vs_pread"] = t_sim > 0 ? t_pread / t_sim : 0;
  state.counters["pages_pinned_per_request"] = benchmark::Counter(static_cast<double>(s.pinned), benchmark::Counter::kAvgIterations);
  state.counters["ccws_per_request"] = benchmark::Counter(static_cast<double>(ccws), benchmark::Counter::kAvgIterations);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string image_dir = bench::take_option(argc, argv, "image_dir", std::filesystem::temp_directory_path().string());
  const auto cylinders = static_cast<unsigned>(std::stoul(bench::take_option(argc, argv, "cylinders", "100")));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  g_setup = std::make_unique<Setup>(image_dir, cylinders);

  for (bool big : {false, true}) {
    const std::string k = big ? "read1m" : "read4k";
    benchmark::RegisterBenchmark((k + "/vfio_ccw").c_str(), [big](benchmark::State& s) { bm_vfio_ccw(s, big); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((k + "/pread").c_str(), [big](benchmark::State& s) { bm_pread(s, big); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  auto reporter = bench::make_reporter();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (!bench::results().empty()) {
    bench::print_ratios({{"4 KiB random: vfio_ccw / pread", "read4k/vfio_ccw", "read4k/pread", 1},
                         {"1 MiB sequential: vfio_ccw / pread", "read1m/vfio_ccw", "read1m/pread", 1}});
    std::printf("\n== Per request (medians over the repetitions; MB = 10^6 bytes)\n");
    std::printf("%-18s %12s %10s %14s %8s %6s\n", "benchmark", "requests/s", "MB/s", "paired ratio", "pinned", "CCWs");
    for (const char* k : {"read4k", "read1m"}) {
      const double bytes = std::string(k) == "read1m" ? BIG * BLOCK : BLOCK;
      for (const char* path : {"vfio_ccw", "pread"}) {
        const std::string name = std::string(k) + "/" + path;
        const bench::Result* r = bench::result_of(name);
        if (!r) continue;
        if (std::string(path) == "pread") {
          std::printf("%-18s %12.0f %10.1f\n", name.c_str(), r->median(), r->median() * bytes / 1e6);
          continue;
        }
        std::printf("%-18s %12.0f %10.1f %14.3f %8.1f %6.1f\n", name.c_str(), r->median(), r->median() * bytes / 1e6,
                    r->counter("ratio_vs_pread"), r->counter("pages_pinned_per_request"), r->counter("ccws_per_request"));
      }
    }
    std::fflush(stdout);
  }
  g_setup.reset();
  return 0;
}
