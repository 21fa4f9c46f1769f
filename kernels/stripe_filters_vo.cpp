// Vo, Atwood & Drakopoulos, "Superior techniques for eliminating ring artifacts in X-ray
// micro-tomography", Opt. Express 26(22), 28396 (2018), as their algotom package runs them
// (remove_stripe_based_sorting, _filtering, remove_large_stripe, remove_dead_stripe).
//
// The key observation: sorting each column of a sinogram by value gives an image in which a
// column's values rise smoothly from its minimum to its maximum, and neighbouring columns of
// the object rise alike. A stripe shifts or scales its whole column, so in the sorted image it
// is a band that differs from its neighbours at every row — which a median across removes —
// while the object's own features, scattered over different rows in different columns, have
// become smooth.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

#include "kernels/column_fourier_filter.hpp"
#include "kernels/error.hpp"
#include "kernels/median_filter.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

// Each column sorted by value: sorted(k, c) and the row it came from, order(k, c), both
// row-major. Equal values keep their row order, as a stable sort leaves them.
struct SortedColumns {
  int rows = 0, columns = 0;
  std::vector<float> sorted;
  std::vector<std::int32_t> order;
  std::size_t at(int k, std::size_t c) const { return static_cast<std::size_t>(k) * static_cast<std::size_t>(columns) + c; }
};

// An unsigned key that orders as the float does: positive floats get the sign bit set, negative
// ones are flipped whole (their bits grow as they fall). −0 is keyed as +0 (adding +0 turns −0
// into +0), since the two compare equal.
std::uint32_t sort_key(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value + 0.0f);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

float key_value(std::uint32_t key) { return std::bit_cast<float>(key & 0x80000000u ? key & 0x7fffffffu : ~key); }

// Sorts (key << 32 | row) entries by key, keeping the row order of equal keys: a least-significant
// digit radix sort, four passes of a byte each, a pass skipped where every key has the same byte.
// Returns the buffer holding the result (`entries` or `scratch`).
std::uint64_t* radix_sort_by_key(std::uint64_t* entries, std::uint64_t* scratch, std::size_t n) {
  std::array<std::array<std::uint32_t, 256>, 4> counts{};
  for (std::size_t i = 0; i < n; ++i) {
    const auto key = static_cast<std::uint32_t>(entries[i] >> 32);
    for (std::size_t d = 0; d < 4; ++d) ++counts[d][(key >> (8 * d)) & 0xffu];
  }
  for (std::size_t d = 0; d < 4; ++d) {
    auto& count = counts[d];
    const int shift = 32 + 8 * static_cast<int>(d);
    if (count[(entries[0] >> shift) & 0xffu] == n) continue;
    std::uint32_t position = 0;
    for (auto& c : count) position += std::exchange(c, position);
    for (std::size_t i = 0; i < n; ++i) scratch[count[(entries[i] >> shift) & 0xffu]++] = entries[i];
    std::swap(entries, scratch);
  }
  return entries;
}

// Columns are gathered a block at a time (16 floats of a row are one cache line), sorted where
// they lie contiguously, and put back a block at a time. Sorting row indices through the sinogram
// in place, a row apart in memory for every comparison, took vo-sort 196 ms a 2048 × 1800 slice,
// std::sort of contiguous (value, row) pairs 120 ms, most of it in the sort, whose comparisons
// of noisy values mispredict about half their branches; a radix sort has no such branches
// (bench/RESULTS.md has the figures).
SortedColumns sort_columns(SinogramView sinogram) {
  const auto rows = static_cast<std::size_t>(sinogram.projections), columns = static_cast<std::size_t>(sinogram.columns);
  SortedColumns result{sinogram.projections, sinogram.columns, std::vector<float>(rows * columns),
                       std::vector<std::int32_t>(rows * columns)};
  constexpr std::size_t kBlock = 16;
  std::vector<std::uint64_t> block(kBlock * rows), scratch(rows);
  std::array<const std::uint64_t*, kBlock> sorted_block{};
  for (std::size_t first = 0; first < columns; first += kBlock) {
    const std::size_t count = std::min(kBlock, columns - first);
    for (std::size_t k = 0; k < rows; ++k) {
      const float* row = sinogram.row(static_cast<int>(k)) + first;
      for (std::size_t b = 0; b < count; ++b) block[b * rows + k] = std::uint64_t{sort_key(row[b])} << 32 | k;
    }
    for (std::size_t b = 0; b < count; ++b) {
      std::uint64_t* entries = block.data() + b * rows;
      const std::uint64_t* sorted = radix_sort_by_key(entries, scratch.data(), rows);
      if (sorted != entries) std::copy_n(sorted, rows, entries);
      sorted_block[b] = entries;
    }
    for (std::size_t k = 0; k < rows; ++k)
      for (std::size_t b = 0; b < count; ++b) {
        const std::uint64_t entry = sorted_block[b][k];
        result.sorted[k * columns + first + b] = key_value(static_cast<std::uint32_t>(entry >> 32));
        result.order[k * columns + first + b] = static_cast<std::int32_t>(entry & 0xffffffffu);
      }
  }
  return result;
}

