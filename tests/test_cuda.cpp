// The CUDA path against the CPU path on the same data. Runs only where a GPU is usable (the
// build machines have none): elsewhere each test is skipped, saying why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/correction.hpp"
#include "kernels/error.hpp"
#include "kernels/gridrec.hpp"
#include "kernels/binning.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/outliers.hpp"
#include "kernels/preprocessing_cuda.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/ring_removal_cuda.hpp"
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

// Ring removal on the GPU against the CPU, every method and DIM: line integrals of a smooth
// object with narrow, wide, dead and saturated stripes (so that Vo's detectors find something),
// 3 slices (one round), odd sizes. The arithmetic is the CPU's (stripe_filter_math.hpp); cuFFT's
// rounding differs from FFTW's. Only vo-filter sorts values a transform made: a column whose
// low-pass values lie within that rounding of each other (the constant columns of dead pixels
// do) may sort differently and take its smoothed values in another order, a difference of the
// sorted image's spacing, not of rounding (1-ulp noise on its input moves it by 0.85 of the
// largest value here). vo-filter's data therefore rise along the angle: no ties. DIM 2's square
// median is exact, as the median across is; vo-fit divides by its fit only well above zero (1 %
// of the largest fit), which cuFFT's rounding cannot move a value across here.
std::vector<float> striped_sinograms(int slices, int projections, int columns, bool rising) {
  auto s = random_values(static_cast<std::size_t>(slices) * projections * columns, 0.0f, 0.02f, 21);
  for (int slice = 0; slice < slices; ++slice)
    for (int p = 0; p < projections; ++p)
      for (int c = 0; c < columns; ++c) {
        float& v = s[(static_cast<std::size_t>(slice) * projections + p) * columns + c];
        if (rising) {
          v = 0.02f * p + 0.3f * std::sin(0.07f * c) + 0.5f;
        } else {
          const double x = (c - 0.5 * columns) / columns, centre = 0.2 * std::cos(std::numbers::pi * p / projections + slice);
          const double inside = 0.16 - (x - centre) * (x - centre);
          v += static_cast<float>(inside > 0 ? 2.5 * std::sqrt(inside) : 0.0) + 0.05f;
          if (c == columns / 2 + 3) v = 0.0f;
          if (c == (3 * columns) / 4) v = 4.0f;
        }
        if (c % 11 == 4) v += 0.04f;
        if (c % 17 == 9) v *= 1.06f;
        if (c >= columns / 3 && c < columns / 3 + 5) v += 0.08f;
      }
  return s;
}

TEST_F(CudaPath, RingRemovalMatchesTheCpu) {
  const int slices = 3, projections = 181, columns = 203;
  const auto striped = striped_sinograms(slices, projections, columns, false);
  const auto rising = striped_sinograms(slices, projections, columns, true);
  for (const std::string text : {"rivers:31;0", "boinhaibel:11;", "oimoen:11;51", "oimoen:3;10001", "sijberspostnov:9;0.002",
                                 "raven:3;0.5", "raven:5;0.8", "muenchetal:4;1.0", "muenchetal:1;0.5", "vo-sort:21",
                                 "vo-sort:10001", "vo-filter:3;21", "vo-filter:0.5;5", "vo-large:3;51", "vo-dead:3;51",
                                 "vo-all:3;61;21", "vo-all:3;21;5", "vo-sort:21;1", "vo-sort:9;2", "vo-sort:21;2",
                                 "vo-filter:3;21;2", "vo-filter:3;9;2", "vo-all:3;21;5;2", "vo-all:3;61;21;2", "vo-fit",
                                 "vo-fit:1;3", "vo-fit:5;30", "vo-fit:10;0.5"}) {
    const auto filter = tomo::parse_ring_filter(text);
    auto cpu = filter.method == tomo::RingMethod::vo_filter ? rising : striped;
    auto gpu = cpu;
    tomo::remove_rings(cpu, slices, projections, columns, filter, 2);
    tomo::cuda::remove_rings(gpu, slices, projections, columns, filter);
    EXPECT_LE(tomo::test::relative_error(gpu, cpu), 1e-4) << text;
  }
}

// The GPU's errors are the CPU's, and it runs every method and option the strings have. All of
// this is decided before the device is touched, so it runs in any build with CUDA kernels, GPU or
// not.
TEST(Cuda, RingRemovalRejectsWhatTheCpuRejects) {
  std::string why;
  if (!tomo::cuda::device_available(&why) && why.find("no CUDA kernels") != std::string::npos)
    GTEST_SKIP() << why;
  std::vector<float> sinograms(4 * 9, 1.0f);
  EXPECT_THROW(tomo::cuda::remove_rings(sinograms, 1, 4, 8, tomo::parse_ring_filter("rivers:3")), tomo::Error);
  const auto message_of = [&](const tomo::RingFilter& filter) {
    try {
      tomo::cuda::remove_rings(sinograms, 1, 4, 9, filter);
    } catch (const tomo::Error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  const std::string even = message_of({tomo::RingMethod::rivers, 4, 0, 0});
  EXPECT_NE(even.find("'rivers:4;0': median width 4 is even"), std::string::npos) << even;
  const std::string dim = message_of({tomo::RingMethod::vo_sort, 21, 3, 0});
  EXPECT_NE(dim.find("window dimension 3 must be 1 or 2"), std::string::npos) << dim;
  auto none = sinograms;
  tomo::cuda::remove_rings(none, 1, 4, 9, tomo::parse_ring_filter("none"));
  EXPECT_EQ(none, sinograms);
  // Every method's strings, DIM 1 and 2 included, are taken (without a GPU they then fail for
  // want of a device, not as an unknown option), and between them they name every method.
  std::set<tomo::RingMethod> methods;
  for (const std::string text : {"rivers:31", "boinhaibel:11", "muenchetal:4;1", "raven:3;0.5", "oimoen:51;51",
                                 "sijberspostnov:51;0.001", "vo-sort", "vo-filter", "vo-large", "vo-dead", "vo-all",
                                 "vo-fit", "vo-fit:5;3", "vo-sort:21;1", "vo-sort:21;2", "vo-filter:3;21;1",
                                 "vo-filter:3;21;2", "vo-all:3;61;21;1", "vo-all:3;61;21;2", "vo-all:;;;2"}) {
    const auto filter = tomo::parse_ring_filter(text);
    methods.insert(filter.method);
    EXPECT_EQ(message_of(filter).find("not available on the GPU"), std::string::npos) << text;
  }
  EXPECT_EQ(methods.size(), static_cast<std::size_t>(tomo::RingMethod::vo_fit)) << "vo_fit is the last method";
  // A parameter the method has no field for, which only code can set, is how an option added to
  // the CPU filters later would arrive: refused by name rather than ignored.
  const std::string unknown = message_of({tomo::RingMethod::vo_fit, 2, 10, 1, 0});
  EXPECT_NE(unknown.find("'vo-fit:2;10' is not available on the GPU"), std::string::npos) << unknown;
}

}  // namespace
