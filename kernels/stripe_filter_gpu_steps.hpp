#pragma once
// The per-thread steps of the CUDA stripe filters (kernels/ring_removal.cu,
// kernels/stripe_filters_stp.cu, kernels/stripe_filters_vo.cu), one call per CUDA thread or, for
// the medians, per warp. They are here, compiled for the host too, so that
// tests/test_ring_removal_gpu_steps.cpp runs exactly these steps on the CPU (FFTW in place of
// cuFFT, std::stable_sort in place of CUB's segmented sort) and checks them against the CPU
// filters: the CUDA files only allocate, launch and copy. The arithmetic the GPU shares with the
// CPU filters is in stripe_filter_math.hpp.
//
// Where the GPU is organised differently from the CPU:
// - running medians select by radix (RadixSelection), a warp per output, instead of sliding a
//   sorted window: no storage per window, so any width (10001 and more) works; DIM 2's square
//   median of a sorted image selects so too, from all SIZE² values, where the CPU moves cuts
//   through the window's already sorted runs;
// - Vo's sorts are CUB's stable segmented sort of each column copied contiguous, so sorted
//   columns are laid out (slice, column, rank) and the medians across read them P values apart;
// - the wavelet and column transforms read their lines with strides instead of copying them out;
// - Sijbers & Postnov's window statistics are slid along each row by one thread (the CPU slides
//   all rows together, window by window) and stored per window for the median steps;
// - vo-fit's column statistics are summed down each column by one thread (the CPU sums all
//   columns together, row by row: the same sums in the same order).
//
// Layouts: sinograms (slice, projection, column) as everywhere; complex spectra as (re, im) float
// pairs, as cuFFT and FFTW store them. "i over (a, b, c)" means i = (a · B + b) · C + c.
#include <math.h>
#include <string.h>

#include <cstddef>

#include "kernels/boundary.hpp"
#include "kernels/host_device.hpp"
#include "kernels/stripe_filter_math.hpp"

namespace tomo {

// ---------------------------------------------------------------------------------------------
// Selection by radix

// The float's bits as an unsigned that sorts the same way (negative values reversed, below the
// positive ones); −0 counts as +0, as comparisons and CUB's sort have it.
TOMO_HD inline unsigned ordered_key(float value) {
  unsigned bits = 0;
#if defined(__CUDA_ARCH__)
  bits = __float_as_uint(value);
#else
  memcpy(&bits, &value, sizeof bits);
#endif
  if (bits == 0x80000000u) bits = 0;
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

TOMO_HD inline float key_value(unsigned key) {
  const unsigned bits = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float value = 0;
  memcpy(&value, &bits, sizeof value);
  return value;
#endif
}

// Finds the value of rank `rank` (0 = smallest) among `count` floats one bit at a time, most
// significant first: in each of 32 rounds every lane counts, among its share of the values
// (j = lane, lane + lanes, …), those that agree with the bits chosen so far and have a 0 at this
// bit; the sum over the lanes says on which side the rank lies. It keeps nothing but three words,
// so a warp can select from a window of any width; the cost is 32 reads of each value, shared
// among the lanes. The result is exact: the same value as sorting the window.
class RadixSelection {
 public:
  TOMO_HD explicit RadixSelection(unsigned rank) : rank_(rank) {}
  TOMO_HD bool done() const { return bit_ < 0; }

  // This lane's count for the current bit; `values[j]` for j in [0, count).
  template <class Values>
  TOMO_HD unsigned count_zeros(const Values& values, int count, int lane, int lanes) const {
    const unsigned bit = 1u << bit_;
    unsigned zeros = 0;
    for (int j = lane; j < count; j += lanes) {
      const unsigned key = ordered_key(values[j]);
      if ((key & mask_) == prefix_ && (key & bit) == 0) ++zeros;
    }
    return zeros;
  }

  // Moves to the next bit, given the lanes' counts summed.
  TOMO_HD void advance(unsigned zeros) {
    const unsigned bit = 1u << bit_;
    if (rank_ >= zeros) rank_ -= zeros, prefix_ |= bit;
    mask_ |= bit;
    --bit_;
  }

  TOMO_HD float value() const { return key_value(prefix_); }

 private:
  unsigned rank_;
  unsigned prefix_ = 0, mask_ = 0;
  int bit_ = 31;
};

// The median of `count` values from the selections of ranks count / 2 (`upper`) and, for an even
// count, count / 2 − 1 (`lower`): as median_of (median_filter.hpp), the mean of the two middle
// values for an even count.
TOMO_HD inline float median_from_middle(float upper, float lower, int count) {
  return count % 2 != 0 ? upper : 0.5f * (upper + lower);
}

// ---------------------------------------------------------------------------------------------
// Running medians along lines of a stack of images

// Where the lines of a stack lie: sample s of line l (counted over all slices) is at at(l, s).
struct LineLayout {
  std::size_t slice_stride;   // values between slices
  std::size_t line_stride;    // between neighbouring lines of a slice
  std::size_t sample_stride;  // between neighbouring samples of a line
  int lines;                  // per slice
  int length;                 // samples per line
  TOMO_HD std::size_t at(std::size_t line, std::size_t sample) const {
    const std::size_t per_slice = static_cast<std::size_t>(lines);
    return (line / per_slice) * slice_stride + (line % per_slice) * line_stride + sample * sample_stride;
  }
};

// The rows of sinograms (across the detector) and their columns (down the angles).
TOMO_HD inline LineLayout sinogram_rows(int projections, int columns) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  return {p * c, c, 1, projections, columns};
}
TOMO_HD inline LineLayout sinogram_columns(int projections, int columns) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  return {p * c, 1, c, columns, projections};
}
// Sorted columns (slice, column, rank) read across the columns at each rank.
TOMO_HD inline LineLayout sorted_rows(int projections, int columns) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  return {p * c, 1, p, projections, columns};
}

