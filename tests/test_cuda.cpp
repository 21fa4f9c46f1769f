// The CUDA path against the CPU path on the same data. Runs only where a GPU is usable (the
// build machines have none): elsewhere each test is skipped, saying why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/correction.hpp"
#include "kernels/gridrec.hpp"
#include "kernels/binning.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/outliers.hpp"
#include "kernels/preprocessing_cuda.hpp"
#include "test_support.hpp"

namespace {

// Skips (in SetUp, so the whole test) when no GPU is usable.
class CudaPath : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!tomo::cuda::device_available(&why)) GTEST_SKIP() << "no usable GPU: " << why;
  }
};

std::vector<float> random_values(std::size_t count, float low, float high, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(low, high);
  std::vector<float> v(count);
  for (auto& x : v) x = value(rng);
  return v;
}

TEST(Cuda, DeviceQueryAnswersWithoutCrashing) {
  std::string why;
  const bool available = tomo::cuda::device_available(&why);
  EXPECT_TRUE(available || !why.empty());
}

TEST_F(CudaPath, CorrectionMatchesTheCpu) {
  const int rows = 3, projections = 50, columns = 200;
  const auto dark = random_values(rows * columns, 90, 110, 1), flat = random_values(rows * columns, 9000, 11000, 2);
  const auto flat_field = tomo::make_flat_field(dark, flat, rows, columns);
  auto cpu = random_values(rows * projections * columns, 50, 12000, 3);
  auto gpu = cpu;
  const auto cpu_clamped = tomo::correct_projections(cpu, projections, flat_field, {}, 2).clamped;
  const auto gpu_clamped = tomo::cuda::correct_projections(gpu, projections, flat_field, {}).clamped;
  EXPECT_EQ(gpu_clamped, cpu_clamped);
  for (std::size_t i = 0; i < cpu.size(); ++i) ASSERT_NEAR(gpu[i], cpu[i], 1e-5f * (1 + std::abs(cpu[i]))) << i;
}

TEST_F(CudaPath, FilteredBackprojectionMatchesTheCpu) {
  const int slices = 2, projections = 180, n = 256;
  tomo::FbpSettings settings;
  settings.filter = tomo::FilterWindow::shepp_logan;
  settings.geometry = {n, n / 2.0f + 1.5f, std::vector<float>(projections)};
  for (int p = 0; p < projections; ++p) settings.geometry.angles_rad[p] = static_cast<float>(p * std::numbers::pi / projections);
  const auto sinograms = random_values(static_cast<std::size_t>(slices) * projections * n, 0, 1, 4);
  std::vector<float> cpu(static_cast<std::size_t>(slices) * n * n), gpu(cpu.size());
  auto filtered = sinograms;
  tomo::FbpReconstructor(settings).reconstruct(filtered, slices, cpu);
  tomo::cuda::reconstruct(settings, sinograms, slices, gpu);
  // Same math, different summation hardware (FMA contraction, cuFFT vs FFTW rounding).
  EXPECT_LT(tomo::test::relative_error(gpu, cpu), 1e-4);
}

// Several slices per GPU thread: 5 slices make a full group of 4 and a group of 1; an odd width
// and an axis off centre; against the CPU's multi-slice path.
TEST_F(CudaPath, MultiSliceBackprojectionMatchesTheCpu) {
  const int slices = 5, projections = 241, n = 163;
  tomo::FbpSettings settings;
  settings.geometry = {n, n / 2.0f - 20.25f, std::vector<float>(projections)};
  for (int p = 0; p < projections; ++p) settings.geometry.angles_rad[p] = static_cast<float>(p * std::numbers::pi / projections);
  const auto sinograms = random_values(static_cast<std::size_t>(slices) * projections * n, -1, 1, 5);
  std::vector<float> cpu(static_cast<std::size_t>(slices) * n * n), gpu(cpu.size());
  auto filtered = sinograms;
  tomo::FbpReconstructor(settings).reconstruct(filtered, slices, cpu);
  tomo::cuda::reconstruct(settings, sinograms, slices, gpu);
  EXPECT_LT(tomo::test::relative_error(gpu, cpu), 1e-4);
}

// GPU gridrec against the CPU's: 19 slices (two rounds of 8 pairs, the last pair half empty),
// a non-power-of-two width, 360°, the axis off centre.
TEST_F(CudaPath, GridrecMatchesTheCpu) {
  const int slices = 19, projections = 300, n = 200;
  tomo::FbpSettings settings;
  settings.filter = tomo::FilterWindow::hann;
  settings.geometry = {n, n / 2.0f + 7.5f, std::vector<float>(projections)};
  for (int p = 0; p < projections; ++p) settings.geometry.angles_rad[p] = static_cast<float>(p * 2 * std::numbers::pi / projections);
  const auto sinograms = random_values(static_cast<std::size_t>(slices) * projections * n, 0, 1, 6);
  std::vector<float> cpu(static_cast<std::size_t>(slices) * n * n), gpu(cpu.size());
  const tomo::GridrecReconstructor gridrec(settings);
  gridrec.reconstruct(sinograms, slices, cpu);
  tomo::cuda::reconstruct_gridrec(gridrec, sinograms, slices, gpu);
  EXPECT_LT(tomo::test::relative_error(gpu, cpu), 1e-4);
}

