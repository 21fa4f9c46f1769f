// STP-Core's sinogram-domain stripe filters (ElettraSciComp/STP-Core, preprocess/ringremoval),
// written from the papers and STP's documented behaviour.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "kernels/median_filter.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

constexpr std::size_t kLanes = 16;  // samples side by side in Sijbers & Postnov's medians

// Σ over angles of each column, in double: a sum of thousands of floats loses the small
// offsets that are the stripes.
std::vector<double> column_sums(SinogramView sinogram) {
  std::vector<double> sums(static_cast<std::size_t>(sinogram.columns), 0.0);
  for (int p = 0; p < sinogram.projections; ++p) {
    const float* row = sinogram.row(p);
    for (std::size_t c = 0; c < sums.size(); ++c) sums[c] += row[c];
  }
  return sums;
}

}  // namespace

// Both reduce each column to its sum and decide its correction from the profile of sums
// (stripe_filter_tables.hpp, which the GPU's versions call too).
void rivers_filter(SinogramView sinogram, int width) {
  const auto correction = rivers_correction(column_sums(sinogram), sinogram.projections, width);
  for (int p = 0; p < sinogram.projections; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < correction.size(); ++c) row[c] -= correction[c];
  }
}

void boin_haibel_filter(SinogramView sinogram, int width) {
  const auto gain = boin_haibel_gains(column_sums(sinogram), width);
  for (int p = 0; p < sinogram.projections; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < gain.size(); ++c) row[c] *= gain[c];
  }
}

void oimoen_filter(SinogramView sinogram, int horizontal_width, int vertical_width) {
  const auto rows = static_cast<std::size_t>(sinogram.projections), columns = static_cast<std::size_t>(sinogram.columns);
  // The horizontal high-pass holds the object's edges and the stripes; only the stripes
  // persist down a column, so its vertical median keeps them and drops the edges. Both medians
  // 16 lines at a time (median_filter_rows, median_filter_columns): the same values as line by
  // line, 6× faster on 1800 × 2048 at widths 51.
  std::vector<float> high_pass(sinogram.size()), stripe(sinogram.size());
  median_filter_rows(sinogram.values, rows, columns, horizontal_width, Boundary::nearest, high_pass.data());
  for (std::size_t i = 0; i < high_pass.size(); ++i) high_pass[i] = sinogram.values[i] - high_pass[i];
  median_filter_columns(high_pass.data(), rows, columns, vertical_width, Boundary::mirror, stripe.data());
  for (std::size_t i = 0; i < stripe.size(); ++i) sinogram.values[i] -= stripe[i];
}

namespace {

// The medians of one window position's segments, sample by sample: `found` rows of `stride`
// values (a multiple of kLanes; samples past the window's `width` are padding), each median
// exactly median_of's. Consecutive positions differ little (the means move by a sample in
// `width`, some rows change homogeneity), so each column's median stays near the one the position
// before found for it, moved by the drift of the means. A pass over the rows, 16 samples side by
// side, counts per sample the values below a bracket about that guess and keeps the few inside
// it; when the middle ranks fall inside, a selection among those few gives them, the same values
// as a selection among all. Otherwise (a new column, a jump) the sample's values are selected
// from in full, as before. The bracket's half-width is three times the RMS of the column's
// recent misses of its guess. On 1800 × 2048 (sijberspostnov:51;0.001) about 19 medians in 20
// come from some 20 values instead of ~1800.
class SegmentMedians {
 public:
  explicit SegmentMedians(int columns)
      : guess_(static_cast<std::size_t>(columns)), step_variance_(guess_.size(), -1.0), has_guess_(guess_.size(), false) {}

  // Adds found · median of sample k to stripe_sum[start + k] and found to weight[start + k].
  // `drift`: how far the segments' means have moved since the first position, summed (the
  // object's slope moves every row's mean alike, and the values less their means the other way).
  void add(const float* segments, std::size_t found, std::size_t stride, int start, int width, double drift,
           std::vector<double>& stripe_sum, std::vector<double>& weight);

