// Live reconstruction (kernels/streaming_fbp.hpp) against the batch reconstruction of the same data,
// in the same run: a slab of 64 slices × 1024 columns from 900 projections, fed to StreamingFbp in
// chunks of 1, 8, 32 or 128 projections, and FbpReconstructor on the complete sinograms; then what the
// end of the scan costs (finish, with and without the Rivers correction) and one live snapshot.
// Each benchmark also reports its result's relative error against the batch one (largest
// difference over the largest value), computed outside the timed region. The machine is shared:
// "Time" is wall time, "CPU" the process's CPU time over both threads, the steadier of the two
// when other work competes for the cores.
//
//   build/bench/tomo_bench --benchmark_filter=Live --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/streaming_fbp.hpp"

namespace {

constexpr int kSlices = 64;
constexpr int kColumns = 1024;
constexpr int kProjections = 900;
constexpr int kThreads = 2;
constexpr std::size_t kSliceSize = static_cast<std::size_t>(kColumns) * kColumns;
constexpr std::size_t kSinogramSize = static_cast<std::size_t>(kProjections) * kColumns;

tomo::FbpSettings live_settings() {
  tomo::FbpSettings settings;
  settings.geometry = {kColumns, kColumns / 2.0f + 0.25f, std::vector<float>(kProjections)};
  for (int p = 0; p < kProjections; ++p)
    settings.geometry.angles_rad[static_cast<std::size_t>(p)] = static_cast<float>(p * std::numbers::pi / kProjections);
  settings.filter = tomo::FilterWindow::shepp_logan;
  settings.threads = kThreads;
  return settings;
}

const tomo::RingFilter& rivers() {
  static const tomo::RingFilter filter = tomo::parse_ring_filter("rivers:21;0");
  return filter;
}

// Line integrals (slice, projection, column): white noise in [0, 1) (the hardest case for the
// kernels' rounding) plus a constant offset down every 37th column, the stripes Rivers removes.
const std::vector<float>& sinograms() {
  static const std::vector<float> values = [] {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> value(0.0f, 1.0f);
    std::vector<float> v(static_cast<std::size_t>(kSlices) * kSinogramSize);
    for (auto& x : v) x = value(rng);
    for (std::size_t row = 0; row < v.size() / kColumns; ++row)
      for (std::size_t c = 0; c < kColumns; c += 37) v[row * kColumns + c] += 0.3f;
    return v;
  }();
  return values;
}

// FbpReconstructor's slab, without and with rivers_filter first: the references for the error.
const std::vector<float>& batch_result(bool with_rivers) {
  static std::vector<float> results[2];
  auto& result = results[with_rivers ? 1 : 0];
  if (result.empty()) {
    auto copy = sinograms();
    if (with_rivers) tomo::remove_rings(copy, kSlices, kProjections, kColumns, rivers(), kThreads);
    result.resize(kSlices * kSliceSize);
    tomo::FbpReconstructor(live_settings()).reconstruct(copy, kSlices, result);
  }
  return result;
}

double relative_error(const std::vector<float>& got, const std::vector<float>& reference) {
  double worst = 0, largest = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::abs(double(got[i]) - double(reference[i])));
    largest = std::max(largest, std::abs(double(reference[i])));
  }
  return worst / largest;
}

// Projections [first, first + count) of every slice, laid out (slice, k, column), as a chunk
// arrives from the acquisition.
void copy_chunk(int first, int count, std::vector<float>& chunk) {
  const auto& all = sinograms();
  chunk.resize(static_cast<std::size_t>(kSlices) * count * kColumns);
  for (std::size_t s = 0; s < kSlices; ++s)
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(s * kSinogramSize + static_cast<std::size_t>(first) * kColumns),
                static_cast<std::ptrdiff_t>(count) * kColumns,
                chunk.begin() + static_cast<std::ptrdiff_t>(s * count * kColumns));
}

// The whole scan through StreamingFbp in chunks of `chunk_projections`, in order.
void add_all(tomo::StreamingFbp& streaming, int chunk_projections, benchmark::State* timed) {
  std::vector<float> chunk;
  for (int first = 0; first < kProjections; first += chunk_projections) {
    const int count = std::min(chunk_projections, kProjections - first);
    if (timed) timed->PauseTiming();  // the chunk's data is the acquisition's, not the kernel's work
    copy_chunk(first, count, chunk);
    if (timed) timed->ResumeTiming();
    streaming.add(chunk, first, count);
  }
}

