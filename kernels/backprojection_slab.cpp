// Multi-slice backprojection: neighbouring slices share every interpolation position (it depends
// on the pixel and the angle only), so a group of kSlabLanes slices is back-projected at once with
// the slices innermost — one position, floor and weight per pixel and angle serves kSlabLanes
// slices, and the slices are the SIMD lanes.
//
// Loop order, from the outside in, and why:
//   group of kSlabLanes slices   the interleaved copy of their sinograms (one 64-byte column per
//                                detector column and angle, so one aligned load fetches a column's
//                                value in all slices)
//   tile of kTile × kTile pixels its sums stay in L2; every angle touches only the ~kTile·√2
//                                columns the tile projects onto, so the sinogram is streamed from
//                                memory once per tile, in angle order, which the hardware
//                                prefetchers follow (prefetching the next chunk by hand gained
//                                nothing measurable)
//   chunk of kChunk angles       the columns a strip reads over a chunk stay in L1
//   strip of kStrip pixels       (one row, kStrip columns) whose kStrip sums live in registers
//   angle                        innermost: per pixel two aligned loads, a subtract, a multiply-add
//                                and an add, all from registers; with the pixel's offset and weight
//                                that is four loads, and the core issues two a cycle: the bound
// Each strip's register sums cover one chunk of angles and are then added to the tile's totals:
// a blocked summation, so that rounding does not grow with the number of projections.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "kernels/backprojection.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {
namespace {

// kSlabLanes floats that the compiler keeps in one SIMD register (or two, or four, as the CPU has
// them): GCC/Clang vector extensions, so the lanes are explicit and need no auto-vectoriser. Being
// 64 bytes, a Lanes is 64-byte aligned: one cache line, never split across two.
using Lanes = float __attribute__((vector_size(kSlabLanes * sizeof(float))));

// Pixels per strip: their sums take kStrip of the 32 AVX-512 registers, which leaves enough for
// the loads and the arithmetic; their positions at one angle make one SIMD vector.
constexpr int kStrip = 16;
using StripFloats = float __attribute__((vector_size(kStrip * sizeof(float))));
using StripInts = std::int32_t __attribute__((vector_size(kStrip * sizeof(std::int32_t))));

// Angles per chunk: a strip at one angle reads ≤ kStrip + 2 columns of 64 B; while it walks down
// the tile the columns shift by at most one per row, so a chunk keeps 16 × 18 × 64 B = 18 KiB of
// columns in use — half of a 48 KiB L1 (Zen 4/5, recent Intel), the rest for the positions. The
// register sums are flushed once per chunk, 1/16 of the updates. (8 and 32 measured within 5 %.)
constexpr int kChunk = 16;

// Tile side: 64 × 64 sums of 64 B = 256 KiB, in L2 (1 MiB a core and up). At one angle a tile
// reads ≤ 64·√2 + 2 ≈ 93 columns (6 KiB), 5.3 KiB of the interleaved sinogram per pixel over 1800
// angles: at 25 G updates/s that is 2.3 GB/s from memory, far below the bandwidth. Larger tiles
// would leave L2, smaller ones read more (32: 5 % slower).
constexpr int kTile = 64;
static_assert(kTile % kStrip == 0, "a tile is whole strips");

constexpr int kPad = 1;  // zero columns before the detector (and 2 after), see interleave()

// A group costs the same whatever number of its lanes hold slices. Fewer slices than this go
// through the one-slice kernel instead: with AVX-512 its in-register gather makes one slice cost
// 1/9 of a group (0.31 s against 2.8 s for 2048² × 1800 on Zen 5); without, it is the
// pixel-at-a-time loop, and a group is worth it from 2 slices on.
#if defined(__AVX512F__)
constexpr int kFewestSlicesForAGroup = 9;
#else
constexpr int kFewestSlicesForAGroup = 2;
#endif

// The filtered sinograms of one group, transposed to (projection, padded column) Lanes. Column c
// of the detector is padded column c + 1; padded columns 0, N + 1 and N + 2 are zero, so that the
// interpolation at any t clamped to [-1, N] reads zeros beyond the detector — the same values as
// sample_linear() gives. Projections are split over the threads.
std::vector<Lanes> interleave(std::span<const float> sinograms, int first_slice, int slices, int projections, int n,
                              int threads) {
  const std::size_t padded = static_cast<std::size_t>(n) + 3;
  std::vector<Lanes> lanes(static_cast<std::size_t>(projections) * padded);
  parallel_for(static_cast<std::size_t>(projections), threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t p = begin; p < end; ++p) {
      Lanes* columns = lanes.data() + p * padded + kPad;
      for (int s = 0; s < slices; ++s) {
        const float* row = sinograms.data() + (static_cast<std::size_t>(first_slice + s) * projections + p) * n;
        for (int c = 0; c < n; ++c) columns[c][s] = row[c];
      }
    }
  });
  return lanes;
}