 private:
  typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
  typedef int Counts __attribute__((vector_size(kLanes * sizeof(int))));
  static constexpr float kInf = std::numeric_limits<float>::infinity();
  static constexpr double kBracketWidth = 3;  // half-widths in RMS steps: ~0.3 % misses if Gaussian
  static constexpr double kSmoothing = 0.1;   // weight of the newest step in the RMS

  std::vector<double> guess_;          // per column: its last median, plus the drift then
  std::vector<double> step_variance_;  // per column: mean square of its medians' steps from the guess, < 0: none yet
  std::vector<bool> has_guess_;
  std::vector<float> inside_, values_;
};

// Which of 16 values lie in [lo, hi], as bits.
template <class Lanes>
unsigned inside_bits(const Lanes& v, const Lanes& lo, const Lanes& hi) {
#if defined(__AVX512F__)
  const __m512 x = reinterpret_cast<const __m512&>(v);
  return _mm512_cmp_ps_mask(x, reinterpret_cast<const __m512&>(lo), _CMP_GE_OQ) &
         _mm512_cmp_ps_mask(x, reinterpret_cast<const __m512&>(hi), _CMP_LE_OQ);
#elif defined(__AVX__)
  const __m256* x = reinterpret_cast<const __m256*>(&v);
  const __m256* l = reinterpret_cast<const __m256*>(&lo);
  const __m256* h = reinterpret_cast<const __m256*>(&hi);
  const auto half = [](__m256 a, __m256 b, __m256 c) {
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_and_ps(_mm256_cmp_ps(a, b, _CMP_GE_OQ), _mm256_cmp_ps(a, c, _CMP_LE_OQ))));
  };
  return half(x[0], l[0], h[0]) | half(x[1], l[1], h[1]) << 8;
#else
  unsigned bits = 0;
  for (unsigned l = 0; l < kLanes; ++l) bits |= (v[l] >= lo[l] && v[l] <= hi[l] ? 1u : 0u) << l;
  return bits;
#endif
}

void SegmentMedians::add(const float* segments, std::size_t found, std::size_t stride, int start, int width,
                         double drift, std::vector<double>& stripe_sum, std::vector<double>& weight) {
  const std::size_t upper = found / 2;                            // median_of's middle rank
  const std::size_t lowest = found % 2 == 0 ? upper - 1 : upper;  // and the one below for an even count
  inside_.resize(kLanes * found);
  values_.resize(found);
  for (std::size_t first = 0; first < static_cast<std::size_t>(width); first += kLanes) {
    Lanes lo, hi;
    double centre[kLanes];
    for (std::size_t l = 0; l < kLanes; ++l) {
      const std::size_t c = static_cast<std::size_t>(start) + first + l;
      const bool bracket = first + l < static_cast<std::size_t>(width) && has_guess_[c];
      centre[l] = bracket ? guess_[c] - drift : 0.0;
      const double half_width = bracket ? kBracketWidth * std::sqrt(step_variance_[c]) : 0.0;
      lo[l] = bracket ? static_cast<float>(centre[l] - half_width) : kInf;  // no bracket: nothing inside
      hi[l] = bracket ? static_cast<float>(centre[l] + half_width) : kInf;
    }
    Counts below{};
    unsigned count[kLanes] = {};
    for (std::size_t r = 0; r < found; ++r) {
      Lanes v;
      std::memcpy(&v, segments + r * stride + first, sizeof v);
      below -= v < lo;  // −1 where true
      for (unsigned bits = inside_bits(v, lo, hi); bits != 0; bits &= bits - 1) {
        const auto l = static_cast<unsigned>(__builtin_ctz(bits));
        inside_[l * found + count[l]++] = v[l];
      }
    }
    for (std::size_t l = 0; l < kLanes && first + l < static_cast<std::size_t>(width); ++l) {
      const std::size_t c = static_cast<std::size_t>(start) + first + l, under = static_cast<std::size_t>(below[l]);
      float median;
      if (under <= lowest && upper < under + count[l]) {
        float* few = inside_.data() + l * found;
        const std::size_t middle = upper - under;
        std::nth_element(few, few + middle, few + count[l]);
        median = few[middle];
        if (found % 2 == 0) median = 0.5f * (median + *std::max_element(few, few + middle));
      } else {
        for (std::size_t r = 0; r < found; ++r) values_[r] = segments[r * stride + first + l];
        median = median_of(values_);
        if (step_variance_[c] < 0 && c > 0 && step_variance_[c - 1] >= 0) {
          step_variance_[c] = step_variance_[c - 1];  // a new column: its neighbour's steps
        } else if (step_variance_[c] < 0) {
          // The first position: the distance to the value 1/64 of the ranks above the median.
          const auto above = values_.begin() + static_cast<std::ptrdiff_t>(upper);
          const auto quantile = above + static_cast<std::ptrdiff_t>((found - upper - 1) / 64);
          if (found > upper + 1) std::nth_element(above + 1, quantile, values_.end());
          const double spread = (*quantile - values_[upper]) / kBracketWidth;
          step_variance_[c] = spread * spread;
        }
      }
      if (has_guess_[c]) {
        const double step = median - centre[l];
        step_variance_[c] += kSmoothing * (step * step - step_variance_[c]);
      }
      guess_[c] = median + drift, has_guess_[c] = true;
      stripe_sum[c] += static_cast<double>(found) * median;
      weight[c] += static_cast<double>(found);
    }
  }
}

}  // namespace