// Each row of a rows × columns image median-filtered across `size` columns (algotom uses
// scipy's default boundary, the mirror).
std::vector<float> median_across(const std::vector<float>& image, int rows, int columns, int size) {
  std::vector<float> out(image.size());
  median_filter_rows(image.data(), static_cast<std::size_t>(rows), static_cast<std::size_t>(columns), size,
                     Boundary::mirror, out.data());
  return out;
}

// One value per slot, kept in order: the smallest, the next and the largest are at hand, and a
// slot whose value changes slides to its new place (a few places, as the values move little).
class SlotOrder {
 public:
  SlotOrder(std::size_t slots, float initial) : entries_(slots), position_(slots) {
    for (std::size_t s = 0; s < slots; ++s) entries_[s] = {initial, s}, position_[s] = s;
  }

  void set(std::size_t slot, float value) {
    std::size_t p = position_[slot];
    while (p + 1 < entries_.size() && entries_[p + 1].value < value) move(p + 1, p), ++p;
    while (p > 0 && entries_[p - 1].value > value) move(p - 1, p), --p;
    entries_[p] = {value, slot};
    position_[slot] = p;
  }

  // The i-th smallest value (from 0) and its slot.
  float value(std::size_t i) const { return entries_[i].value; }
  std::size_t slot(std::size_t i) const { return entries_[i].slot; }

 private:
  void move(std::size_t from, std::size_t to) {
    entries_[to] = entries_[from];
    position_[entries_[to].slot] = to;
  }

  struct Entry {
    float value;
    std::size_t slot;
  };
  std::vector<Entry> entries_;
  std::vector<std::size_t> position_;  // of each slot in entries_
};

// The runs of a size × size window over a sorted image: one per column, each in order, each cut
// in two. The values before a run's cut count as "below"; the cuts are kept so that every value
// below is at most every value above. Then with `rank` values below, the largest of them is the
// rank-th smallest of the window.
class WindowRuns {
 public:
  explicit WindowRuns(std::size_t size)
      : size_(size), first_(size), stride_(size), cut_(size), below_(size, -kInf), above_(size, kInf) {}

  // Puts a run of `size` ordered values, `stride` apart from `first`, in slot s, cut where its
  // values stop being below `threshold` (the cuts stay consistent when `threshold` lies between
  // the values below and above of the other runs, as the last median does).
  void replace(std::size_t s, const float* first, std::size_t stride, float threshold) {
    count_ -= cut_[s];
    first_[s] = first, stride_[s] = stride;
    set_cut(s, first_not_below(s, 0, size_, threshold));
    count_ += cut_[s];
  }

  // Moves values across the cuts (the smallest above, or the largest below) until `rank` values
  // are below; returns the largest of those, the window's rank-th smallest value. A run's values
  // up to the next run's nearest value move together: where the window's columns differ more
  // than their values spread (a sorted image of an object), the median moves a whole run a step
  // and one binary search does it.
  float select(std::size_t rank) {
    while (count_ < rank) {
      const std::size_t s = above_.slot(0);
      const float next = above_.value(1);
      const std::size_t cut = std::min(first_above(s, cut_[s], size_, next), cut_[s] + (rank - count_));
      count_ += cut - cut_[s];
      set_cut(s, cut);
    }
    while (count_ > rank) {
      const std::size_t s = below_.slot(size_ - 1);
      const float next = below_.value(size_ - 2);
      const std::size_t cut = std::max(first_not_below(s, 0, cut_[s], next), cut_[s] - std::min(cut_[s], count_ - rank));
      count_ -= cut_[s] - cut;
      set_cut(s, cut);
    }
    return below_.value(size_ - 1);
  }