// The window of one output of a running median: `width` samples centred on it (an even width acts
// as width + 1, as in median_filter), read past the line's ends as `boundary` says.
struct MedianWindow {
  const float* in;
  LineLayout layout;
  std::size_t line;
  std::ptrdiff_t first;  // position of sample 0 of the window on the line
  int size;
  Boundary boundary;
  TOMO_HD float operator[](int j) const {
    return in[layout.at(line, boundary_index(first + j, static_cast<std::size_t>(layout.length), boundary))];
  }
};

// Output `output` over (line, sample) of a running median of `width` over each line of `in`.
TOMO_HD inline MedianWindow running_median_window(const float* in, LineLayout layout, int width, Boundary boundary,
                                                  std::size_t output) {
  const auto length = static_cast<std::size_t>(layout.length);
  const int half = width / 2;
  return {in, layout, output / length, static_cast<std::ptrdiff_t>(output % length) - half, 2 * half + 1, boundary};
}

// What the median of an output's window becomes, at the output's place in `in` and `out`.
enum class MedianUse {
  store,      // out = median
  high_pass,  // out = in − median (Oimoen's horizontal high-pass)
  subtract,   // out −= median (Oimoen's stripe, subtracted)
};

TOMO_HD inline void use_median(const MedianWindow& window, float* out, MedianUse use, float median) {
  const std::size_t at = window.layout.at(window.line, static_cast<std::size_t>(window.first + window.size / 2));
  if (use == MedianUse::store) out[at] = median;
  else if (use == MedianUse::high_pass) out[at] = window.in[at] - median;
  else out[at] -= median;
}

// ---------------------------------------------------------------------------------------------
// Column profiles (Rivers, Boin & Haibel, Sijbers & Postnov)

// The column of value i of (slice, projection, column) sinograms, over (slice, column).
TOMO_HD inline std::size_t profile_index(std::size_t i, int projections, int columns) {
  const auto c = static_cast<std::size_t>(columns);
  return (i / (static_cast<std::size_t>(projections) * c)) * c + i % c;
}