void sijbers_postnov_filter(SinogramView sinogram, int window, double variance_threshold) {
  const int columns = sinogram.columns, projections = sinogram.projections;
  const int w = std::min(window, columns);  // a window wider than the row is the whole row
  const auto width = static_cast<std::size_t>(w);
  const std::size_t stride = (width + kLanes - 1) / kLanes * kLanes;
  // Running Σv and Σv² of each row's window (the GPU slides the same sums along each row).
  std::vector<WindowMoments> moments(static_cast<std::size_t>(projections));
  for (int p = 0; p < projections; ++p)
    for (int c = 0; c < w; ++c) moments[static_cast<std::size_t>(p)].add(sinogram.row(p)[c]);
  // STP keeps, for each column, the profile of one window: the last one that found more
  // homogeneous rows than the window before it. Every window covering a column estimates its
  // stripe; here they are averaged, weighted by the rows each found: the same where one window
  // dominates, and no steps where the chosen window changes.
  std::vector<double> stripe_sum(static_cast<std::size_t>(columns), 0.0), weight(stripe_sum.size(), 0.0);
  // Homogeneous segments less their means, row by row, `stride` apart.
  std::vector<float> segments(static_cast<std::size_t>(projections) * stride);
  SegmentMedians medians(columns);
  std::vector<double> previous_mean(static_cast<std::size_t>(projections));
  double drift = 0;
  for (int start = 0; start + w <= columns; ++start) {
    std::size_t found = 0;
    double moved = 0;  // Σ of the homogeneous rows' means less their means one position back
    for (int p = 0; p < projections; ++p) {
      WindowMoments& m = moments[static_cast<std::size_t>(p)];
      const double mean = m.mean(w);
      const float* segment = sinogram.row(p) + start;
      const double last_mean = std::exchange(previous_mean[static_cast<std::size_t>(p)], mean);
      if (m.homogeneous(w, variance_threshold)) {
        if (start > 0) moved += mean - last_mean;
        float* kept = segments.data() + found++ * stride;
        for (std::size_t k = 0; k < width; ++k) kept[k] = static_cast<float>(segment[k] - mean);
        std::fill(kept + width, kept + stride, kept[width - 1]);
      }
      if (start + w < columns) m.slide(segment[0], segment[width]);  // this row's window one column on
    }
    if (found == 0) continue;
    drift += moved / static_cast<double>(found);
    medians.add(segments.data(), found, stride, start, w, drift, stripe_sum, weight);
  }
  for (int p = 0; p < projections; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < stripe_sum.size(); ++c)
      if (weight[c] > 0) row[c] -= static_cast<float>(stripe_sum[c] / weight[c]);
  }
}

}  // namespace tomo