 private:
  static constexpr float kInf = std::numeric_limits<float>::infinity();

  float value(std::size_t s, std::size_t i) const { return first_[s][i * stride_[s]]; }

  // The first position in [low, high) of run s whose value is not below (above) `threshold`.
  std::size_t first_not_below(std::size_t s, std::size_t low, std::size_t high, float threshold) const {
    while (low < high) {
      const std::size_t middle = (low + high) / 2;
      if (value(s, middle) < threshold) low = middle + 1;
      else high = middle;
    }
    return low;
  }
  std::size_t first_above(std::size_t s, std::size_t low, std::size_t high, float threshold) const {
    while (low < high) {
      const std::size_t middle = (low + high) / 2;
      if (value(s, middle) <= threshold) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  void set_cut(std::size_t s, std::size_t cut) {
    cut_[s] = cut;
    below_.set(s, cut > 0 ? value(s, cut - 1) : -kInf);
    above_.set(s, cut < size_ ? value(s, cut) : kInf);
  }

  std::size_t size_, count_ = 0;  // size_ ≥ 3, a median window
  std::vector<const float*> first_;
  std::vector<std::size_t> stride_, cut_;
  SlotOrder below_, above_;  // each run's largest value below its cut, and smallest above
};

// The median over size × size pixels (algotom's dim = 2; scipy's median_filter, mirrored at the
// edges) of an image whose columns each rise from top to bottom, as a sorted image's do. The
// window is then `size` runs already in order, and moving it one column on takes one run out
// and puts one in: cut where the last median lies, a few single values moved across the cuts
// find the new one (WindowRuns) — tens of operations per pixel, where sorting or selecting the
// whole window would take size² or more. Still, its branches go either way at random: about 20
// times the cost of the median across (one thread, 2048 × 1800, size 21: 1.1 s against 60 ms).
std::vector<float> median_square_of_sorted(const std::vector<float>& image, int rows, int columns, int size) {
  const auto width = static_cast<std::size_t>(columns), height = static_cast<std::size_t>(rows);
  const auto n = static_cast<std::size_t>(size);
  const std::ptrdiff_t half = size / 2;
  const std::size_t rank = n * n / 2 + 1;  // the median's rank, counting from 1 (n² is odd)
  std::vector<float> out(image.size()), edge_runs;
  WindowRuns runs(n);
  for (std::size_t k = 0; k < height; ++k) {
    const auto top = static_cast<std::ptrdiff_t>(k) - half;
    // Near the top and bottom the mirrored rows of a column are not in order: sort them apart.
    const bool at_edge = top < 0 || top + size > rows;
    if (at_edge) {
      edge_runs.resize(width * n);
      for (std::size_t j = 0; j < width; ++j) {
        float* run = edge_runs.data() + j * n;
        for (std::size_t i = 0; i < n; ++i)
          run[i] = image[boundary_index(top + static_cast<std::ptrdiff_t>(i), height, Boundary::mirror) * width + j];
        std::sort(run, run + n);
      }
    }
    const auto put = [&](std::size_t slot, std::ptrdiff_t column, float threshold) {
      const std::size_t j = boundary_index(column, width, Boundary::mirror);
      if (at_edge) runs.replace(slot, edge_runs.data() + j * n, 1, threshold);
      else runs.replace(slot, image.data() + static_cast<std::size_t>(top) * width + j, width, threshold);
    };
    // The first window from empty cuts (nothing below), each next one from the last median.
    for (std::size_t s = 0; s < n; ++s) put(s, static_cast<std::ptrdiff_t>(s) - half, -std::numeric_limits<float>::infinity());
    float* row = out.data() + k * width;
    row[0] = runs.select(rank);
    for (std::size_t c = 1; c < width; ++c) {
      put((c - 1) % n, static_cast<std::ptrdiff_t>(c) + half, row[c - 1]);  // the run leaving is in that slot
      row[c] = runs.select(rank);
    }
  }
  return out;
}

// Puts each column's filtered sorted values back in the rows they were sorted from. A block of
// 16 columns at a time: its writes, to rows in no order, then stay within one cache line of each
// row (1800 lines), where writing whole sorted rows at once touched a line per value.
void unsort(SinogramView sinogram, const SortedColumns& sorted, const std::vector<float>& values) {
  constexpr std::size_t kBlock = 16;
  const auto columns = static_cast<std::size_t>(sinogram.columns);
  for (std::size_t first = 0; first < columns; first += kBlock) {
    const std::size_t count = std::min(kBlock, columns - first);
    for (int k = 0; k < sinogram.projections; ++k)
      for (std::size_t c = first; c < first + count; ++c)
        sinogram.row(sorted.order[sorted.at(k, c)])[c] = values[sorted.at(k, c)];
  }
}

// Widens every detected stripe by one column each side: a stripe's edge columns are partly
// defective too (algotom's binary_dilation, one iteration).
std::vector<bool> dilate(const std::vector<bool>& mask) {
  std::vector<bool> out(mask.size());
  for (std::size_t c = 0; c < mask.size(); ++c)
    out[c] = vo_dilated(mask, mask.size(), c);
  return out;
}

// Vo's sorting step on a sinogram already sorted: the sorted image median-filtered, across
// (dim 1) or over a square (dim 2), put back in the rows it came from.
void sorting_step(SinogramView sinogram, const SortedColumns& sorted, int size, int dim) {
  if (dim != 1 && dim != 2) fail("Vo's sorting filter: dimension {} is not 1 or 2", dim);
  unsort(sinogram, sorted,
         dim == 2 ? median_square_of_sorted(sorted.sorted, sinogram.projections, sinogram.columns, size)
                  : median_across(sorted.sorted, sinogram.projections, sinogram.columns, size));
}

// Vo's large-stripe step on a sinogram already sorted (see vo_large_stripe_filter). Leaves
// `sorted` as sorting the changed sinogram would make it, so that a sorting step after it need
// not sort again: dividing a column by its (positive) ratio keeps its order, and the repaired
// columns take values that rise with the sorted row (a median of values that each rise does).
void large_stripe_step(SinogramView sinogram, SortedColumns& sorted, double snr, int size, double drop_ratio);

}  // namespace

void vo_sorting_filter(SinogramView sinogram, int size, int dim) { sorting_step(sinogram, sort_columns(sinogram), size, dim); }

// Low-pass along the angle by a Gaussian of σ frequency bins of the padded column (algotom's
// separate_frequency_component); the column is mirrored by up to 150 rows (10 %) at each end so
// that the transform does not wrap its last rows onto its first.
VoFilteringFilter::VoFilteringFilter(int projections, int columns, double sigma, int size, int dim)
    : projections_(projections), columns_(columns), pad_(vo_filter_padding(projections)), size_(size), dim_(dim) {
  const int rows = projections + 2 * pad_;
  low_pass_ = std::make_unique<ColumnFourierFilter>(rows, columns, vo_low_pass_gains(rows, sigma));
}

VoFilteringFilter::~VoFilteringFilter() = default;

void VoFilteringFilter::apply(SinogramView sinogram) const {
  const auto columns = static_cast<std::size_t>(columns_);
  std::vector<float> padded(static_cast<std::size_t>(low_pass_->rows()) * columns);
  for (int i = 0; i < low_pass_->rows(); ++i) {
    const auto source = boundary_index(i - pad_, static_cast<std::size_t>(projections_), Boundary::mirror);
    std::copy_n(sinogram.row(static_cast<int>(source)), columns, padded.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * columns));
  }
  low_pass_->apply(padded);
  // The stripe is in the smooth part (it does not change with angle); the sharp part, the
  // sinogram less its low-pass, is the object's detail and passes untouched.
  std::vector<float> smooth(padded.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(pad_) * columns),
                            padded.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(pad_ + projections_) * columns));
  std::vector<float> sharp(sinogram.values, sinogram.values + sinogram.size());
  for (std::size_t i = 0; i < sharp.size(); ++i) sharp[i] -= smooth[i];
  vo_sorting_filter({smooth.data(), projections_, columns_}, size_, dim_);
  for (std::size_t i = 0; i < sharp.size(); ++i) sinogram.values[i] = smooth[i] + sharp[i];
}

std::vector<bool> vo_detect_stripes(std::span<const float> ratio, double snr) {
  const std::size_t n = ratio.size();
  std::vector<bool> mask(n, false);
  std::vector<float> sorted(ratio.begin(), ratio.end());
  std::sort(sorted.begin(), sorted.end());
  // Straight line through the middle half of the sorted values (algotom fits indices
  // [n/4, n − n/4 − 1)): its rise over the whole range is the spread of ordinary columns.
  const std::size_t drop = n / 4;
  if (n < 2 * drop + 3) return mask;  // too few columns to tell a stripe from the rest
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const std::size_t first = drop, end = n - drop - 1;
  for (std::size_t i = first; i < end; ++i) {
    const double x = static_cast<double>(i), y = sorted[i];
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double count = static_cast<double>(end - first);
  const double slope = (count * sxy - sx * sy) / (count * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / count;
  const double y_end = intercept + slope * static_cast<double>(n - 1);
  const double noise = std::max(std::abs(y_end - intercept), 1e-6);
  if (std::abs(sorted.back() - y_end) / noise >= snr) {
    const double upper = y_end + 0.5 * snr * noise;
    for (std::size_t c = 0; c < n; ++c) mask[c] = mask[c] || ratio[c] > upper;
  }
  if (std::abs(intercept - sorted.front()) / noise >= snr) {
    const double lower = intercept - 0.5 * snr * noise;
    for (std::size_t c = 0; c < n; ++c) mask[c] = mask[c] || ratio[c] <= lower;
  }
  return mask;
}

namespace {

void large_stripe_step(SinogramView sinogram, SortedColumns& sorted, double snr, int size, double drop_ratio) {
  const int rows = sinogram.projections;
  const auto columns = static_cast<std::size_t>(sinogram.columns);
  const auto smooth = median_across(sorted.sorted, rows, sinogram.columns, size);
  // A wide stripe is a gain (or offset) error of a group of pixels: the ratio of a column's
  // mean to its neighbours' median, over the sorted rows bar the extremes (zingers, edges).
  int kept_first = 0, kept_end = 0;
  vo_kept_rows(rows, drop_ratio, &kept_first, &kept_end);
  // stripe_filter_math.hpp's vo_column_gain for every column (the GPU's definition): the same
  // sums in double in the same order, bit for bit, but a sorted row at a time: a column at a
  // time reads a row apart per value, which took vo-large 46 → 78 ms (one thread, 2048 × 1800).
  std::vector<double> own(columns, 0.0), neighbours(columns, 0.0);
  for (int k = kept_first; k < kept_end; ++k)
    for (std::size_t c = 0; c < columns; ++c) {
      own[c] += sorted.sorted[sorted.at(k, c)];
      neighbours[c] += smooth[sorted.at(k, c)];
    }
  std::vector<float> ratio(columns, 1.0f);
  // Ratios of means at or below zero (air, noise) are no gain (algotom only avoids dividing by zero).
  for (std::size_t c = 0; c < columns; ++c)
    if (own[c] > 0 && neighbours[c] > 0) ratio[c] = static_cast<float>(own[c] / neighbours[c]);
  const auto stripes = dilate(vo_detect_stripes(ratio, snr));
  for (int p = 0; p < rows; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < columns; ++c) row[c] /= ratio[c];
  }
  for (int k = 0; k < rows; ++k) {
    float* values = sorted.sorted.data() + sorted.at(k, 0);
    for (std::size_t c = 0; c < columns; ++c) values[c] /= ratio[c];
  }
  // The detected columns take their neighbours' sorted median, put back in their own order (a
  // sorted row at a time: a column at a time reads a row apart per value).
  std::vector<std::size_t> stripe_columns;
  for (std::size_t c = 0; c < columns; ++c)
    if (stripes[c]) stripe_columns.push_back(c);
  for (int k = 0; k < rows; ++k)
    for (const std::size_t c : stripe_columns) {
      const std::size_t i = sorted.at(k, c);
      sinogram.row(sorted.order[i])[c] = sorted.sorted[i] = smooth[i];
    }
  // Both changes can make values equal that were not (a division rounds, a median repeats a
  // value); a fresh sort would put those in row order. Restoring it keeps the result of a later
  // sorting step bit for bit what sorting again would give (an insertion sort, of ties only).
  for (int k = 0; k + 1 < rows; ++k) {
    const float* values = sorted.sorted.data() + sorted.at(k, 0);
    const float* next = values + columns;
    bool tied = false;
    for (std::size_t c = 0; c < columns; ++c) tied |= values[c] == next[c];
    if (!tied) continue;
    for (std::size_t c = 0; c < columns; ++c)
      for (int j = k; j >= 0 && sorted.sorted[sorted.at(j, c)] == sorted.sorted[sorted.at(j + 1, c)] &&
                      sorted.order[sorted.at(j, c)] > sorted.order[sorted.at(j + 1, c)];
           --j)
        std::swap(sorted.order[sorted.at(j, c)], sorted.order[sorted.at(j + 1, c)]);
  }
}

}  // namespace

void vo_large_stripe_filter(SinogramView sinogram, double snr, int size, double drop_ratio) {
  auto sorted = sort_columns(sinogram);
  large_stripe_step(sinogram, sorted, snr, size, drop_ratio);
}

void vo_all_filter(SinogramView sinogram, double snr, int large_size, int small_size, int dim) {
  vo_dead_stripe_filter(sinogram, snr, large_size, false);
  auto sorted = sort_columns(sinogram);
  large_stripe_step(sinogram, sorted, snr, large_size, kVoLargeDropRatio);
  sorting_step(sinogram, sorted, small_size, dim);
}

std::vector<bool> vo_dead_columns(std::span<const double> roughness, double snr, int size) {
  const std::size_t columns = roughness.size();
  std::vector<float> own(columns), background(columns), ratio(columns, 1.0f);
  for (std::size_t c = 0; c < columns; ++c) own[c] = static_cast<float>(roughness[c]);
  median_filter(own, size, Boundary::mirror, background);
  // Where the neighbours are perfectly smooth (no object), compare with the average roughness.
  double mean_background = 0;
  for (const float b : background) mean_background += std::abs(b);
  mean_background /= static_cast<double>(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    const double reference = background[c] != 0 ? background[c] : mean_background;
    if (reference != 0) ratio[c] = static_cast<float>(own[c] / reference);
  }
  auto dead = dilate(vo_detect_stripes(ratio, snr));
  // The two columns at each edge have no neighbour on one side to interpolate from.
  for (std::size_t c = 0; c < std::min<std::size_t>(2, columns); ++c) dead[c] = dead[columns - 1 - c] = false;
  // A third of the detector "dead" is a detection gone wrong, not a detector (algotom's guard).
  if (static_cast<std::size_t>(std::count(dead.begin(), dead.end(), true)) * 3 >= columns) dead.assign(columns, false);
  return dead;
}

void vo_dead_stripe_filter(SinogramView sinogram, double snr, int size, bool residual) {
  const int rows = sinogram.projections;
  const auto columns = static_cast<std::size_t>(sinogram.columns);
  // A dead pixel reads the same at every angle, a flickering one jumps about: either way its
  // column's roughness along the angle, Σ |value − its running mean over kVoRoughnessWindow
  // angles|, stands out from its neighbours' (too low or too high), which follow the object.
  // stripe_filter_math.hpp's vo_column_roughness for every column (the GPU's definition): the
  // same operations in the same order, bit for bit, but row by row, every column at once: a
  // column at a time reads a row apart per value, which took vo-dead 48 → 100 ms (one thread).
  constexpr int half = kVoRoughnessWindow / 2;
  std::vector<double> roughness(columns, 0.0), window_sum(columns, 0.0);
  const auto mirrored_row = [&](int p) {
    return sinogram.row(static_cast<int>(boundary_index(p, static_cast<std::size_t>(rows), Boundary::mirror)));
  };
  for (int k = -half; k <= half; ++k) {
    const float* row = mirrored_row(k);
    for (std::size_t c = 0; c < columns; ++c) window_sum[c] += row[c];
  }
  for (int p = 0; p < rows; ++p) {
    const float *row = sinogram.row(p), *leaving = mirrored_row(p - half), *entering = mirrored_row(p + half + 1);
    for (std::size_t c = 0; c < columns; ++c) {
      roughness[c] += std::abs(row[c] - window_sum[c] / kVoRoughnessWindow);
      window_sum[c] += entering[c] - leaving[c];
    }
  }
  const auto dead = vo_dead_columns(roughness, snr, size);
  for (std::size_t c = 0; c < columns;) {
    if (!dead[c]) { ++c; continue; }
    std::size_t end = c;
    while (end < columns && dead[end]) ++end;
    const std::size_t left = c - 1, right = end;  // good columns either side (edges are good)
    for (int p = 0; p < rows; ++p) {
      float* row = sinogram.row(p);
      for (std::size_t j = c; j < end; ++j) row[j] = vo_interpolated(row[left], row[right], j - left, right - left);
    }
    c = end;
  }
  if (residual) vo_large_stripe_filter(sinogram, snr, size);
}

}  // namespace tomo
