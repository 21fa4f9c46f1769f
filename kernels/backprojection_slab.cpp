// Multi-slice backprojection: neighbouring slices share every interpolation position (it depends
// on the pixel and the angle only), so a group of kSlabLanes slices is back-projected at once with
// the slices innermost — one position, floor and weight per pixel and angle serves kSlabLanes
// slices, and the slices are the SIMD lanes. Work is split into square pixel tiles whose
// accumulators stay in L1, and angles are summed in blocks (a block sum, then the total) so that
// rounding does not grow with the number of projections.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "kernels/backprojection.hpp"
#include "kernels/backprojection_math.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {
namespace {

// kSlabLanes floats that the compiler keeps in one SIMD register (or two, or four, as the CPU has
// them): GCC/Clang vector extensions, so the lanes are explicit and need no auto-vectoriser.
using Lanes = float __attribute__((vector_size(kSlabLanes * sizeof(float))));

Lanes load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}

constexpr int kTile = 16;         // pixels per tile side: 16 × 16 × 16 lanes × 4 B = 16 KiB of sums
constexpr int kAngleBlock = 64;   // projections summed before adding into the total
constexpr int kPad = 1;           // zero columns before the detector (and 2 after), see below

// The filtered sinograms of one group, transposed to (projection, padded column, lane). Column c
// of the detector is padded column c + 1; padded columns 0, N + 1 and N + 2 are zero, so that the
// interpolation at any t clamped to [-1, N] reads zeros beyond the detector — the same values as
// sample_linear() gives.
std::vector<float> interleave(std::span<const float> sinograms, int first_slice, int slices, int projections, int n) {
  const std::size_t padded = static_cast<std::size_t>(n) + 3;
  std::vector<float> lanes(static_cast<std::size_t>(projections) * padded * kSlabLanes, 0.0f);
  for (int s = 0; s < slices; ++s)
    for (int p = 0; p < projections; ++p) {
      const float* row = sinograms.data() + (static_cast<std::size_t>(first_slice + s) * projections + p) * n;
      float* column = lanes.data() + (static_cast<std::size_t>(p) * padded + kPad) * kSlabLanes + s;
      for (int c = 0; c < n; ++c) column[static_cast<std::size_t>(c) * kSlabLanes] = row[c];
    }
  return lanes;
}

// Adds the projections [first, end) of the interleaved group to the tile's sums (row-major
// kTile × kTile pixels, one Lanes each).
void accumulate_tile(const float* lanes, std::size_t padded, int n, int tile_row, int tile_column,
                     const float* cosines, const float* sines, float axis, int first, int end, Lanes* sums) {
  const float half = 0.5f * static_cast<float>(n);
  const int rows = std::min(kTile, n - tile_row), columns = std::min(kTile, n - tile_column);
  const float high = static_cast<float>(n);
  for (int p = first; p < end; ++p) {
    const float* projection = lanes + static_cast<std::size_t>(p) * padded * kSlabLanes;
    for (int r = 0; r < rows; ++r) {
      const float y = half - static_cast<float>(tile_row + r);
      const float start = detector_column(static_cast<float>(tile_column) - half, y, cosines[p], sines[p], axis);
      Lanes* row_sums = sums + static_cast<std::size_t>(r) * kTile;
      // Positions, floors and weights of the row first (a loop the compiler vectorises), then
      // the lanes. Clamped to [-1, N], t + 1 ≥ 0, so truncation is the floor and the padded index.
      std::array<int, kTile> index;
      std::array<float, kTile> weight;
      for (int j = 0; j < kTile; ++j) {
        const float t = std::clamp(start + static_cast<float>(j) * cosines[p], -1.0f, high) + 1.0f;
        index[static_cast<std::size_t>(j)] = static_cast<int>(t);
        weight[static_cast<std::size_t>(j)] = t - static_cast<float>(index[static_cast<std::size_t>(j)]);
      }
      for (int j = 0; j < columns; ++j) {
        const float* at = projection + static_cast<std::size_t>(index[static_cast<std::size_t>(j)]) * kSlabLanes;
        const Lanes left = load(at), right = load(at + kSlabLanes);
        row_sums[j] += left + weight[static_cast<std::size_t>(j)] * (right - left);
      }
    }
  }
}

}  // namespace

void backproject_slab(std::span<const float> sinograms, int slices, const ParallelGeometry& geometry, float scale,
                      std::span<float> out, int threads) {
  const int n = geometry.columns;
  const std::size_t nn = static_cast<std::size_t>(n);
  const int projections = static_cast<int>(geometry.angles_rad.size());
  if (sinograms.size() != static_cast<std::size_t>(slices) * projections * nn)
    fail("backproject_slab: {} values do not make {} slices x {} projections x {} columns", sinograms.size(), slices,
         projections, n);
  if (out.size() != static_cast<std::size_t>(slices) * nn * nn)
    fail("backproject_slab: output holds {} values, not {} slices of {} x {}", out.size(), slices, n, n);
  std::vector<float> cosines(static_cast<std::size_t>(projections)), sines(cosines.size());
  for (std::size_t p = 0; p < cosines.size(); ++p) {
    cosines[p] = std::cos(geometry.angles_rad[p]);
    sines[p] = std::sin(geometry.angles_rad[p]);
  }
  const std::size_t padded = nn + 3;
  const int tiles_per_side = (n + kTile - 1) / kTile;

  for (int first = 0; first < slices; first += kSlabLanes) {
    const int in_group = std::min(kSlabLanes, slices - first);
    const auto lanes = interleave(sinograms, first, in_group, projections, n);
    parallel_for(static_cast<std::size_t>(tiles_per_side) * tiles_per_side, threads, [&](std::size_t begin, std::size_t end) {
      std::array<Lanes, kTile * kTile> block{}, total{};
      for (std::size_t tile = begin; tile < end; ++tile) {
        const int tile_row = static_cast<int>(tile / tiles_per_side) * kTile;
        const int tile_column = static_cast<int>(tile % tiles_per_side) * kTile;
        total.fill(Lanes{});
        for (int a = 0; a < projections; a += kAngleBlock) {
          block.fill(Lanes{});
          accumulate_tile(lanes.data(), padded, n, tile_row, tile_column, cosines.data(), sines.data(), geometry.axis, a,
                          std::min(a + kAngleBlock, projections), block.data());
          for (std::size_t i = 0; i < total.size(); ++i) total[i] += block[i];
        }
        // Scatter the tile back to (slice, row, column).
        const int rows = std::min(kTile, n - tile_row), columns = std::min(kTile, n - tile_column);
        for (int s = 0; s < in_group; ++s)
          for (int r = 0; r < rows; ++r)
            for (int j = 0; j < columns; ++j)
              out[(static_cast<std::size_t>(first + s) * nn + static_cast<std::size_t>(tile_row + r)) * nn +
                  static_cast<std::size_t>(tile_column + j)] =
                  scale * total[static_cast<std::size_t>(r) * kTile + static_cast<std::size_t>(j)][s];
      }
    });
  }
}

}  // namespace tomo
