#include "kernels/backprojection.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/backprojection_math.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {

void backproject(std::span<const float> sinograms, int slices, const ParallelGeometry& geometry, float scale,
                 std::span<float> out, int threads) {
  const int n = geometry.columns;
  const std::size_t nn = static_cast<std::size_t>(n);
  const std::size_t projections = geometry.angles_rad.size();
  if (sinograms.size() != static_cast<std::size_t>(slices) * projections * nn)
    fail("backproject: {} values do not make {} slices x {} projections x {} columns", sinograms.size(), slices,
         projections, n);
  if (out.size() != static_cast<std::size_t>(slices) * nn * nn)
    fail("backproject: output holds {} values, not {} slices of {} x {}", out.size(), slices, n, n);

  std::vector<float> cosines(projections), sines(projections);
  for (std::size_t p = 0; p < projections; ++p) {
    cosines[p] = std::cos(geometry.angles_rad[p]);
    sines[p] = std::sin(geometry.angles_rad[p]);
  }
  const float half = 0.5f * static_cast<float>(n);

  // One work item is one image row of one slice; the angle loop is outside the pixel loop so
  // that one filtered projection row stays in L1 while a whole image row is accumulated.
  parallel_for(static_cast<std::size_t>(slices) * nn, threads, [&](std::size_t begin, std::size_t end) {
    std::vector<float> accumulator(nn);
    for (std::size_t item = begin; item < end; ++item) {
      const std::size_t slice = item / nn;
      const std::size_t r = item % nn;
      const float y = half - static_cast<float>(r);
      std::fill(accumulator.begin(), accumulator.end(), 0.0f);
      for (std::size_t p = 0; p < projections; ++p) {
        const float* q = sinograms.data() + (slice * projections + p) * nn;
        const float start = detector_column(-half, y, cosines[p], sines[p], geometry.axis);
        for (std::size_t j = 0; j < nn; ++j)
          accumulator[j] += sample_linear(q, n, start + static_cast<float>(j) * cosines[p]);
      }
      float* image_row = out.data() + (slice * nn + r) * nn;
      for (std::size_t j = 0; j < nn; ++j) image_row[j] = scale * accumulator[j];
    }
  });
}

}  // namespace tomo