// i over (slice, column): the column's sum over the angles, in double and in the CPU's order.
TOMO_HD inline double column_sum_step(const float* sinograms, int projections, int columns, std::size_t i) {
  const auto c = static_cast<std::size_t>(columns);
  const float* column = sinograms + (i / c) * static_cast<std::size_t>(projections) * c + i % c;
  double sum = 0;
  for (int p = 0; p < projections; ++p) sum += column[static_cast<std::size_t>(p) * c];
  return sum;
}

// i over (slice, projection, column): the value less (or times) its column's entry of `profile`
// (slice, column).
TOMO_HD inline void subtract_column_profile_step(float* sinograms, const float* profile, int projections, int columns,
                                                 std::size_t i) {
  sinograms[i] -= profile[profile_index(i, projections, columns)];
}
TOMO_HD inline void scale_by_column_profile_step(float* sinograms, const float* profile, int projections, int columns,
                                                 std::size_t i) {
  sinograms[i] *= profile[profile_index(i, projections, columns)];
}

// ---------------------------------------------------------------------------------------------
// Sijbers & Postnov: a window of `width` columns at every start 0 .. columns − width

struct SijbersBuffers {
  float* sinograms;
  int projections, columns;
  int width;                   // the window, at most the row
  double threshold;            // variance, line integral²
  unsigned char* homogeneous;  // (slice, start, projection)
  double* mean;                // (slice, start, projection)
  int* rows;                   // (slice, start, n): the homogeneous rows of each start in order, `found` of them
  int* found;                  // (slice, start)
  float* median;               // (slice, start, k): the median of sample k of those rows' segments
  float* stripe;               // (slice, column)
  TOMO_HD int starts() const { return columns - width + 1; }
};

// i over (slice, projection): the row's window slid across, each start's homogeneity and mean
// recorded (the CPU's WindowMoments, slid in the same order).
TOMO_HD inline void sijbers_row_step(const SijbersBuffers& b, std::size_t i) {
  const auto projections = static_cast<std::size_t>(b.projections), starts = static_cast<std::size_t>(b.starts());
  const std::size_t slice = i / projections, p = i % projections;
  const float* row = b.sinograms + i * static_cast<std::size_t>(b.columns);
  WindowMoments moments;
  for (int c = 0; c < b.width; ++c) moments.add(row[c]);
  for (std::size_t start = 0; start < starts; ++start) {
    const std::size_t at = (slice * starts + start) * projections + p;
    b.homogeneous[at] = moments.homogeneous(b.width, b.threshold) ? 1 : 0;
    b.mean[at] = moments.mean(b.width);
    if (start + 1 < starts) moments.slide(row[start], row[start + static_cast<std::size_t>(b.width)]);
  }
}

// i over (slice, start): the start's homogeneous rows, listed in order.
TOMO_HD inline void sijbers_compact_step(const SijbersBuffers& b, std::size_t i) {
  const auto projections = static_cast<std::size_t>(b.projections);
  int found = 0;
  for (std::size_t p = 0; p < projections; ++p)
    if (b.homogeneous[i * projections + p]) b.rows[i * projections + static_cast<std::size_t>(found++)] = static_cast<int>(p);
  b.found[i] = found;
}

// The values of one median: sample k of each homogeneous row's segment less the segment's mean.
struct SijbersSamples {
  const float* sinogram;  // the slice
  const int* rows;        // the start's homogeneous rows
  const double* mean;     // the start's means, per projection
  std::size_t column;     // start + k
  std::size_t columns;
  TOMO_HD float operator[](int j) const {
    const auto p = static_cast<std::size_t>(rows[j]);
    return static_cast<float>(sinogram[p * columns + column] - mean[p]);
  }
};

// Output `output` over (slice, start, k): its values (count: how many) and where it goes.
TOMO_HD inline SijbersSamples sijbers_samples(const SijbersBuffers& b, std::size_t output, int* count) {
  const auto width = static_cast<std::size_t>(b.width), starts = static_cast<std::size_t>(b.starts());
  const auto projections = static_cast<std::size_t>(b.projections), columns = static_cast<std::size_t>(b.columns);
  const std::size_t window = output / width, k = output % width, slice = window / starts, start = window % starts;
  *count = b.found[window];
  return {b.sinograms + slice * projections * columns, b.rows + window * projections, b.mean + window * projections,
          start + k, columns};
}

// i over (slice, column): the column's stripe, the medians of every window covering it averaged,
// weighted by the rows each found, summed over the starts in increasing order as on the CPU.
TOMO_HD inline void sijbers_stripe_step(const SijbersBuffers& b, std::size_t i) {
  const auto columns = static_cast<std::size_t>(b.columns);
  const int starts = b.starts(), c = static_cast<int>(i % columns);
  const std::size_t slice = i / columns;
  const int first = c - b.width + 1 > 0 ? c - b.width + 1 : 0, last = c < starts - 1 ? c : starts - 1;
  double sum = 0, weight = 0;
  for (int start = first; start <= last; ++start) {
    const std::size_t window = slice * static_cast<std::size_t>(starts) + static_cast<std::size_t>(start);
    const int found = b.found[window];
    if (found == 0) continue;
    sum += static_cast<double>(found) * b.median[window * static_cast<std::size_t>(b.width) + static_cast<std::size_t>(c - start)];
    weight += static_cast<double>(found);
  }
  b.stripe[i] = weight > 0 ? static_cast<float>(sum / weight) : 0.0f;  // v − 0 is v: no window, no change
}

// ---------------------------------------------------------------------------------------------
// Raven: the padded sinograms (slice, padded row, padded column), their 2-D spectra (slice,
// padded row, bin)

struct RavenBuffers {
  float* sinograms;
  float* padded;
  float* spectrum;
  const float* row_taper;     // per padded row
  const float* column_taper;  // per padded column
  const float* gains;         // (filtered row, bin)
  const int* filtered_rows;
  int filtered;
  int projections, columns, row_margin, column_margin, padded_rows, padded_columns, bins;
};

// i over (slice, padded row, padded column).
TOMO_HD inline void raven_pad_step(const RavenBuffers& b, std::size_t i) {
  const auto pc = static_cast<std::size_t>(b.padded_columns), per_slice = static_cast<std::size_t>(b.padded_rows) * pc;
  const std::size_t slice = i / per_slice, r = (i % per_slice) / pc, j = i % pc;
  const float* sinogram = b.sinograms + slice * static_cast<std::size_t>(b.projections) * static_cast<std::size_t>(b.columns);
  b.padded[i] = raven_padded_value(sinogram, b.projections, b.columns, b.row_margin, b.column_margin, b.row_taper[r],
                                   b.column_taper[j], static_cast<int>(r), static_cast<int>(j));
}

// i over (slice, filtered row, bin).
TOMO_HD inline void raven_gain_step(const RavenBuffers& b, std::size_t i) {
  const auto bins = static_cast<std::size_t>(b.bins), per_slice = static_cast<std::size_t>(b.filtered) * bins;
  const std::size_t slice = i / per_slice, f = (i % per_slice) / bins, v = i % bins;
  const std::size_t row = slice * static_cast<std::size_t>(b.padded_rows) + static_cast<std::size_t>(b.filtered_rows[f]);
  float* bin = b.spectrum + 2 * (row * bins + v);
  const float gain = b.gains[f * bins + v];
  bin[0] *= gain;
  bin[1] *= gain;
}

// i over (slice, projection, column): the data's part of the inverse transform, normalised.
TOMO_HD inline void raven_crop_step(const RavenBuffers& b, std::size_t i) {
  const auto columns = static_cast<std::size_t>(b.columns), per_slice = static_cast<std::size_t>(b.projections) * columns;
  const std::size_t slice = i / per_slice, p = (i % per_slice) / columns, c = i % columns;
  const auto pc = static_cast<std::size_t>(b.padded_columns);
  const std::size_t row = slice * static_cast<std::size_t>(b.padded_rows) + p + static_cast<std::size_t>(b.row_margin);
  const float normalisation = 1.0f / static_cast<float>(static_cast<double>(b.padded_rows) * b.padded_columns);
  b.sinograms[i] = b.padded[row * pc + static_cast<std::size_t>(b.column_margin) + c] * normalisation;
}

// ---------------------------------------------------------------------------------------------
// Münch et al.: one db5 level of a stack of images (slice, row, column), across the rows into two
// halves (slice, row, band column), then down their columns into four bands (slice, band row,
// band column); the inverse in the opposite order.

struct WaveletBands {
  float* approximation;  // low across, low down: the next level's image
  float* horizontal;     // low across, high down
  float* vertical;       // high across, low down: where the stripes are
  float* diagonal;       // high across, high down
  int rows, columns, band_rows, band_columns;
};

// i over (slice, row, band column k).
TOMO_HD inline void dwt_across_step(const float* image, int columns, float* low, float* high, std::size_t i) {
  const auto bc = static_cast<std::size_t>(dwt_length(columns));
  const std::size_t line = i / bc;
  dwt_coefficients(image + line * static_cast<std::size_t>(columns), columns, 1, static_cast<int>(i % bc), low + i, high + i);
}

// i over (slice, band row k, band column j).
TOMO_HD inline void dwt_down_step(const float* low, const float* high, const WaveletBands& b, std::size_t i) {
  const auto bc = static_cast<std::size_t>(b.band_columns), per_slice = static_cast<std::size_t>(b.band_rows) * bc;
  const std::size_t slice = i / per_slice, k = (i % per_slice) / bc, j = i % bc;
  const std::size_t column = slice * static_cast<std::size_t>(b.rows) * bc + j;
  dwt_coefficients(low + column, b.rows, bc, static_cast<int>(k), b.approximation + i, b.horizontal + i);
  dwt_coefficients(high + column, b.rows, bc, static_cast<int>(k), b.vertical + i, b.diagonal + i);
}

// i over (slice, row, band column j): the halves back from the bands, down each column.
TOMO_HD inline void idwt_down_step(const WaveletBands& b, float* low, float* high, std::size_t i) {
  const auto bc = static_cast<std::size_t>(b.band_columns), per_slice = static_cast<std::size_t>(b.rows) * bc;
  const std::size_t slice = i / per_slice, r = (i % per_slice) / bc, j = i % bc;
  const std::size_t band = slice * static_cast<std::size_t>(b.band_rows) * bc + j;
  low[i] = idwt_sample(b.approximation + band, b.horizontal + band, bc, static_cast<int>(r));
  high[i] = idwt_sample(b.vertical + band, b.diagonal + band, bc, static_cast<int>(r));
}

// i over (slice, row, column): the image back from the halves, across each row.
TOMO_HD inline void idwt_across_step(const float* low, const float* high, int columns, float* image, std::size_t i) {
  const auto c = static_cast<std::size_t>(columns), bc = static_cast<std::size_t>(dwt_length(columns));
  const std::size_t line = i / c;
  image[i] = idwt_sample(low + line * bc, high + line * bc, 1, static_cast<int>(i % c));
}

// i over (slice, bin, column) of column spectra (slice, bin, column): times the bin's gain
// (normalised_column_gains, as ColumnFourierFilter multiplies).
TOMO_HD inline void column_gain_step(float* spectrum, const float* gain, int bins, int columns, std::size_t i) {
  const float g = gain[(i / static_cast<std::size_t>(columns)) % static_cast<std::size_t>(bins)];
  spectrum[2 * i] *= g;
  spectrum[2 * i + 1] *= g;
}

// ---------------------------------------------------------------------------------------------
// Vo et al.: sorted columns (slice, column, rank)

// i over (slice, column, k): the sort's input, each column contiguous, and the rows' numbers.
TOMO_HD inline void vo_gather_columns_step(const float* sinograms, int projections, int columns, float* keys, int* rows,
                                           std::size_t i) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  const std::size_t column = i / p, k = i % p, slice = column / c;
  keys[i] = sinograms[(slice * p + k) * c + column % c];
  rows[i] = static_cast<int>(k);
}

// i over (slice, column, rank): the smoothed sorted value back to the row it came from.
TOMO_HD inline void vo_unsort_step(float* sinograms, const float* smooth, const int* order, int projections, int columns,
                                   std::size_t i) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  const std::size_t column = i / p, slice = column / c;
  sinograms[(slice * p + static_cast<std::size_t>(order[i])) * c + column % c] = smooth[i];
}

// i over (slice, padded row, column): each column mirrored by `pad` rows at both ends.
TOMO_HD inline void vo_pad_columns_step(const float* sinograms, int projections, int columns, int pad, float* padded,
                                        std::size_t i) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  const std::size_t rows = p + 2 * static_cast<std::size_t>(pad);
  const std::size_t slice = i / (rows * c), r = (i / c) % rows;
  const std::size_t source = boundary_index(static_cast<std::ptrdiff_t>(r) - pad, p, Boundary::mirror);
  padded[i] = sinograms[(slice * p + source) * c + i % c];
}

// i over (slice, projection, column): the low-passed value into `smooth`, the sinogram left with
// the rest (the sharp part, which passes untouched).
TOMO_HD inline void vo_split_step(float* sinograms, const float* padded, float* smooth, int projections, int columns,
                                  int pad, std::size_t i) {
  const std::size_t per_slice = static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns);
  const std::size_t slice = i / per_slice;
  const std::size_t padded_slice = per_slice + 2 * static_cast<std::size_t>(pad) * static_cast<std::size_t>(columns);
  const float s = padded[slice * padded_slice + static_cast<std::size_t>(pad) * static_cast<std::size_t>(columns) + i % per_slice];
  smooth[i] = s;
  sinograms[i] -= s;
}

// i: the sorted-filtered smooth part and the sharp part together again.
TOMO_HD inline void vo_join_step(float* sinograms, const float* smooth, std::size_t i) { sinograms[i] = smooth[i] + sinograms[i]; }

// i over (slice, column): the column's gain ratio for vo-large.
TOMO_HD inline void vo_large_ratio_step(const float* sorted, const float* smooth, int projections, int kept_first,
                                        int kept_end, float* ratio, std::size_t i) {
  const std::size_t column = i * static_cast<std::size_t>(projections);
  ratio[i] = vo_column_gain(sorted + column, smooth + column, 1, kept_first, kept_end);
}

// i over (slice, column, rank): the value back in its row, divided by its column's ratio, or,
// in a stripe, the neighbours' sorted median (the CPU divides every value, then replaces the
// stripes' values: the same).
TOMO_HD inline void vo_large_apply_step(float* sinograms, const float* sorted, const float* smooth, const int* order,
                                        const float* ratio, const unsigned char* stripes, int projections, int columns,
                                        std::size_t i) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  const std::size_t column = i / p, slice = column / c;
  sinograms[(slice * p + static_cast<std::size_t>(order[i])) * c + column % c] =
      stripes[column] ? smooth[i] : sorted[i] / ratio[column];
}

// i over (slice, column): the column's roughness along the angle.
TOMO_HD inline void vo_roughness_step(const float* sinograms, int projections, int columns, double* roughness,
                                      std::size_t i) {
  const auto c = static_cast<std::size_t>(columns);
  roughness[i] = vo_column_roughness(sinograms + (i / c) * static_cast<std::size_t>(projections) * c + i % c, projections, c);
}

// i over (slice, projection, column): a dead column's value interpolated from the good columns
// `left` and `right` name for it (slice, column; −1 for a good column). It reads only good
// columns, which no thread writes.
TOMO_HD inline void vo_dead_step(float* sinograms, const int* left, const int* right, int projections, int columns,
                                 std::size_t i) {
  const std::size_t column = profile_index(i, projections, columns);
  if (left[column] < 0) return;
  const auto l = static_cast<std::size_t>(left[column]), r = static_cast<std::size_t>(right[column]);
  const std::size_t c = i % static_cast<std::size_t>(columns);
  float* row = sinograms + (i - c);
  row[c] = vo_interpolated(row[l], row[r], c - l, r - l);
}

// The SIZE × SIZE window of a sorted image (slice, column, rank) about one output, read past the
// image's edges as Boundary::mirror says (DIM 2: algotom's scipy median_filter, its default
// boundary, as median_square_of_sorted on the CPU). Value j is rank top + j % size of column
// left + j / size, so that a warp's lanes read neighbouring ranks, contiguous in memory.
struct SquareWindow {
  const float* sorted;  // the slice's sorted image
  std::size_t projections, columns;
  std::ptrdiff_t top, left;  // the window's first rank and column
  int size;
  TOMO_HD int count() const { return size * size; }  // ≤ 10001², within an int
  TOMO_HD float operator[](int j) const {
    const std::size_t column = boundary_index(left + j / size, columns, Boundary::mirror);
    const std::size_t rank = boundary_index(top + j % size, projections, Boundary::mirror);
    return sorted[column * projections + rank];
  }
};

// Output `output` over (slice, column, rank) of the square median of `size` (odd): its window.
// Its median, the value of rank count() / 2, goes to `output` of a buffer laid out as `sorted`.
TOMO_HD inline SquareWindow vo_square_window(const float* sorted, int projections, int columns, int size,
                                             std::size_t output) {
  const auto p = static_cast<std::size_t>(projections), c = static_cast<std::size_t>(columns);
  const std::size_t column = output / p, slice = column / c;
  const std::ptrdiff_t half = size / 2;
  return {sorted + slice * c * p, p, c, static_cast<std::ptrdiff_t>(output % p) - half,
          static_cast<std::ptrdiff_t>(column % c) - half, size};
}

// ---------------------------------------------------------------------------------------------
// Vo et al.'s fitting method (VoFittingFilter): each column reflected and fitted (slice, column,
// t), each column contiguous as the CPU's FFTW transforms have it and as cuFFT's batched
// transforms take it; the fit padded for its 2-D low-pass (slice, padded row, padded column); the
// spectra (slice, column, bin) and (slice, padded row, bin). Sizes and gains are VoFitTables'.

struct VoFitBuffers {
  float* sinograms;
  float* fit;                       // the reflected columns, then their fit: row p's at t = p + fit_half
  float* fit_spectrum;              // fit_bins complex values per column
  float* mean;                      // (slice, column): each column's mean fit
  float* padded;                    // the padded fit, then its low-pass
  float* spectrum;                  // bins complex values per padded row
  VoFitMagnitudes* magnitudes;      // (slice, column)
  const VoFitRescaling* rescaling;  // per slice, from vo_fit_rescaling on the host
  const float* fit_gains;           // per fit bin
  const float* row_gains;           // per padded row
  const float* column_gains;        // per bin
  int projections, columns, fit_half, fit_rows, fit_bins, pad, padded_rows, padded_columns, bins;
  TOMO_HD const float* fitted_column(std::size_t slice_column) const {
    return fit + slice_column * static_cast<std::size_t>(fit_rows) + static_cast<std::size_t>(fit_half);
  }
  TOMO_HD std::size_t padded_at(std::size_t slice, std::size_t row, std::size_t column) const {
    return (slice * static_cast<std::size_t>(padded_rows) + row) * static_cast<std::size_t>(padded_columns) + column;
  }
};