// The batch reconstruction: ramp filter, slab backprojection, mask, of the complete sinograms.
void BM_LiveBatchFbp(benchmark::State& state) {
  const tomo::FbpReconstructor fbp(live_settings());
  std::vector<float> copy, out(kSlices * kSliceSize);
  for (auto _ : state) {
    state.PauseTiming();
    copy = sinograms();
    state.ResumeTiming();
    fbp.reconstruct(copy, kSlices, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ms/projection"] =
      benchmark::Counter(kProjections * 1e-3, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LiveBatchFbp)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime()->MeasureProcessCPUTime();

// Every projection through add(), in chunks of state.range(0) projections (the running sums'
// allocation included), then finish() outside the timed region for the error.
void BM_LiveStreamingAdd(benchmark::State& state) {
  const int chunk_projections = static_cast<int>(state.range(0));
  std::vector<float> out(kSlices * kSliceSize);
  double error = 0;
  for (auto _ : state) {
    tomo::StreamingFbp streaming(live_settings(), kSlices);
    add_all(streaming, chunk_projections, &state);
    state.PauseTiming();
    streaming.finish(out);
    error = relative_error(out, batch_result(false));
    state.ResumeTiming();
  }
  state.counters["ms/projection"] =
      benchmark::Counter(kProjections * 1e-3, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["rel_error"] = error;
}
BENCHMARK(BM_LiveStreamingAdd)
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// The same with a live slice (the slab's middle one) published after every chunk: each
// snapshot_slice() backprojects the projections held back, so every chunk then costs a pass over
// the running sums — what add() would cost if it did not hold small chunks back.
void BM_LiveStreamingWithLiveSlice(benchmark::State& state) {
  const int chunk_projections = static_cast<int>(state.range(0));
  std::vector<float> chunk, live(kSliceSize);
  for (auto _ : state) {
    tomo::StreamingFbp streaming(live_settings(), kSlices);
    for (int first = 0; first < kProjections; first += chunk_projections) {
      const int count = std::min(chunk_projections, kProjections - first);
      state.PauseTiming();
      copy_chunk(first, count, chunk);
      state.ResumeTiming();
      streaming.add(chunk, first, count);
      streaming.snapshot_slice(kSlices / 2, live);
    }
    benchmark::DoNotOptimize(live.data());
  }
  state.counters["ms/projection"] =
      benchmark::Counter(kProjections * 1e-3, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LiveStreamingWithLiveSlice)
    ->Arg(8)
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// The end of the scan: finish() of a complete slab, state.range(0) = 0 without ring correction,
// 1 with Rivers (width 21): the latter's extra is the reconstruction of the stripe profile.
void BM_LiveFinish(benchmark::State& state) {
  const bool with_rivers = state.range(0) == 1;
  tomo::StreamingFbp streaming(live_settings(), kSlices, with_rivers ? rivers() : tomo::RingFilter{});
  add_all(streaming, 32, nullptr);
  std::vector<float> out(kSlices * kSliceSize);
  for (auto _ : state) {
    streaming.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(with_rivers ? "rivers:21" : "no ring correction");
  state.counters["rel_error"] = relative_error(out, batch_result(with_rivers));
}
BENCHMARK(BM_LiveFinish)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// One live view of the whole slab (64 slices) halfway through the scan, nothing held back: the
// pass over the running sums that scales and masks them.
void BM_LiveSnapshot(benchmark::State& state) {
  tomo::StreamingFbp streaming(live_settings(), kSlices);
  std::vector<float> chunk;
  for (int first = 0; first < kProjections / 2; first += 30) {
    copy_chunk(first, 30, chunk);
    streaming.add(chunk, first, 30);
  }
  std::vector<float> out(kSlices * kSliceSize);
  streaming.snapshot(out);  // backprojects the projections held back (BM_LiveStreamingWithLiveSlice times that)
  for (auto _ : state) {
    streaming.snapshot(out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_LiveSnapshot)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace
