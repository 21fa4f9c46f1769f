// One-slice backprojection, the reference-accurate path.
//
// With AVX-512, 16 neighbouring pixels of a row are interpolated at once by an in-register gather:
// at one angle their detector positions are 16 points spaced by cos θ (|cos θ| ≤ 1), so their left
// columns lie within 17 consecutive columns; two aligned loads of a 32-column window and one
// two-source permute (vpermt2ps) fetch all 16 — no per-pixel loads and no hardware gather (which
// costs about one load per element on AMD and Intel alike). Per 16 updates: 4 loads (values and
// differences), 2 permutes, a floor, a conversion and 4 multiply-adds. Without AVX-512 a
// pixel-at-a-time loop computes the same sums.
//
// Accuracy: a position t is a column number up to ~1.2 N, so a float t is only good to
// ulp(N)/2 (1.2e-4 columns at N = 2048), and float cos θ adds |x|·3e-8; with white-noise data that
// alone makes a relative error of ~1e-4 at N = 2048. So positions are split, t = base + r: the
// position of a block's centre is computed in double (from double cos θ, sin θ, like the
// reference), the remainders r (|r| < 96) of the block's 128 pixels in float, good to 4e-6 columns.
#include "kernels/backprojection.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <new>

#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tomo {
namespace {

struct Trigonometry {
  std::vector<double> cosines, sines;  // of the float angles, in double like the reference
  explicit Trigonometry(const std::vector<float>& angles) : cosines(angles.size()), sines(angles.size()) {
    for (std::size_t p = 0; p < angles.size(); ++p) {
      cosines[p] = std::cos(static_cast<double>(angles[p]));
      sines[p] = std::sin(static_cast<double>(angles[p]));
    }
  }
};

#if defined(__AVX512F__)

// GCC 12 warns that the intrinsics' internal _mm512_undefined_*() values "may be used
// uninitialized" wherever they are inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

constexpr int kVector = 16;        // pixels (floats) per AVX-512 register
constexpr int kBlockVectors = 8;   // a pixel block is 8 vectors, 128 pixels of one row: their two sums
                                   // and lane offsets take 24 of the 32 registers, the rest the
                                   // gather; a block of 4 costs 20 % more per update (the per-angle
                                   // work is spread over fewer pixels)
constexpr int kBlockWidth = kVector * kBlockVectors;
// Tile: 128 rows × one block. At one angle the tile reads ≤ 128 (|cos θ| + |sin θ|) + 32 ≤ 213
// columns of values and as many of differences (28 cache lines), 28 KiB over a chunk of 16 angles:
// a chunk's lines come from L2 once and then stay in a 48 KiB L1 while the chunk sweeps the tile's
// rows, each row reading nearly the lines of the row before (shifted by sin θ). The taller the
// tile, the fewer L2 trips (measured: 64 rows 5 % slower).
constexpr int kTileRows = 128;
// Angles per chunk: a block's sums stay in registers over a chunk and are then added to the tile's
// totals — a blocked summation, so that rounding does not grow with the number of projections.
constexpr int kAngleChunk = 16;

// The in-register gather. The lowest left column of a vector's 16 pixels (the first pixel's, or at
// most 16 columns left of it when cos θ < 0), rounded down to a multiple of 16, starts a 32-column
// window of two whole cache lines that holds all 17 candidate columns. vpermt2ps reads only the low
// 5 bits of each index, the column modulo 32; with the window's two halves passed in the order of
// their columns modulo 32 (the one starting at a multiple of 32 first), the column is the index.
constexpr int kWindow = 2 * kVector;

// A slice's filtered projections, padded with zero columns so that every window lies inside its
// row, and each row followed by the same row of differences q[c + 1] − q[c]: the interpolation
// q[c] + w·(q[c + 1] − q[c]) then needs only left columns — two permutes of two windows.
struct PaddedProjections {
  std::unique_ptr<float[], void (*)(float*)> floats{nullptr, nullptr};
  std::size_t stride = 0;  // floats from a row of values to its differences, twice that to the next row
  int front = 0;           // zero columns before column 0: a multiple of kVector, rows are 64-byte aligned
  // Positions are clamped to [-1, N] only when the pixels' positions reach so far beyond the
  // detector (an axis far off centre, or an image narrower than a block) that padding for them
  // would cost more than a row's width.
  bool clamp = false;
  const float* values(int p) const { return floats.get() + 2 * static_cast<std::size_t>(p) * stride + front; }
};

void free_aligned(float* p) { ::operator delete[](p, std::align_val_t{64}); }

// Columns from lowest − 2·kVector to highest + kWindow are padded: below, a vector's reach to the
// left when cos θ < 0 and the rounding down to a multiple of 16; above, the 32-column window.
PaddedProjections pad_projections(const float* sinogram, int projections, int n, int lowest, int highest,
                                  int threads) {
  PaddedProjections padded;
  padded.clamp = (-lowest) + (highest - n) > n;
  if (padded.clamp) lowest = -1, highest = n;
  const int left_reach = 2 * kVector - std::min(lowest, -1);
  padded.front = (left_reach + kVector - 1) / kVector * kVector;
  const int back = std::max(highest, n) - n + kWindow + 1;
  padded.stride = static_cast<std::size_t>((padded.front + n + back + kVector - 1) / kVector * kVector);
  const std::size_t count = 2 * static_cast<std::size_t>(projections) * padded.stride;
  padded.floats = {static_cast<float*>(::operator new[](count * sizeof(float), std::align_val_t{64})), free_aligned};
  parallel_for(static_cast<std::size_t>(projections), threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t p = begin; p < end; ++p) {
      float* row = padded.floats.get() + 2 * p * padded.stride;
      std::fill_n(row, 2 * padded.stride, 0.0f);
      float* values = row + padded.front;
      float* differences = values + padded.stride;
      std::copy_n(sinogram + p * static_cast<std::size_t>(n), n, values);
      for (int c = -1; c < n; ++c) differences[c] = values[c + 1] - values[c];
    }
  });
  return padded;
}

// Where a block's centre projects at the angles of a chunk, in double: at the tile's first
// row (origins), and the change from one row to the next (row_steps, −sin θ, per projection; the
// arrays run kAngleChunk past the last projection so that a short chunk can be read whole).
struct ChunkPositions {
  alignas(64) double origins[kAngleChunk];
  const double* row_steps;
};

// Adds projections [first, end) of a slice to one block's totals (kBlockWidth floats) for the row
// `row` of the tile. `lanes` holds the pixels' offsets from the block's centre, −64 … 63;
// `lowest_lanes` per projection the lane whose column is a vector's lowest (15 when cos θ < 0,
// else 0); both it and `cosines` run kAngleChunk past the last projection.
template <bool kClamp>
void accumulate_block(const PaddedProjections& padded, const float* cosines, const float* lowest_lanes,
                      const ChunkPositions& chunk, int row, int n, const __m512 (&lanes)[kBlockVectors], int first,
                      int end, float* totals) {
  // The centre's position at each angle, split into a base column, a multiple of 32 (so that a
  // column and its offset from the base agree modulo 32, the permute index), and a float
  // remainder in [0, 32): eight angles per vector of doubles.
  static_assert(kAngleChunk == kVector, "one vector of angles");
  alignas(64) float remainders[kAngleChunk];
  alignas(64) std::int32_t bases[kAngleChunk];
  for (int a = 0; a < kAngleChunk; a += 8) {
    const __m512d position = _mm512_fmadd_pd(_mm512_set1_pd(row), _mm512_loadu_pd(chunk.row_steps + first + a),
                                             _mm512_load_pd(chunk.origins + a));
    const __m512d base = _mm512_mul_pd(_mm512_roundscale_pd(_mm512_mul_pd(position, _mm512_set1_pd(1.0 / kWindow)),
                                                            _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
                                       _mm512_set1_pd(kWindow));
    _mm256_store_ps(remainders + a, _mm512_cvtpd_ps(_mm512_sub_pd(position, base)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(bases + a), _mm512_cvtpd_epi32(base));
  }
  const __m512 start = _mm512_load_ps(remainders);
  const __m512i base = _mm512_load_si512(bases);
  const __m512 low = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_set1_epi32(-1), base));
  const __m512 high = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_set1_epi32(n), base));
  // Each vector's window, one vector of angles at a time: its lowest lane's column, computed with
  // the very operations of the loop below (so the same column to the bit), rounded down to a
  // multiple of 16. Known before the loop, the windows' addresses do not wait on its arithmetic.
  alignas(64) std::int32_t windows[kBlockVectors][kAngleChunk];
  const __m512 cosine = _mm512_loadu_ps(cosines + first), lowest_lane = _mm512_loadu_ps(lowest_lanes + first);
  for (int v = 0; v < kBlockVectors; ++v) {
    const __m512 lane = _mm512_add_ps(_mm512_set1_ps(static_cast<float>(v * kVector - kBlockWidth / 2)), lowest_lane);
    __m512 t = _mm512_fmadd_ps(lane, cosine, start);
    if constexpr (kClamp) t = _mm512_min_ps(_mm512_max_ps(t, low), high);
    const __m512i column = _mm512_cvtps_epi32(_mm512_roundscale_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    _mm512_store_si512(windows[v], _mm512_and_si512(_mm512_add_epi32(column, base), _mm512_set1_epi32(-kVector)));
  }

  const __m512 one = _mm512_set1_ps(1.0f);
  // Σ left values and Σ weight × difference apart: both are then multiply-adds, on the two FMA
  // pipes, while the rounding, conversion and permutes take the other two (Zen 4/5 issue FP adds,
  // permutes and conversions to the same pair of pipes).
  __m512 left_sums[kBlockVectors], slope_sums[kBlockVectors];
  for (int v = 0; v < kBlockVectors; ++v) left_sums[v] = slope_sums[v] = _mm512_setzero_ps();
  for (int p = first; p < end; ++p) {
    const int a = p - first;
    const __m512 angle_cosine = _mm512_set1_ps(cosines[p]), angle_start = _mm512_set1_ps(remainders[a]);
    const float* values = padded.values(p);
    const float* differences = values + padded.stride;
    for (int v = 0; v < kBlockVectors; ++v) {
      __m512 t = _mm512_fmadd_ps(lanes[v], angle_cosine, angle_start);  // position − base
      if constexpr (kClamp) {
        // To [-1, N]: zero beyond the detector, as sample_linear() gives.
        t = _mm512_max_ps(t, _mm512_set1_ps(static_cast<float>(-1 - bases[a])));
        t = _mm512_min_ps(t, _mm512_set1_ps(static_cast<float>(n - bases[a])));
      }
      const __m512 floor_t = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
      const __m512 weight = _mm512_fnmadd_ps(floor_t, one, t);  // t − floor(t), exact, on an FMA pipe
      const __m512i column = _mm512_cvtps_epi32(floor_t);         // exact: floor_t is an integer
      const std::ptrdiff_t window = windows[v][a], bit = window & kVector;
      const std::ptrdiff_t even = window + bit, odd = window + kVector - bit;  // ≡ 0, 16 mod 32
      const __m512 left = _mm512_permutex2var_ps(_mm512_load_ps(values + even), column, _mm512_load_ps(values + odd));
      const __m512 difference =
          _mm512_permutex2var_ps(_mm512_load_ps(differences + even), column, _mm512_load_ps(differences + odd));
      left_sums[v] = _mm512_fmadd_ps(left, one, left_sums[v]);
      slope_sums[v] = _mm512_fmadd_ps(weight, difference, slope_sums[v]);
    }
  }
  for (int v = 0; v < kBlockVectors; ++v)
    _mm512_storeu_ps(totals + v * kVector, _mm512_add_ps(_mm512_loadu_ps(totals + v * kVector),
                                                         _mm512_add_ps(left_sums[v], slope_sums[v])));
}

void backproject_slice(const float* sinogram, int projections, const Trigonometry& trig, int n, double axis,
                       float scale, float* image, int threads, BackprojectionOutput output) {
  const double half = 0.5 * n;
  const int tile_rows = (n + kTileRows - 1) / kTileRows, tile_columns = (n + kBlockWidth - 1) / kBlockWidth;
  // How far from the axis any pixel's position can lie: the farthest pixel from the centre (blocks
  // reach past the last column to a whole block), and a column of slack for rounding.
  const double widest = std::max(half, tile_columns * kBlockWidth - half);
  const double reach = std::sqrt(widest * widest + half * half) + 1;
  const auto padded = pad_projections(sinogram, projections, n, static_cast<int>(std::floor(axis - reach)),
                                      static_cast<int>(std::ceil(axis + reach)), threads);
  // Per projection, and kAngleChunk beyond so that a short chunk can be read as a whole vector.
  std::vector<float> cosines(trig.cosines.size() + kAngleChunk, 0.0f), lowest_lanes(cosines.size(), 0.0f);
  std::vector<double> row_steps(cosines.size(), 0.0);
  for (std::size_t p = 0; p < trig.cosines.size(); ++p) {
    cosines[p] = static_cast<float>(trig.cosines[p]);
    lowest_lanes[p] = cosines[p] < 0.0f ? kVector - 1 : 0;
    row_steps[p] = -trig.sines[p];
  }
  const auto accumulate = padded.clamp ? accumulate_block<true> : accumulate_block<false>;
  __m512 lanes[kBlockVectors];
  for (int v = 0; v < kBlockVectors; ++v)
    lanes[v] = _mm512_add_ps(_mm512_set1_ps(static_cast<float>(v * kVector - kBlockWidth / 2)),
                             _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));

  parallel_for(static_cast<std::size_t>(tile_rows) * tile_columns, threads, [&](std::size_t begin, std::size_t end) {
    std::vector<float> totals(static_cast<std::size_t>(kTileRows) * kBlockWidth);
    ChunkPositions chunk{{}, row_steps.data()};
    for (std::size_t tile = begin; tile < end; ++tile) {
      const int row0 = static_cast<int>(tile / tile_columns) * kTileRows;
      const int column0 = static_cast<int>(tile % tile_columns) * kBlockWidth;
      const int rows = std::min(kTileRows, n - row0), columns = std::min(kBlockWidth, n - column0);
      // Blocks reaching past the image's last column compute those pixels too (the padding covers
      // their positions) and nothing keeps them.
      std::fill(totals.begin(), totals.end(), 0.0f);
      const double x0 = column0 - half, y0 = half - row0, centre = x0 + kBlockWidth / 2;
      for (int first = 0; first < projections; first += kAngleChunk) {
        const int end_chunk = std::min(first + kAngleChunk, projections);
        for (int p = first; p < end_chunk; ++p)
          chunk.origins[p - first] = centre * trig.cosines[p] + y0 * trig.sines[p] + axis;
        for (int r = 0; r < rows; ++r)
          accumulate(padded, cosines.data(), lowest_lanes.data(), chunk, r, n, lanes, first, end_chunk,
                     totals.data() + static_cast<std::size_t>(r) * kBlockWidth);
      }
      for (int r = 0; r < rows; ++r) {
        float* image_row = image + static_cast<std::size_t>(row0 + r) * n + column0;
        const float* row_totals = totals.data() + static_cast<std::size_t>(r) * kBlockWidth;
        if (output == BackprojectionOutput::accumulate)
          for (int j = 0; j < columns; ++j) image_row[j] += scale * row_totals[j];
        else
          for (int j = 0; j < columns; ++j) image_row[j] = scale * row_totals[j];
      }
    }
  });
}

#pragma GCC diagnostic pop

#else  // no AVX-512: one pixel at a time

void backproject_slice(const float* sinogram, int projections, const Trigonometry& trig, int n, double axis,
                       float scale, float* image, int threads, BackprojectionOutput output) {
  const std::size_t nn = static_cast<std::size_t>(n);
  const double half = 0.5 * n;
  // One work item is one image row; the angle loop is outside the pixel loop so that one filtered
  // projection row stays in L1 while a whole image row is accumulated. Positions in double (see
  // the top of the file); beyond the detector the projection is zero, as in sample_linear().
  parallel_for(nn, threads, [&](std::size_t begin, std::size_t end) {
    std::vector<float> accumulator(nn);
    for (std::size_t r = begin; r < end; ++r) {
      const double y = half - static_cast<double>(r);
      std::fill(accumulator.begin(), accumulator.end(), 0.0f);
      for (int p = 0; p < projections; ++p) {
        const float* q = sinogram + static_cast<std::size_t>(p) * nn;
        const double cosine = trig.cosines[p], start = -half * cosine + y * trig.sines[p] + axis;
        for (std::size_t j = 0; j < nn; ++j) {
          const double t = start + static_cast<double>(j) * cosine;
          const double floor_t = std::floor(t);
          if (floor_t < -1 || floor_t >= n) continue;
          const int i = static_cast<int>(floor_t);
          const float w = static_cast<float>(t - floor_t);
          const float left = i >= 0 ? q[i] : 0.0f, right = i + 1 < n ? q[i + 1] : 0.0f;
          accumulator[j] += left + w * (right - left);
        }
      }
      float* image_row = image + r * nn;
      if (output == BackprojectionOutput::accumulate)
        for (std::size_t j = 0; j < nn; ++j) image_row[j] += scale * accumulator[j];
      else
        for (std::size_t j = 0; j < nn; ++j) image_row[j] = scale * accumulator[j];
    }
  });
}

#endif

}  // namespace

void backproject(std::span<const float> sinograms, int slices, const ParallelGeometry& geometry, float scale,
                 std::span<float> out, int threads, BackprojectionOutput output) {
  const int n = geometry.columns;
  const std::size_t nn = static_cast<std::size_t>(n);
  const std::size_t projections = geometry.angles_rad.size();
  if (sinograms.size() != static_cast<std::size_t>(slices) * projections * nn)
    fail("backproject: {} values do not make {} slices x {} projections x {} columns", sinograms.size(), slices,
         projections, n);
  if (out.size() != static_cast<std::size_t>(slices) * nn * nn)
    fail("backproject: output holds {} values, not {} slices of {} x {}", out.size(), slices, n, n);
  const Trigonometry trig(geometry.angles_rad);
  for (int s = 0; s < slices; ++s)
    backproject_slice(sinograms.data() + static_cast<std::size_t>(s) * projections * nn, static_cast<int>(projections),
                      trig, n, geometry.axis, scale, out.data() + static_cast<std::size_t>(s) * nn * nn, threads,
                      output);
}

}  // namespace tomo
