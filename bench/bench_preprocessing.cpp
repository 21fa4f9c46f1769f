// What each preprocessing step costs per 2048-column slice from 1800 projections, on both
// cores, to set beside the reconstruction's own cost measured in the same run (BM_Gridrec's
// ms/slice): the share of a slice's time each step adds.
//
//   build/bench/tomo_bench --benchmark_filter='Preprocessing|Gridrec' --benchmark_repetitions=3
//                          --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kernels/correction.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/flat_field.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/phase_retrieval.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/ring_removal_cuda.hpp"

namespace {

constexpr int kColumns = 2048;
constexpr int kProjections = 1800;
constexpr int kSlices = 4;  // a small slab: per-slice costs, with the threads kept busy

// Raw counts of a smooth object (line integrals up to ~2) with Poisson-like noise, a few
// hundred zingers and flat/dark frames: realistic work for every branch of the correction.
struct RawSlab {
  std::vector<float> counts;
  tomo::FlatField flat_field;
};
RawSlab raw_slab() {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  RawSlab slab;
  slab.counts.resize(static_cast<std::size_t>(kSlices) * kProjections * kColumns);
  for (std::size_t i = 0; i < slab.counts.size(); ++i) {
    const double c = static_cast<double>(i % kColumns) - kColumns / 2.0;
    const double p = c * c < 0.16 * kColumns * kColumns ? 2.0 * std::sqrt(1.0 - c * c / (0.16 * kColumns * kColumns)) : 0.0;
    const double expected = 100.0 + 10000.0 * std::exp(-p);
    slab.counts[i] = static_cast<float>(expected + std::sqrt(expected) * noise(rng));
  }
  for (std::size_t i = 0; i < slab.counts.size(); i += 9973) slab.counts[i] += 20000.0f;  // zingers
  const std::vector<float> dark(static_cast<std::size_t>(kSlices) * kColumns, 100.0f),
      flat(static_cast<std::size_t>(kSlices) * kColumns, 10100.0f);
  slab.flat_field = tomo::make_flat_field(dark, flat, kSlices, kColumns);
  return slab;
}

void report_per_slice(benchmark::State& state, double milliseconds) {
  state.counters["ms/slice"] = benchmark::Counter(milliseconds / kSlices, benchmark::Counter::kAvgIterations);
}

// Times `step` on a fresh copy of `input` per iteration (the copy is not timed).
template <class Step>
void time_step(benchmark::State& state, const std::vector<float>& input, Step step) {
  double milliseconds = 0;
  for (auto _ : state) {
    auto data = input;
    const auto start = std::chrono::steady_clock::now();
    step(data);
    benchmark::DoNotOptimize(data.data());
    milliseconds += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  report_per_slice(state, milliseconds);
}

// Flat/dark correction and −log (0), with zinger removal (1), with air normalisation (2).
void BM_PreprocessingCorrection(benchmark::State& state) {
  const RawSlab slab = raw_slab();
  tomo::CorrectionOptions options;
  if (state.range(0) == 1) options.zinger_threshold = 0.1f;
  if (state.range(0) == 2) options.air_left = options.air_right = 50;
  state.SetLabel(state.range(0) == 0 ? "plain" : state.range(0) == 1 ? "zingers 0.1" : "air 50:50");
  time_step(state, slab.counts, [&](std::vector<float>& data) {
    tomo::correct_projections(data, kProjections, slab.flat_field, options, 2);
  });
}
BENCHMARK(BM_PreprocessingCorrection)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// Ring removal, each method with STP's example string or Vo's defaults, on line integrals; then
// Vo's fitting method and the sorting methods' square median (DIM 2), added after the others so
// that the earlier indices keep their meaning (the GPU, below, runs them all).
const std::vector<std::string> kRingStrings{"rivers:31;0",    "boinhaibel:11;",          "muenchetal:4;1.0", "raven:3;0.50",
                                            "oimoen:51;51",   "sijberspostnov:51;0.001", "vo-sort",          "vo-filter",
                                            "vo-large",       "vo-dead",                 "vo-all",           "vo-fit",
                                            "vo-sort:21;2",   "vo-all:3;61;21;2"};
// Ring string state.range(0) by `remove` (the CPU's or the GPU's) on corrected line integrals.
template <class Remove>
void time_ring_removal(benchmark::State& state, Remove remove) {
  RawSlab slab = raw_slab();
  tomo::correct_projections(slab.counts, kProjections, slab.flat_field, {}, 2);
  const std::string& text = kRingStrings[static_cast<std::size_t>(state.range(0))];
  const auto filter = tomo::parse_ring_filter(text);
  state.SetLabel(text);
  time_step(state, slab.counts, [&](std::vector<float>& data) { remove(data, filter); });
}

void BM_PreprocessingRings(benchmark::State& state) {
  time_ring_removal(state, [](std::vector<float>& data, const tomo::RingFilter& filter) {
    tomo::remove_rings(data, kSlices, kProjections, kColumns, filter, 2);
  });
}
BENCHMARK(BM_PreprocessingRings)
    ->DenseRange(0, static_cast<int>(kRingStrings.size()) - 1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

// The same on the GPU (tomo::cuda::remove_rings, transfers included), where one is usable.
void BM_CudaPreprocessingRings(benchmark::State& state) {
  std::string why;
  if (!tomo::cuda::device_available(&why)) {
    state.SkipWithError(("no usable GPU: " + why).c_str());
    return;
  }
  time_ring_removal(state, [](std::vector<float>& data, const tomo::RingFilter& filter) {
    tomo::cuda::remove_rings(data, kSlices, kProjections, kColumns, filter);
  });
}
BENCHMARK(BM_CudaPreprocessingRings)
    ->DenseRange(0, static_cast<int>(kRingStrings.size()) - 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Paganin phase retrieval of a 4-row band (with no margin rows: the margins' cost is reading
// more rows, not computing more per slice) over all 1800 projections, padding ×2.
void BM_PreprocessingPhase(benchmark::State& state) {
  RawSlab slab = raw_slab();
  tomo::CorrectionOptions transmission;
  transmission.minus_log = false;
  tomo::correct_projections(slab.counts, kProjections, slab.flat_field, transmission, 2);
  tomo::PhaseRetrieval params;
  params.method = tomo::PhaseRetrieval::Method::paganin;
  params.energy_kev = 20;
  params.distance_mm = 100;
  params.pixel_size_um = 2;
  params.delta_over_beta = 200;
  const tomo::PhaseRetriever retriever(params, kSlices, kColumns);
  time_step(state, slab.counts, [&](std::vector<float>& data) { retriever.apply_to_sinograms(data, kProjections, 2); });
}
BENCHMARK(BM_PreprocessingPhase)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// Half-acquisition stitching: 1800 projections over 360° into 900 of 3996 columns.
void BM_PreprocessingStitch(benchmark::State& state) {
  RawSlab slab = raw_slab();
  tomo::correct_projections(slab.counts, kProjections, slab.flat_field, {}, 2);
  time_step(state, slab.counts, [&](std::vector<float>& data) {
    auto stitched = tomo::stitch_half_acquisition(data, kSlices, kProjections, kColumns, 50.0, {}, 2);
    benchmark::DoNotOptimize(stitched.data());
  });
}
BENCHMARK(BM_PreprocessingStitch)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
