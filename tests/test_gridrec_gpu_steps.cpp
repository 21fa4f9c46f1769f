// The GPU's gridrec steps (kernels/gridrec_gpu_math.hpp, what each CUDA thread of
// kernels/gridrec.cu runs) executed here on the CPU, one call per thread index, with FFTW for the
// transforms cuFFT makes there, against GridrecReconstructor. This checks the GPU's indexing,
// wrap-around grid, phases and crop on a machine without a GPU; only the launches and copies of
// gridrec.cu are left to tests/test_cuda.cpp on a GPU.
#include <fftw3.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "kernels/gridrec.hpp"
#include "kernels/gridrec_gpu_math.hpp"
#include "test_support.hpp"

namespace {

using tomo::GpuComplex;

// FFTW transform of `count` contiguous complex arrays of the given rank-1 or rank-2 `sizes`, in
// place, with FFTW's sign (cuFFT's CUFFT_FORWARD is −1, CUFFT_INVERSE +1, both unnormalised).
void transform(std::vector<GpuComplex>& values, std::vector<int> sizes, int count, int sign) {
  auto* data = reinterpret_cast<fftwf_complex*>(values.data());
  fftwf_plan plan = fftwf_plan_many_dft(static_cast<int>(sizes.size()), sizes.data(), count, data, nullptr, 1,
                                        static_cast<int>(values.size() / count), data, nullptr, 1,
                                        static_cast<int>(values.size() / count), sign, FFTW_ESTIMATE);
  ASSERT_NE(plan, nullptr);
  fftwf_execute(plan);
  fftwf_destroy_plan(plan);
}

// gridrec.cu's reconstruct_gridrec with each kernel launch replaced by a loop over its threads.
std::vector<float> gpu_steps_on_cpu(const tomo::GridrecReconstructor& cpu, const std::vector<float>& sinograms,
                                    int slices) {
  const tomo::GridrecTables& t = cpu.tables();
  const int pairs = (slices + 1) / 2;
  std::vector<GpuComplex> lines(static_cast<std::size_t>(pairs) * t.projections * t.radial);
  for (std::size_t i = 0; i < lines.size(); ++i)
    lines[i] = tomo::packed_line_value(sinograms.data(), slices, t.projections, t.n, t.radial, i);
  transform(lines, {t.radial}, pairs * t.projections, FFTW_FORWARD);

  const tomo::GridrecLineTables tables{t.line_weight.data(), t.angle_weight.data(), t.axis_shift.data(),
                                       t.step_x.data(),      t.step_y.data(),       t.line_end.data(),
                                       t.end_share.data(),   t.kernel_table.data()};
  std::vector<GpuComplex> grids(static_cast<std::size_t>(pairs) * t.grid * t.grid, GpuComplex{0, 0});
  const auto add = [](float* to, float value) { *to += value; };
  for (int pair = 0; pair < pairs; ++pair)
    for (int projection = 0; projection < t.projections; ++projection)
      for (int k = -t.max_bin; k <= t.max_bin; ++k)
        tomo::grid_radial_bin(lines.data(), t.projections, t.radial, t.grid, k, projection, pair, tables, grids.data(),
                              add);
  transform(grids, {t.grid, t.grid}, pairs, FFTW_BACKWARD);

  std::vector<float> out(static_cast<std::size_t>(slices) * t.n * t.n);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = tomo::cropped_pixel(grids.data(), t.n, t.grid, t.row_factor.data(), t.column_factor.data(),
                                 t.row_source.data(), i);
  if (cpu.settings().circular_mask) tomo::apply_circular_mask(out, t.n, cpu.settings().mask_ratio);
  return out;
}

struct Case {
  int n, projections, slices;
  double offset, span_deg;
  bool mask;
};

class GpuGridrecSteps : public ::testing::TestWithParam<Case> {};

// Awkward sizes: odd and non-power-of-two widths, an odd slice count (a lone last slice), one
// projection, 360° spans, axes off centre by up to N/4, no mask.
TEST_P(GpuGridrecSteps, MatchTheCpuGridrec) {
  const Case c = GetParam();
  tomo::FbpSettings settings;
  settings.filter = tomo::FilterWindow::shepp_logan;
  settings.circular_mask = c.mask;
  settings.threads = 2;
  settings.geometry = {c.n, static_cast<float>(0.5 * c.n + c.offset), std::vector<float>(c.projections)};
  for (int p = 0; p < c.projections; ++p)
    settings.geometry.angles_rad[p] = static_cast<float>(p * c.span_deg / c.projections * std::numbers::pi / 180);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(0, 1);
  std::vector<float> sinograms(static_cast<std::size_t>(c.slices) * c.projections * c.n);
  for (auto& v : sinograms) v = value(rng);

  const tomo::GridrecReconstructor cpu(settings);
  std::vector<float> expected(static_cast<std::size_t>(c.slices) * c.n * c.n);
  cpu.reconstruct(sinograms, c.slices, expected);
  const auto steps = gpu_steps_on_cpu(cpu, sinograms, c.slices);
  // The same values summed in another order (a wrapped grid, direct phases): float rounding only.
  // Measured 1e-6 to 4e-6 when written; 1e-4 is the GPU-against-CPU bound of the speed issue.
  EXPECT_LT(tomo::test::relative_error(steps, expected), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, GpuGridrecSteps,
                         ::testing::Values(Case{64, 90, 2, 0.0, 180, true}, Case{97, 61, 3, 5.25, 180, true},
                                           Case{100, 1, 1, -3.5, 180, false}, Case{128, 200, 2, 32.0, 360, false},
                                           Case{75, 120, 5, -18.75, 180, true}));

}  // namespace
