// The CUDA path against the CPU path on the same data. Runs only where a GPU is usable (the
// build machines have none): elsewhere each test is skipped, saying why.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/flat_field.hpp"

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
  const auto cpu_clamped = tomo::correct_projections(cpu, projections, flat_field, true, {}, 2);
  const auto gpu_clamped = tomo::cuda::correct_projections(gpu, projections, flat_field, true, {});
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
  double worst = 0, largest = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    worst = std::max(worst, std::abs(double(gpu[i]) - cpu[i]));
    largest = std::max(largest, std::abs(double(cpu[i])));
  }
  // Same math, different summation hardware (FMA contraction, cuFFT vs FFTW rounding).
  EXPECT_LT(worst / largest, 1e-4);
}

}  // namespace