// The preprocessing steps' GPU versions against the CPU's.
TEST_F(CudaPath, PreprocessingStepsMatchTheCpu) {
  const int rows = 3, projections = 40, columns = 96;
  auto cpu = random_values(static_cast<std::size_t>(rows) * projections * columns, 0.2f, 1.0f, 7);
  for (std::size_t i = 0; i < cpu.size(); i += 97) cpu[i] = 3.0f;  // zingers
  auto gpu = cpu;
  std::int64_t cpu_replaced = 0;
  for (int r = 0; r < rows; ++r)
    cpu_replaced += tomo::remove_zingers(std::span<float>(cpu).subspan(static_cast<std::size_t>(r) * projections * columns,
                                                                       static_cast<std::size_t>(projections) * columns),
                                         projections, columns, 0.1f);
  EXPECT_EQ(tomo::cuda::remove_zingers(gpu, rows, projections, columns, 0.1f), cpu_replaced);
  EXPECT_LT(tomo::test::relative_error(gpu, cpu), 1e-6);

  const auto two_rows = std::span<const float>(cpu).first(static_cast<std::size_t>(2) * projections * columns);
  const auto binned_cpu = tomo::bin_pixels(two_rows, 2, projections, columns, 2);
  EXPECT_LT(tomo::test::relative_error(tomo::cuda::bin_pixels(two_rows, 2, projections, columns, 2), binned_cpu), 1e-6);

  for (const double axis : {14.25, 80.5})
    for (const auto blend : {tomo::StitchBlend::ramp, tomo::StitchBlend::average, tomo::StitchBlend::cut}) {
      const tomo::StitchOptions options{blend, blend == tomo::StitchBlend::ramp};
      const auto stitched_cpu = tomo::stitch_half_acquisition(cpu, rows, projections, columns, axis, options, 2);
      const auto stitched_gpu = tomo::cuda::stitch_half_acquisition(cpu, rows, projections, columns, axis, options);
      EXPECT_LT(tomo::test::relative_error(stitched_gpu, stitched_cpu), 1e-5) << axis << " " << tomo::to_string(blend);
    }

  tomo::PhaseRetrieval phase;
  phase.method = tomo::PhaseRetrieval::Method::paganin;
  phase.energy_kev = 20;
  phase.distance_mm = 100;
  phase.pixel_size_um = 2;
  phase.delta_over_beta = 100;
  const tomo::PhaseRetriever retriever(phase, rows, columns);
  auto phase_cpu = cpu, phase_gpu = cpu;
  retriever.apply_to_sinograms(phase_cpu, projections, 2);
  tomo::cuda::retrieve_phase(retriever, phase_gpu, projections);
  EXPECT_LT(tomo::test::relative_error(phase_gpu, phase_cpu), 1e-4);
}

// The whole GPU correction (two sets of flats, a dead pixel, NaN and saturated readings, air
// normalisation, zingers) against the CPU's.
TEST_F(CudaPath, FullCorrectionMatchesTheCpu) {
  const int rows = 2, projections = 30, columns = 80;
  auto dark = random_values(rows * columns, 90, 110, 11), before = random_values(rows * columns, 9000, 11000, 12),
       after = random_values(rows * columns, 9500, 11500, 13);
  before[7] = 50;  // dead
  std::vector<int> chosen(projections);
  for (int p = 0; p < projections; ++p) chosen[p] = p;
  const auto weights = tomo::after_flat_weights(tomo::FlatMode::interpolate, chosen, projections, 0);
  const auto flat_field = tomo::with_flats_after(tomo::make_flat_field(dark, before, rows, columns),
                                                 tomo::make_flat_field(dark, after, rows, columns), weights);
  auto cpu = random_values(static_cast<std::size_t>(rows) * projections * columns, 3000, 9000, 14);
  cpu[100] = std::numeric_limits<float>::quiet_NaN();
  cpu[200] = 65535;
  cpu[300] = 30000;  // a zinger
  auto gpu = cpu;
  tomo::CorrectionOptions options;
  options.saturation = 60000;
  options.air_left = options.air_right = 5;
  options.zinger_threshold = 0.2f;
  const auto on_cpu = tomo::correct_projections(cpu, projections, flat_field, options, 2);
  const auto on_gpu = tomo::cuda::correct_projections(gpu, projections, flat_field, options);
  EXPECT_EQ(on_gpu.repaired, on_cpu.repaired);
  EXPECT_EQ(on_gpu.zingers, on_cpu.zingers);
  EXPECT_EQ(on_gpu.clamped, on_cpu.clamped);
  EXPECT_LT(tomo::test::relative_error(gpu, cpu), 1e-5);
}

}  // namespace
