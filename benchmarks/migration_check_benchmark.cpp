// migration_check_benchmark: the destination's compatibility check of a full
// 65,536-APQN AP configuration (256 adapters x 256 domains), as vfio_ap runs
// it when the last byte of the migration data arrives, and as the offline
// check runs it on snapshots.
//
// Setup, once (about a second): a System with testdata/hosts/full-256x256.json
// (64 cards each of CEX5C, CEX6A, CEX7P, CEX8C: half of the queues are CCA
// ones whose master keys the offline check compares), every queue rebound to vfio_ap ("0x" into apmask and
// aqmask), and the source configuration of all 65,536 queues with their TAPQ
// words (1 MiB of migration data).
//
//   kernel/check/same_hardware    do_post_copy_validation() against this
//                                 host: every queue bound to vfio_ap, every
//                                 control domain, a TAPQ per queue; the words
//                                 are equal (the QINFO_DATA_MASK fast path)
//   kernel/check/newer_target     the same, but the source's AP type is one
//                                 older, so every queue takes the full
//                                 comparison of the seed's table
//   offline/check_migration       check_migration() on two snapshots of the
//                                 host (every rule, then the live order)
//   offline/parse_snapshot        reading one snapshot's JSON (6 MB)
//   reference/decode_stream       receiving the 1 MiB stream: ResumeBuffer
//                                 writes of 4 KiB and config(), the work
//                                 the destination does anyway; the ratios
//                                 are against it
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "apbus/host_config.h"
#include "cli/snapshot.h"
#include "cli/system.h"
#include "mdev/vfio_ap_migration.h"
#include "migration/offline_check.h"

namespace {

const std::string U = "62177883-f1bb-47f0-914d-32a22e3a8804";

struct Setup {
  std::unique_ptr<mdevsim::System> sys;
  migration::ApConfig same, older;
  std::vector<uint8_t> stream;
  migration::HostSnapshot src, dst;
  std::string dst_json;

  Setup() {
    std::string error;
    auto host = ap::load_host_file(MDEVSIM_FULL_HOST, error);
    if (!host) throw std::runtime_error(error);
    sys = std::make_unique<mdevsim::System>(*host);
    for (const char* mask : {"bus/ap/apmask", "bus/ap/aqmask"})
      if (!sys->tree().write(mask, "0x\n")) throw std::runtime_error(fmt::format("{}: write failed", mask));
    if (!sys->tree().write("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", U))
      throw std::runtime_error("create failed");
    vfio_ap::ThisHost me(sys->ap_bus());
    same.adm = sys->ap_bus().qci_adm();
    for (unsigned apid = 0; apid < 256; ++apid)
      for (unsigned apqi = 0; apqi < 256; ++apqi) {
        uint64_t hw = me.tapq(apid, apqi).hwinfo;
        same.queues.push_back({hw, static_cast<uint16_t>(apid << 8 | apqi)});
        older.queues.push_back({hw - (uint64_t{1} << 24), static_cast<uint16_t>(apid << 8 | apqi)});  // AP type - 1
      }
    older.adm = same.adm;
    stream = migration::encode(same);

    // The source: the mdev holds everything and guest vm1 uses it; the
    // destination: the same host with the mdev free.
    auto& md = sys->matrix_dev();
    vfio_ap::MatrixMdev* m = md.find(U);
    vfio_ap::ApMatrix all{base::Bitmap256::all(), base::Bitmap256::all(), same.adm};
    if (!md.set_ap_config(*m, all) || !sys->guests().start("vm1", {.devices = {"vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/" + U}}, error)) throw std::runtime_error("guest: " + error);
    src = mdevsim::take_snapshot(*sys, "src");
    dst = src;
    dst.host = "dst";
    dst.guests.clear();
    for (auto& d : dst.mdevs) d.guest.clear();
    dst_json = migration::to_json(dst);
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

void check_kernel(benchmark::State& state, const migration::ApConfig& c) {
  vfio_ap::ThisHost host(setup().sys->ap_bus());
  for (auto _ : state) {
    std::vector<migration::LogLine> log;
    int err = migration::post_copy_validation(U, c, host, log);
    if (err) state.SkipWithError("the check failed");
    benchmark::DoNotOptimize(err);
  }
  state.counters["queues"] = static_cast<double>(c.queues.size());
}

void BM_KernelSame(benchmark::State& state) { check_kernel(state, setup().same); }
void BM_KernelNewerTarget(benchmark::State& state) { check_kernel(state, setup().older); }

void BM_OfflineCheck(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) {
    std::string error;
    auto r = migration::check_migration(s.src, "vm1", "", s.dst, error);
    if (!r || !r->migrates) state.SkipWithError("the check failed");
    benchmark::DoNotOptimize(r);
  }
}

void BM_ParseSnapshot(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) {
    std::string error;
    auto r = migration::parse_snapshot(s.dst_json, error);
    if (!r) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(s.dst_json.size());
}

void BM_DecodeStream(benchmark::State& state) {
  const std::vector<uint8_t>& data = setup().stream;
  for (auto _ : state) {
    migration::ResumeBuffer b;
    for (size_t off = 0; off < data.size(); off += 4096)
      (void)b.write(std::span(data).subspan(off, std::min<size_t>(4096, data.size() - off)), false);
    auto c = b.config();
    benchmark::DoNotOptimize(c);
  }
}

BENCHMARK(BM_KernelSame)->Name("kernel/check/same_hardware")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KernelNewerTarget)->Name("kernel/check/newer_target")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OfflineCheck)->Name("offline/check_migration")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseSnapshot)->Name("offline/parse_snapshot")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeStream)->Name("reference/decode_stream")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
