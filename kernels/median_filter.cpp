#include "kernels/median_filter.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace tomo {
// The window slides one sample at a time: it is kept sorted, and each step takes out the sample
// that leaves and slides the one that enters into its place, moving only the values between the
// two positions — against a selection over the whole window per sample (on 1800 × 2048
// sinograms: oimoen:51;51 9× faster, vo-large 2.6×, vo-all 2.1×), or an erase and an insert that
// each move everything after them (bench/bench_preprocessing.cpp). The values are those of a
// selection: the same median of the same samples.
void median_filter(const float* in, std::size_t n, std::size_t stride, int width, Boundary boundary, float* out) {
  const std::ptrdiff_t half = width / 2;  // an even width acts as width + 1
  const auto sample = [&](std::ptrdiff_t i) { return in[boundary_index(i, n, boundary) * stride]; };
  const auto size = static_cast<std::size_t>(2 * half + 1);
  std::vector<float> window;
  window.reserve(size);
  for (std::ptrdiff_t k = -half; k <= half; ++k) window.push_back(sample(k));
  std::sort(window.begin(), window.end());
  float* w = window.data();
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = w[half];
    if (i + 1 == n) break;
    const auto at = static_cast<std::ptrdiff_t>(i);
    const float entering = sample(at + half + 1);
    float* leaving = std::lower_bound(w, w + size, sample(at - half));
    // Slide the entering value from the leaving one's slot to where it belongs, shifting the
    // values it passes by one.
    if (entering > *leaving) {
      float* above = std::upper_bound(leaving + 1, w + size, entering);
      std::copy(leaving + 1, above, leaving);
      above[-1] = entering;
    } else {
      float* slot = std::upper_bound(w, leaving, entering);
      std::copy_backward(slot, leaving, leaving + 1);
      *slot = entering;
    }
  }
}

namespace {

// 16 floats side by side: a line (row or column) each, one SIMD register (GCC's vector extension; two registers
// where the CPU has no 512-bit vectors).
constexpr std::size_t kLanes = 16;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

// Sixteen lines slide together, lane by lane. Each lane's window is kept sorted, as above, but
// the step is done by comparisons over the whole window instead of searches and moves: position
// i takes, with the leaving value out, window[i] if it is below that value and window[i + 1] if
// not; then, with the entering value in, that if it is not above the entering value, or else the
// larger of the entering value and the value before it. Every lane at once, no branch to
// mispredict: on 1800 × 2048 images 8× faster than median_filter row by row at width 21, 5× at
// 61, 1.2× still at 1601. `samples` holds the lines' n samples lane by lane; `window` and
// `initial` are work space.
void slide_lanes(const std::vector<Lanes>& samples, std::size_t n, int width, Boundary boundary, std::vector<Lanes>& medians,
                 std::vector<Lanes>& window, std::vector<float>& initial) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const std::ptrdiff_t half = width / 2;
  const auto size = static_cast<std::size_t>(2 * half + 1);
  window.resize(size + 1);  // window[size]: +∞ past the end
  initial.resize(size);
  const auto sample = [&](std::ptrdiff_t i) -> const Lanes& { return samples[boundary_index(i, n, boundary)]; };
  for (std::size_t l = 0; l < kLanes; ++l) {
    for (std::size_t i = 0; i < size; ++i) initial[i] = sample(static_cast<std::ptrdiff_t>(i) - half)[l];
    std::sort(initial.begin(), initial.end());
    for (std::size_t i = 0; i < size; ++i) window[i][l] = initial[i];
  }
  window[size] = Lanes{} + kInf;
  for (std::size_t c = 0; c < n; ++c) {
    medians[c] = window[static_cast<std::size_t>(half)];
    if (c + 1 == n) break;
    const Lanes leaving = sample(static_cast<std::ptrdiff_t>(c) - half);
    const Lanes entering = sample(static_cast<std::ptrdiff_t>(c) + half + 1);
    Lanes before = Lanes{} - kInf;  // the value before position i once the leaving one is out
    for (std::size_t i = 0; i < size; ++i) {
      const Lanes kept = window[i] < leaving ? window[i] : window[i + 1];
      window[i] = kept <= entering ? kept : (before > entering ? before : entering);
      before = kept;
    }
  }
}

// Windows of 2048 and more (widths go up to 10001) go line by line, where moving part of the
// window costs less than comparing all of it.
constexpr int kWidestSideBySide = 2047;

}  // namespace

void median_filter_rows(const float* image, std::size_t rows, std::size_t columns, int width, Boundary boundary,
                        float* out) {
  if (width > kWidestSideBySide) {
    for (std::size_t r = 0; r < rows; ++r) median_filter(image + r * columns, columns, 1, width, boundary, out + r * columns);
    return;
  }
  std::vector<Lanes> samples(columns), medians(columns), window;
  std::vector<float> initial;
  for (std::size_t first = 0; first < rows; first += kLanes) {
    const std::size_t count = std::min(kLanes, rows - first);  // lanes past the last row repeat it
    for (std::size_t c = 0; c < columns; ++c)
      for (std::size_t l = 0; l < kLanes; ++l) samples[c][l] = image[(first + std::min(l, count - 1)) * columns + c];
    slide_lanes(samples, columns, width, boundary, medians, window, initial);
    for (std::size_t l = 0; l < count; ++l)
      for (std::size_t c = 0; c < columns; ++c) out[(first + l) * columns + c] = medians[c][l];
  }
}

// Sixteen neighbouring columns are one row's 16 consecutive values: the lanes load and store
// without a transpose.
void median_filter_columns(const float* image, std::size_t rows, std::size_t columns, int width, Boundary boundary,
                           float* out) {
  if (width > kWidestSideBySide) {
    std::vector<float> column(rows);
    for (std::size_t c = 0; c < columns; ++c) {
      median_filter(image + c, rows, columns, width, boundary, column.data());
      for (std::size_t r = 0; r < rows; ++r) out[r * columns + c] = column[r];
    }
    return;
  }
  std::vector<Lanes> samples(rows), medians(rows), window;
  std::vector<float> initial;
  for (std::size_t first = 0; first < columns; first += kLanes) {
    const std::size_t count = std::min(kLanes, columns - first);  // lanes past the last column repeat it
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t l = 0; l < kLanes; ++l) samples[r][l] = image[r * columns + first + std::min(l, count - 1)];
    slide_lanes(samples, rows, width, boundary, medians, window, initial);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t l = 0; l < count; ++l) out[r * columns + first + l] = medians[r][l];
  }
}

float median_of(std::span<float> values) {
  if (values.empty()) return 0.0f;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  float median = *middle;
  if (values.size() % 2 == 0) median = 0.5f * (median + *std::max_element(values.begin(), middle));
  return median;
}

}  // namespace tomo
