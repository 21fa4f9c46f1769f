// Kernel throughput at the size of a real STP scan slice: 2048 columns × 1800 projections.
// Every rate is quoted beside a ceiling measured in the same run (a plain multiply-add loop
// over the same number of updates, and a memory-bandwidth sweep), because this machine is shared.
//
//   build/bench/tomo_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/correction.hpp"
#include "kernels/flat_field.hpp"
#include "kernels/gridrec.hpp"
#include "kernels/preprocessing_cuda.hpp"
#include "kernels/parallel.hpp"

namespace {

constexpr int kColumns = 2048;
constexpr int kProjections = 1800;

std::vector<float> random_values(std::size_t count) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  std::vector<float> v(count);
  for (auto& x : v) x = value(rng);
  return v;
}

tomo::ParallelGeometry geometry() {
  tomo::ParallelGeometry g{kColumns, kColumns / 2.0f, std::vector<float>(kProjections)};
  for (int p = 0; p < kProjections; ++p) g.angles_rad[static_cast<std::size_t>(p)] = static_cast<float>(p * std::numbers::pi / kProjections);
  return g;
}

void set_update_rate(benchmark::State& state, double updates_per_iteration) {
  state.counters["Gupdates/s"] =
      benchmark::Counter(updates_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// One slice: N² pixels × P projections updates, both cores.
void BM_Backprojection(benchmark::State& state) {
  const auto sinogram = random_values(static_cast<std::size_t>(kProjections) * kColumns);
  std::vector<float> slice(static_cast<std::size_t>(kColumns) * kColumns);
  const auto g = geometry();
  for (auto _ : state) {
    tomo::backproject(sinogram, 1, g, 1.0f, slice, 2);
    benchmark::DoNotOptimize(slice.data());
  }
  set_update_rate(state, double(kColumns) * kColumns * kProjections);
}
BENCHMARK(BM_Backprojection)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// A slab: kSlabLanes slices at once (SIMD lanes = slices), both cores.
void BM_BackprojectionSlab(benchmark::State& state) {
  const int slices = tomo::kSlabLanes;
  const auto sinograms = random_values(static_cast<std::size_t>(slices) * kProjections * kColumns);
  std::vector<float> out(static_cast<std::size_t>(slices) * kColumns * kColumns);
  const auto g = geometry();
  for (auto _ : state) {
    tomo::backproject_slab(sinograms, slices, g, 1.0f, out, 2);
    benchmark::DoNotOptimize(out.data());
  }
  set_update_rate(state, double(slices) * kColumns * kColumns * kProjections);
}
BENCHMARK(BM_BackprojectionSlab)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// The ceiling for the same number of updates: one fused multiply-add each, from registers,
// 128 independent accumulators per thread (8 AVX-512 registers) so the FMA pipes stay full.
void BM_FmaCeiling(benchmark::State& state) {
  const double updates = double(kColumns) * kColumns * kProjections;
  const std::size_t per_thread = static_cast<std::size_t>(updates / 2 / 128);
  for (auto _ : state) {
    tomo::parallel_for(2, 2, [&](std::size_t begin, std::size_t) {
      float acc[128];
      for (int k = 0; k < 128; ++k) acc[k] = float(begin + k);
      const float a = 0.999f, b = 1e-3f;
      for (std::size_t i = 0; i < per_thread; ++i)
        for (int k = 0; k < 128; ++k) acc[k] = acc[k] * a + b;
      for (int k = 0; k < 128; ++k) benchmark::DoNotOptimize(acc[k]);
    });
  }
  set_update_rate(state, updates);
}
BENCHMARK(BM_FmaCeiling)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// Memory bandwidth: stream-add over 1 GiB of floats, both cores.
void BM_MemoryBandwidth(benchmark::State& state) {
  const std::size_t count = std::size_t{1} << 28;
  std::vector<float> a(count, 1.0f), b(count, 2.0f);
  for (auto _ : state) {
    tomo::parallel_for(count, 2, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) a[i] += b[i];
    });
    benchmark::DoNotOptimize(a.data());
  }
  state.counters["GB/s"] = benchmark::Counter(3.0 * count * sizeof(float) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MemoryBandwidth)->Unit(benchmark::kMillisecond)->UseRealTime();

// The ramp filter of one slice's sinogram (1800 rows of 2048, padded to 4096).
void BM_RampFilter(benchmark::State& state) {
  const tomo::RampFilter filter(kColumns, tomo::FilterWindow::shepp_logan, 1.0f);
  auto sinogram = random_values(static_cast<std::size_t>(kProjections) * kColumns);
  for (auto _ : state) {
    filter.apply(sinogram, 2);
    benchmark::DoNotOptimize(sinogram.data());
  }
}
BENCHMARK(BM_RampFilter)->Unit(benchmark::kMillisecond)->UseRealTime();

// One slice end to end from raw counts: correction and -log, filter, backprojection, mask.
void BM_SliceEndToEnd(benchmark::State& state) {
  const auto raw = random_values(static_cast<std::size_t>(kProjections) * kColumns);
  const std::vector<float> dark(kColumns, 0.0f), flat(kColumns, 2.0f);
  const auto flat_field = tomo::make_flat_field(dark, flat, 1, kColumns);
  tomo::FbpSettings settings;
  settings.geometry = geometry();
  settings.threads = 2;
  const tomo::FbpReconstructor fbp(settings);
  std::vector<float> slice(static_cast<std::size_t>(kColumns) * kColumns);
  for (auto _ : state) {
    auto sinogram = raw;
    tomo::correct_projections(sinogram, kProjections, flat_field, {}, 2);
    fbp.reconstruct(sinogram, 1, slice);
    benchmark::DoNotOptimize(slice.data());
  }
}
BENCHMARK(BM_SliceEndToEnd)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// The same slice on the GPU (transfers included), where one is usable; skipped elsewhere.
void BM_CudaSliceEndToEnd(benchmark::State& state) {
  std::string why;
  if (!tomo::cuda::device_available(&why)) {
    state.SkipWithError(("no usable GPU: " + why).c_str());
    return;
  }
  const auto raw = random_values(static_cast<std::size_t>(kProjections) * kColumns);
  const std::vector<float> dark(kColumns, 0.0f), flat(kColumns, 2.0f);
  const auto flat_field = tomo::make_flat_field(dark, flat, 1, kColumns);
  tomo::FbpSettings settings;
  settings.geometry = geometry();
  std::vector<float> slice(static_cast<std::size_t>(kColumns) * kColumns);
  for (auto _ : state) {
    auto sinogram = raw;
    tomo::cuda::correct_projections(sinogram, kProjections, flat_field, {});
    tomo::cuda::reconstruct(settings, sinogram, 1, slice);
    benchmark::DoNotOptimize(slice.data());
  }
}
BENCHMARK(BM_CudaSliceEndToEnd)->Unit(benchmark::kMillisecond)->UseRealTime();

// Fourier (gridding) reconstruction of a slab the size of BM_BackprojectionSlab's: 16 slices of
// 1800 × 2048 line integrals in one call (filter included), both cores. The reconstructor (FFTW
// plans, tables) is made once per reconstruction, and a warm-up call pays what the first slab
// of a scan would (FFTW's first-use set-up, allocating the grids); ms/slice is the time per
// slice amortised over the slab.
void BM_Gridrec(benchmark::State& state) {
  const int slices = 16;
  const auto sinograms = random_values(static_cast<std::size_t>(slices) * kProjections * kColumns);
  std::vector<float> out(static_cast<std::size_t>(slices) * kColumns * kColumns);
  tomo::FbpSettings settings;
  settings.geometry = geometry();
  settings.threads = 2;
  const tomo::GridrecReconstructor gridrec(settings);
  gridrec.reconstruct(std::span<const float>(sinograms).first(static_cast<std::size_t>(kProjections) * kColumns), 1,
                      std::span<float>(out).first(static_cast<std::size_t>(kColumns) * kColumns));
  double milliseconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    gridrec.reconstruct(sinograms, slices, out);
    benchmark::DoNotOptimize(out.data());
    milliseconds += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  state.counters["ms/slice"] = benchmark::Counter(milliseconds / slices, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Gridrec)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// A 16-slice slab on the GPU where one is usable (transfers included, filter included), by both
// GPU methods: state.range(0) = 0 direct FBP, 1 gridrec. ms/slice amortised over the slab.
void BM_CudaSlab(benchmark::State& state) {
  std::string why;
  if (!tomo::cuda::device_available(&why)) {
    state.SkipWithError(("no usable GPU: " + why).c_str());
    return;
  }
  const int slices = 16;
  const auto sinograms = random_values(static_cast<std::size_t>(slices) * kProjections * kColumns);
  std::vector<float> out(static_cast<std::size_t>(slices) * kColumns * kColumns);
  tomo::FbpSettings settings;
  settings.geometry = geometry();
  const tomo::GridrecReconstructor gridrec(settings);
  const auto run = [&] {
    if (state.range(0) == 1) tomo::cuda::reconstruct_gridrec(gridrec, sinograms, slices, out);
    else tomo::cuda::reconstruct(settings, sinograms, slices, out);
  };
  run();  // warm-up: the CUDA context and cuFFT's first plans
  double milliseconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    run();
    benchmark::DoNotOptimize(out.data());
    milliseconds += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  state.SetLabel(state.range(0) == 1 ? "gridrec" : "fbp");
  state.counters["ms/slice"] = benchmark::Counter(milliseconds / slices, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_CudaSlab)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