// i over (slice, column, t): the column reflected without repeating its ends (reflect_index) by
// fit_half rows each side, zero beyond, where the fit's convolution never reaches.
TOMO_HD inline void vo_fit_reflect_step(const VoFitBuffers& b, std::size_t i) {
  const auto length = static_cast<std::size_t>(b.fit_rows), p = static_cast<std::size_t>(b.projections);
  const auto c = static_cast<std::size_t>(b.columns);
  const std::size_t column = i / length, t = i % length, slice = column / c;
  const std::size_t reflected = p + 2 * static_cast<std::size_t>(b.fit_half);
  b.fit[i] = t < reflected
                 ? b.sinograms[(slice * p + reflect_index(static_cast<std::ptrdiff_t>(t) - b.fit_half, p)) * c + column % c]
                 : 0.0f;
}

// i over (slice, column, bin): the column's spectrum times the fit's gain.
TOMO_HD inline void vo_fit_gain_step(const VoFitBuffers& b, std::size_t i) {
  const float g = b.fit_gains[i % static_cast<std::size_t>(b.fit_bins)];
  b.fit_spectrum[2 * i] *= g;
  b.fit_spectrum[2 * i + 1] *= g;
}

// i over (slice, column): the column's mean fit.
TOMO_HD inline void vo_fit_mean_step(const VoFitBuffers& b, std::size_t i) {
  b.mean[i] = vo_fit_column_mean(b.fitted_column(i), 1, b.projections);
}

// i over (slice, padded row, padded column): the fit, its end columns repeated across the pad,
// its columns' means above and below it (and on to the padded length).
TOMO_HD inline void vo_fit_pad_step(const VoFitBuffers& b, std::size_t i) {
  const auto width = static_cast<std::size_t>(b.padded_columns), rows = static_cast<std::size_t>(b.padded_rows);
  const auto c = static_cast<std::size_t>(b.columns), pad = static_cast<std::size_t>(b.pad);
  const std::size_t slice = i / (rows * width), r = (i / width) % rows, j = i % width;
  const std::size_t column = slice * c + boundary_index(static_cast<std::ptrdiff_t>(j) - b.pad, c, Boundary::nearest);
  const bool inside = r >= pad && r < pad + static_cast<std::size_t>(b.projections);
  b.padded[i] = inside ? b.fitted_column(column)[r - pad] : b.mean[column];
}

// i over (slice, padded row u, bin v): the 2-D spectrum times the separable Gaussian, its
// factors multiplied in float as the CPU does.
TOMO_HD inline void vo_fit_low_pass_step(const VoFitBuffers& b, std::size_t i) {
  const auto bins = static_cast<std::size_t>(b.bins);
  const float gain = b.row_gains[(i / bins) % static_cast<std::size_t>(b.padded_rows)] * b.column_gains[i % bins];
  b.spectrum[2 * i] *= gain;
  b.spectrum[2 * i + 1] *= gain;
}

// i over (slice, column): the column's magnitudes, fit and low-pass, for vo_fit_rescaling.
TOMO_HD inline void vo_fit_magnitudes_step(const VoFitBuffers& b, std::size_t i) {
  const auto c = static_cast<std::size_t>(b.columns), pad = static_cast<std::size_t>(b.pad);
  const float* smooth = b.padded + b.padded_at(i / c, pad, pad + i % c);
  b.magnitudes[i] = vo_fit_column_magnitudes(b.fitted_column(i), 1, smooth, static_cast<std::size_t>(b.padded_columns),
                                             b.projections);
}

// i over (slice, projection, column): the value rescaled from its fit to the low-pass.
TOMO_HD inline void vo_fit_rescale_step(const VoFitBuffers& b, std::size_t i) {
  const auto c = static_cast<std::size_t>(b.columns), pad = static_cast<std::size_t>(b.pad);
  const std::size_t per_slice = static_cast<std::size_t>(b.projections) * c;
  const std::size_t slice = i / per_slice, row = (i % per_slice) / c, column = i % c;
  const float trend = b.fitted_column(slice * c + column)[row];
  const float smooth = b.padded[b.padded_at(slice, row + pad, pad + column)];
  b.sinograms[i] = vo_fit_rescaled(b.sinograms[i], trend, smooth, b.rescaling[slice]);
}

}  // namespace tomo