// Where each pixel of a strip reads at each angle of a chunk: the byte offset of its left column
// within the angle's row of the interleaved sinogram, and the interpolation weight of the right
// one. Computed for the whole chunk first, kStrip pixels per vector, so that the inner loop only
// loads them.
struct StripPositions {
  std::array<StripInts, kChunk> offsets;
  std::array<StripFloats, kChunk> weights;
};

struct Geometry {
  std::vector<double> cosines, sines;  // of the float angles, in double like the reference
  std::vector<float> float_cosines;
  double axis, half;
  int n;
};

// Positions are split, t = base + r: a position is a column number up to ~1.2 N, so a float t is
// only good to ulp(N)/2 (1.2e-4 columns at N = 2048, a relative error of ~1e-4 with white-noise
// data). The strip's first position is computed in double and split into its floor, an integer,
// and a remainder in [0, 1); the 16 pixels' remainders r ∈ (−16, 17) are good to 2e-6 columns.
void strip_positions(const Geometry& g, double x, double y, int first, int count, StripPositions& at) {
  std::array<double, kChunk> positions;
  for (int a = 0; a < count; ++a) {
    const std::size_t p = static_cast<std::size_t>(first + a);
    positions[static_cast<std::size_t>(a)] = x * g.cosines[p] + (y * g.sines[p] + g.axis);
  }
  StripFloats steps;  // 0, 1, … kStrip − 1: the pixels' offsets from the strip's first one
  for (int j = 0; j < kStrip; ++j) steps[j] = static_cast<float>(j);
  // Remainders are clamped to [-1, N] − base, then shifted by kShift so that they are positive and
  // truncation is the floor: ≥ −1 − 16 before the shift (|cos θ| ≤ 1).
  constexpr int kShift = 32;
  for (int a = 0; a < count; ++a) {
    const double position = positions[static_cast<std::size_t>(a)];
    const double floor_position = std::floor(position);
    const int base = static_cast<int>(floor_position);
    const float remainder = static_cast<float>(position - floor_position);
    StripFloats t = remainder + steps * g.float_cosines[static_cast<std::size_t>(first + a)];
    const float low = static_cast<float>(-1 - base), high = static_cast<float>(g.n - base);
    t = t < low ? low : t;
    t = t > high ? high : t;
    t += static_cast<float>(kShift);
    const StripInts column = __builtin_convertvector(t, StripInts);
    at.weights[a] = t - __builtin_convertvector(column, StripFloats);
    at.offsets[a] = (column + (base + kPad - kShift)) * static_cast<std::int32_t>(sizeof(Lanes));
  }
}

// Sums the chunk's projections for one strip in registers and adds them to `totals` (kStrip Lanes).
// `rows` points at the first projection of the chunk; consecutive projections are `row_bytes`
// apart.
void accumulate_strip(const char* rows, std::size_t row_bytes, int count, const StripPositions& at, Lanes* totals) {
  Lanes sums[kStrip] = {};
  for (int a = 0; a < count; ++a, rows += row_bytes) {
    const StripInts& offsets = at.offsets[a];
    const StripFloats& weights = at.weights[a];
#pragma GCC unroll 16
    for (int k = 0; k < kStrip; ++k) {
      const Lanes* left = reinterpret_cast<const Lanes*>(rows + offsets[k]);
      sums[k] += left[0] + weights[k] * (left[1] - left[0]);
    }
  }
#pragma GCC unroll 16
  for (int k = 0; k < kStrip; ++k) totals[k] += sums[k];
}

}  // namespace

void backproject_slab(std::span<const float> sinograms, int slices, const ParallelGeometry& geometry, float scale,
                      std::span<float> out, int threads, BackprojectionOutput output) {
  const int n = geometry.columns;
  const std::size_t nn = static_cast<std::size_t>(n);
  const int projections = static_cast<int>(geometry.angles_rad.size());
  if (sinograms.size() != static_cast<std::size_t>(slices) * projections * nn)
    fail("backproject_slab: {} values do not make {} slices x {} projections x {} columns", sinograms.size(), slices,
         projections, n);
  if (out.size() != static_cast<std::size_t>(slices) * nn * nn)
    fail("backproject_slab: output holds {} values, not {} slices of {} x {}", out.size(), slices, n, n);
  const std::size_t angles = static_cast<std::size_t>(projections);
  Geometry g{std::vector<double>(angles), std::vector<double>(angles), std::vector<float>(angles), geometry.axis,
             0.5 * n, n};
  for (std::size_t p = 0; p < angles; ++p) {
    g.cosines[p] = std::cos(static_cast<double>(geometry.angles_rad[p]));
    g.sines[p] = std::sin(static_cast<double>(geometry.angles_rad[p]));
    g.float_cosines[p] = static_cast<float>(g.cosines[p]);
  }
  const std::size_t padded = nn + 3;
  const std::size_t row_bytes = padded * sizeof(Lanes);
  const int tiles_per_side = (n + kTile - 1) / kTile;

  for (int first = 0; first < slices; first += kSlabLanes) {
    const int in_group = std::min(kSlabLanes, slices - first);
    if (in_group < kFewestSlicesForAGroup) {
      const std::size_t sinogram_size = static_cast<std::size_t>(projections) * nn, slice_size = nn * nn;
      const std::size_t skipped = static_cast<std::size_t>(first), count = static_cast<std::size_t>(in_group);
      backproject(sinograms.subspan(skipped * sinogram_size, count * sinogram_size), in_group, geometry, scale,
                  out.subspan(skipped * slice_size, count * slice_size), threads, output);
      continue;
    }
    const auto lanes = interleave(sinograms, first, in_group, projections, n, threads);
    const char* lane_bytes = reinterpret_cast<const char*>(lanes.data());
    const std::size_t tiles = static_cast<std::size_t>(tiles_per_side) * tiles_per_side;
    parallel_for(tiles, threads, [&](std::size_t begin, std::size_t end) {
      std::vector<Lanes> totals(static_cast<std::size_t>(kTile) * kTile);
      StripPositions at;
      for (std::size_t tile = begin; tile < end; ++tile) {
        const int tile_row = static_cast<int>(tile / tiles_per_side) * kTile;
        const int tile_column = static_cast<int>(tile % tiles_per_side) * kTile;
        const int rows = std::min(kTile, n - tile_row), columns = std::min(kTile, n - tile_column);
        std::fill(totals.begin(), totals.end(), Lanes{});
        for (int a = 0; a < projections; a += kChunk) {
          const int count = std::min(kChunk, projections - a);
          // Strips beyond the image's last column compute positions but nothing reads their sums;
          // clamped positions keep their loads inside the interleaved copy.
          for (int strip = 0; strip < columns; strip += kStrip)
            for (int r = 0; r < rows; ++r) {
              const double x = tile_column + strip - g.half, y = g.half - (tile_row + r);
              strip_positions(g, x, y, a, count, at);
              accumulate_strip(lane_bytes + static_cast<std::size_t>(a) * row_bytes, row_bytes, count, at,
                               totals.data() + static_cast<std::size_t>(r) * kTile + strip);
            }
        }
        // Scatter the tile back to (slice, row, column).
        for (int s = 0; s < in_group; ++s)
          for (int r = 0; r < rows; ++r) {
            float* image_row =
                out.data() + (static_cast<std::size_t>(first + s) * nn + static_cast<std::size_t>(tile_row + r)) * nn +
                static_cast<std::size_t>(tile_column);
            const Lanes* tile_row_totals = totals.data() + static_cast<std::size_t>(r) * kTile;
            if (output == BackprojectionOutput::accumulate)
              for (int j = 0; j < columns; ++j) image_row[j] += scale * tile_row_totals[j][s];
            else
              for (int j = 0; j < columns; ++j) image_row[j] = scale * tile_row_totals[j][s];
          }
      }
    });
  }
}

std::int64_t backproject_slab_workspace_bytes(int projections, int n) {
  return std::int64_t{projections} * (std::int64_t{n} + 3) * static_cast<std::int64_t>(sizeof(Lanes));
}

}  // namespace tomo
