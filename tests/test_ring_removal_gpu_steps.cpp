// The GPU's ring-removal steps (kernels/stripe_filter_gpu_steps.hpp: what each thread or warp of
// kernels/ring_removal.cu, stripe_filters_stp.cu and stripe_filters_vo.cu runs) executed here on
// the CPU, one call per thread index, in the order the .cu files launch them, with FFTW in place
// of cuFFT and std::stable_sort in place of CUB's stable segmented sort, and with a warp's 32
// lanes summed as __reduce_add_sync sums them. Against the CPU filters (tomo::remove_rings).
// This checks the GPU's indexing, layouts, radix selection and host round trips on a machine
// without a GPU; the launches, copies and cuFFT/CUB calls are left to tests/test_cuda.cpp.
#include <fftw3.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/column_fourier_filter.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/median_filter.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/stripe_filter_gpu_steps.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "test_support.hpp"

namespace {

using tomo::Boundary;
using tomo::LineLayout;
using tomo::MedianUse;
using Values = std::vector<float>;

constexpr int kLanes = 32;

// warp_select (stripe_filters_cuda.cuh): each lane counts its share, the counts are summed.
template <class Samples>
float warp_select(const Samples& samples, int count, unsigned rank) {
  tomo::RadixSelection selection(rank);
  while (!selection.done()) {
    unsigned zeros = 0;
    for (int lane = 0; lane < kLanes; ++lane) zeros += selection.count_zeros(samples, count, lane, kLanes);
    selection.advance(zeros);
  }
  return selection.value();
}

// running_median (ring_removal.cu): a warp per output.
void running_median(const float* in, float* out, LineLayout layout, int slices, int width, Boundary boundary, MedianUse use) {
  const std::size_t outputs = static_cast<std::size_t>(slices) * layout.lines * layout.length;
  for (std::size_t output = 0; output < outputs; ++output) {
    const auto window = tomo::running_median_window(in, layout, width, boundary, output);
    tomo::use_median(window, out, use, warp_select(window, window.size, static_cast<unsigned>(window.size / 2)));
  }
}

// sort_columns (ring_removal.cu): the gathering kernel, then CUB's stable sort of each column.
void sort_columns(const float* sinograms, int slices, int projections, int columns, Values& sorted, std::vector<int>& order) {
  const std::size_t count = static_cast<std::size_t>(slices) * projections * columns;
  Values keys(count);
  std::vector<int> rows(count);
  for (std::size_t i = 0; i < count; ++i) tomo::vo_gather_columns_step(sinograms, projections, columns, keys.data(), rows.data(), i);
  sorted.resize(count), order.resize(count);
  std::vector<std::size_t> index(static_cast<std::size_t>(projections));
  for (std::size_t first = 0; first < count; first += static_cast<std::size_t>(projections)) {
    std::iota(index.begin(), index.end(), first);
    std::stable_sort(index.begin(), index.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    for (std::size_t k = 0; k < index.size(); ++k) sorted[first + k] = keys[index[k]], order[first + k] = rows[index[k]];
  }
}

// cuFFT's real transforms, with FFTW: `count` arrays `real_stride` floats apart, spectra
// `complex_stride` complex values apart, each a rank-1 column transform (stride `columns`) or a
// rank-2 transform.
void transform(float* real, float* spectrum, int count, std::size_t real_stride, std::size_t complex_stride,
               std::vector<int> sizes, int columns, bool forward) {
  auto* complex = reinterpret_cast<fftwf_complex*>(spectrum);
  std::lock_guard lock(tomo::fftw::planner_mutex());
  for (int k = 0; k < count; ++k) {
    float* r = real + static_cast<std::size_t>(k) * real_stride;
    fftwf_complex* c = complex + static_cast<std::size_t>(k) * complex_stride;
    fftwf_plan plan = nullptr;
    const int rank = static_cast<int>(sizes.size()), batch = rank == 1 ? columns : 1, stride = rank == 1 ? columns : 1,
              distance = rank == 1 ? 1 : 0;
    if (forward)
      plan = fftwf_plan_many_dft_r2c(rank, sizes.data(), batch, r, nullptr, stride, distance, c, nullptr, stride, distance,
                                     FFTW_ESTIMATE);
    else
      plan = fftwf_plan_many_dft_c2r(rank, sizes.data(), batch, c, nullptr, stride, distance, r, nullptr, stride, distance,
                                     FFTW_ESTIMATE);
    ASSERT_NE(plan, nullptr);
    fftwf_execute(plan);
    fftwf_destroy_plan(plan);
  }
}

// cuFFT's batched transforms of `batch` contiguous lines of `length` (FftPlan({length}, batch)),
// with FFTW: `count` arrays of lines, `real_stride` floats and `complex_stride` complex values apart.
void line_transform(float* real, float* spectrum, int count, std::size_t real_stride, std::size_t complex_stride,
                    int length, int batch, bool forward) {
  auto* complex = reinterpret_cast<fftwf_complex*>(spectrum);
  const int bins = length / 2 + 1;
  std::lock_guard lock(tomo::fftw::planner_mutex());
  for (int k = 0; k < count; ++k) {
    float* r = real + static_cast<std::size_t>(k) * real_stride;
    fftwf_complex* c = complex + static_cast<std::size_t>(k) * complex_stride;
    fftwf_plan plan = forward ? fftwf_plan_many_dft_r2c(1, &length, batch, r, nullptr, 1, length, c, nullptr, 1, bins,
                                                        FFTW_ESTIMATE)
                              : fftwf_plan_many_dft_c2r(1, &length, batch, c, nullptr, 1, bins, r, nullptr, 1, length,
                                                        FFTW_ESTIMATE);
    ASSERT_NE(plan, nullptr);
    fftwf_execute(plan);
    fftwf_destroy_plan(plan);
  }
}

// DeviceColumnFilter::apply.
void column_filter(float* images, int count, int rows, int columns, const Values& normalised_gain) {
  const int bins = rows / 2 + 1;
  const std::size_t image = static_cast<std::size_t>(rows) * columns, spectrum_image = static_cast<std::size_t>(bins) * columns;
  Values spectrum(2 * count * spectrum_image);
  transform(images, spectrum.data(), count, image, spectrum_image, {rows}, columns, true);
  for (std::size_t i = 0; i < count * spectrum_image; ++i)
    tomo::column_gain_step(spectrum.data(), normalised_gain.data(), bins, columns, i);
  transform(images, spectrum.data(), count, image, spectrum_image, {rows}, columns, false);
}

std::size_t values_of(int slices, int projections, int columns) {
  return static_cast<std::size_t>(slices) * projections * columns;
}

// --- each method as its DeviceStripeFilter::apply runs it ---

void column_profile_filter(Values& s, int slices, int projections, int columns, int width, bool gains) {
  const std::size_t profile_size = static_cast<std::size_t>(slices) * columns;
  std::vector<double> sums(profile_size);
  for (std::size_t i = 0; i < profile_size; ++i) sums[i] = tomo::column_sum_step(s.data(), projections, columns, i);
  Values profile;
  for (int slice = 0; slice < slices; ++slice) {
    const std::span<const double> slice_sums(sums.data() + static_cast<std::size_t>(slice) * columns, columns);
    const auto p = gains ? tomo::boin_haibel_gains(slice_sums, width) : tomo::rivers_correction(slice_sums, projections, width);
    profile.insert(profile.end(), p.begin(), p.end());
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (gains) tomo::scale_by_column_profile_step(s.data(), profile.data(), projections, columns, i);
    else tomo::subtract_column_profile_step(s.data(), profile.data(), projections, columns, i);
  }
}

void oimoen_filter(Values& s, int slices, int projections, int columns, int horizontal, int vertical) {
  Values high_pass(s.size());
  running_median(s.data(), high_pass.data(), tomo::sinogram_rows(projections, columns), slices, horizontal, Boundary::nearest,
                 MedianUse::high_pass);
  running_median(high_pass.data(), s.data(), tomo::sinogram_columns(projections, columns), slices, vertical, Boundary::mirror,
                 MedianUse::subtract);
}

void sijbers_postnov_filter(Values& s, int slices, int projections, int columns, int window, double threshold) {
  const int width = std::min(window, columns);
  const std::size_t n = static_cast<std::size_t>(slices), p = static_cast<std::size_t>(projections);
  const std::size_t windows = n * static_cast<std::size_t>(columns - width + 1);
  std::vector<unsigned char> homogeneous(windows * p);
  std::vector<double> mean(windows * p);
  std::vector<int> rows(windows * p), found(windows);
  Values median(windows * width), stripe(n * columns);
  const tomo::SijbersBuffers b{s.data(),    projections, columns,     width,         threshold,    homogeneous.data(),
                               mean.data(), rows.data(), found.data(), median.data(), stripe.data()};
  for (std::size_t i = 0; i < n * p; ++i) tomo::sijbers_row_step(b, i);
  for (std::size_t i = 0; i < windows; ++i) tomo::sijbers_compact_step(b, i);
  for (std::size_t output = 0; output < median.size(); ++output) {
    int count = 0;
    const auto samples = tomo::sijbers_samples(b, output, &count);
    if (count == 0) continue;  // stays 0, as the kernel writes
    const float upper = warp_select(samples, count, static_cast<unsigned>(count / 2));
    const float lower = count % 2 == 0 ? warp_select(samples, count, static_cast<unsigned>(count / 2 - 1)) : upper;
    median[output] = tomo::median_from_middle(upper, lower, count);
  }
  for (std::size_t i = 0; i < stripe.size(); ++i) tomo::sijbers_stripe_step(b, i);
  for (std::size_t i = 0; i < s.size(); ++i) tomo::subtract_column_profile_step(s.data(), stripe.data(), projections, columns, i);
}

void raven_filter(Values& s, int slices, int projections, int columns, int window, double smoothing) {
  const auto t = tomo::raven_tables(projections, columns, window, smoothing);
  const std::size_t padded_values = static_cast<std::size_t>(t.padded_rows) * t.padded_columns;
  const std::size_t bins = static_cast<std::size_t>(t.padded_rows) * t.bins;
  Values padded(slices * padded_values), spectrum(2 * slices * bins);
  const tomo::RavenBuffers b{s.data(),         padded.data(),          spectrum.data(),   t.row_taper.data(),
                             t.column_taper.data(), t.gains.data(),    t.filtered_rows.data(),
                             static_cast<int>(t.filtered_rows.size()), t.projections,     t.columns,
                             t.row_margin,     t.column_margin,        t.padded_rows,     t.padded_columns,
                             t.bins};
  for (std::size_t i = 0; i < padded.size(); ++i) tomo::raven_pad_step(b, i);
  transform(padded.data(), spectrum.data(), slices, padded_values, bins, {t.padded_rows, t.padded_columns}, 0, true);
  for (std::size_t i = 0; i < slices * t.filtered_rows.size() * t.bins; ++i) tomo::raven_gain_step(b, i);
  transform(padded.data(), spectrum.data(), slices, padded_values, bins, {t.padded_rows, t.padded_columns}, 0, false);
  for (std::size_t i = 0; i < s.size(); ++i) tomo::raven_crop_step(b, i);
}

void wavelet_fourier_filter(Values& s, int slices, int projections, int columns, int levels, double sigma) {
  const auto n = static_cast<std::size_t>(slices);
  std::vector<tomo::WaveletBands> bands;
  std::vector<std::unique_ptr<Values>> storage;
  int rows = projections, width = columns;
  for (int level = 0; level < levels; ++level) {
    tomo::WaveletBands b{nullptr, nullptr, nullptr, nullptr, rows, width, tomo::dwt_length(rows), tomo::dwt_length(width)};
    for (float** band : {&b.approximation, &b.horizontal, &b.vertical, &b.diagonal}) {
      storage.push_back(std::make_unique<Values>(n * b.band_rows * b.band_columns));
      *band = storage.back()->data();
    }
    bands.push_back(b);
    rows = b.band_rows, width = b.band_columns;
  }
  Values low(n * projections * bands[0].band_columns), high(low.size());
  const float* image = s.data();
  for (const auto& b : bands) {
    for (std::size_t i = 0; i < n * b.rows * b.band_columns; ++i) tomo::dwt_across_step(image, b.columns, low.data(), high.data(), i);
    for (std::size_t i = 0; i < n * b.band_rows * b.band_columns; ++i) tomo::dwt_down_step(low.data(), high.data(), b, i);
    column_filter(b.vertical, slices, b.band_rows, b.band_columns,
                  tomo::normalised_column_gains(tomo::munch_notch_gains(b.band_rows, sigma), b.band_rows));
    image = b.approximation;
  }
  for (std::size_t l = bands.size(); l-- > 0;) {
    const auto& b = bands[l];
    float* out = l == 0 ? s.data() : bands[l - 1].approximation;
    for (std::size_t i = 0; i < n * b.rows * b.band_columns; ++i) tomo::idwt_down_step(b, low.data(), high.data(), i);
    for (std::size_t i = 0; i < n * b.rows * b.columns; ++i) tomo::idwt_across_step(low.data(), high.data(), b.columns, out, i);
  }
}

struct Sorted {
  Values sorted, smooth;
  std::vector<int> order;
};

// SortedSmoothed: the median across (dim 1) or the square median (dim 2), a warp per output.
Sorted sorted_smoothed(const float* s, int slices, int projections, int columns, int size, int dim) {
  Sorted result;
  sort_columns(s, slices, projections, columns, result.sorted, result.order);
  result.smooth.resize(result.sorted.size());
  if (dim == 2) {
    for (std::size_t output = 0; output < result.sorted.size(); ++output) {
      const auto window = tomo::vo_square_window(result.sorted.data(), projections, columns, size, output);
      result.smooth[output] = warp_select(window, window.count(), static_cast<unsigned>(window.count() / 2));
    }
  } else {
    running_median(result.sorted.data(), result.smooth.data(), tomo::sorted_rows(projections, columns), slices, size,
                   Boundary::mirror, MedianUse::store);
  }
  return result;
}

void sort_filter(float* s, int slices, int projections, int columns, int size, int dim) {
  const auto r = sorted_smoothed(s, slices, projections, columns, size, dim);
  for (std::size_t i = 0; i < r.sorted.size(); ++i) tomo::vo_unsort_step(s, r.smooth.data(), r.order.data(), projections, columns, i);
}

void large_stripe_filter(float* s, int slices, int projections, int columns, double snr, int size) {
  const auto r = sorted_smoothed(s, slices, projections, columns, size, 1);
  int kept_first = 0, kept_end = 0;
  tomo::vo_kept_rows(projections, tomo::kVoLargeDropRatio, &kept_first, &kept_end);
  Values ratio(static_cast<std::size_t>(slices) * columns);
  for (std::size_t i = 0; i < ratio.size(); ++i)
    tomo::vo_large_ratio_step(r.sorted.data(), r.smooth.data(), projections, kept_first, kept_end, ratio.data(), i);
  std::vector<unsigned char> stripes;
  for (int slice = 0; slice < slices; ++slice) {
    const auto c = tomo::vo_large_stripe_columns(std::span<const float>(ratio.data() + slice * columns, columns), snr);
    stripes.insert(stripes.end(), c.begin(), c.end());
  }
  for (std::size_t i = 0; i < r.sorted.size(); ++i)
    tomo::vo_large_apply_step(s, r.sorted.data(), r.smooth.data(), r.order.data(), ratio.data(), stripes.data(), projections,
                              columns, i);
}

void dead_stripe_filter(float* s, int slices, int projections, int columns, double snr, int size, bool residual) {
  std::vector<double> roughness(static_cast<std::size_t>(slices) * columns);
  for (std::size_t i = 0; i < roughness.size(); ++i) tomo::vo_roughness_step(s, projections, columns, roughness.data(), i);
  std::vector<int> left, right;
  for (int slice = 0; slice < slices; ++slice) {
    const auto sources = tomo::vo_dead_sources(std::span<const double>(roughness.data() + slice * columns, columns), snr, size);
    left.insert(left.end(), sources.left.begin(), sources.left.end());
    right.insert(right.end(), sources.right.begin(), sources.right.end());
  }
  for (std::size_t i = 0; i < values_of(slices, projections, columns); ++i)
    tomo::vo_dead_step(s, left.data(), right.data(), projections, columns, i);
  if (residual) large_stripe_filter(s, slices, projections, columns, snr, size);
}

void filtering_filter(Values& s, int slices, int projections, int columns, double sigma, int size, int dim) {
  const int pad = tomo::vo_filter_padding(projections), rows = projections + 2 * pad;
  Values padded(values_of(slices, rows, columns)), smooth(s.size());
  for (std::size_t i = 0; i < padded.size(); ++i) tomo::vo_pad_columns_step(s.data(), projections, columns, pad, padded.data(), i);
  column_filter(padded.data(), slices, rows, columns, tomo::normalised_column_gains(tomo::vo_low_pass_gains(rows, sigma), rows));
  for (std::size_t i = 0; i < s.size(); ++i) tomo::vo_split_step(s.data(), padded.data(), smooth.data(), projections, columns, pad, i);
  sort_filter(smooth.data(), slices, projections, columns, size, dim);
  for (std::size_t i = 0; i < s.size(); ++i) tomo::vo_join_step(s.data(), smooth.data(), i);
}

// FittingFilter::apply.
void fitting_filter(Values& s, int slices, int projections, int columns, int order, double sigma) {
  const auto t = tomo::vo_fit_tables(projections, columns, order, sigma);
  const auto n = static_cast<std::size_t>(slices), all_columns = n * columns;
  const int fit_bins = static_cast<int>(t.fit_gains.size()), bins = static_cast<int>(t.column_gains.size());
  const std::size_t fit_values = static_cast<std::size_t>(columns) * t.fit_rows;
  const std::size_t fit_spectrum_values = static_cast<std::size_t>(columns) * fit_bins;
  const std::size_t padded_values = static_cast<std::size_t>(t.padded_rows) * t.padded_columns;
  const std::size_t spectrum_values = static_cast<std::size_t>(t.padded_rows) * bins;
  Values fit(n * fit_values), fit_spectrum(2 * n * fit_spectrum_values), mean(all_columns), padded(n * padded_values),
      spectrum(2 * n * spectrum_values);
  std::vector<tomo::VoFitMagnitudes> magnitudes(all_columns);
  std::vector<tomo::VoFitRescaling> rescaling(n);
  const tomo::VoFitBuffers b{s.data(),           fit.data(),         fit_spectrum.data(), mean.data(),
                             padded.data(),      spectrum.data(),    magnitudes.data(),   rescaling.data(),
                             t.fit_gains.data(), t.row_gains.data(), t.column_gains.data(), projections,
                             columns,            t.fit_half,         t.fit_rows,          fit_bins,
                             t.pad,              t.padded_rows,      t.padded_columns,    bins};
  for (std::size_t i = 0; i < fit.size(); ++i) tomo::vo_fit_reflect_step(b, i);
  line_transform(fit.data(), fit_spectrum.data(), slices, fit_values, fit_spectrum_values, t.fit_rows, columns, true);
  for (std::size_t i = 0; i < n * fit_spectrum_values; ++i) tomo::vo_fit_gain_step(b, i);
  line_transform(fit.data(), fit_spectrum.data(), slices, fit_values, fit_spectrum_values, t.fit_rows, columns, false);
  for (std::size_t i = 0; i < all_columns; ++i) tomo::vo_fit_mean_step(b, i);
  for (std::size_t i = 0; i < padded.size(); ++i) tomo::vo_fit_pad_step(b, i);
  const std::vector<int> sizes{t.padded_rows, t.padded_columns};
  transform(padded.data(), spectrum.data(), slices, padded_values, spectrum_values, sizes, 0, true);
  for (std::size_t i = 0; i < n * spectrum_values; ++i) tomo::vo_fit_low_pass_step(b, i);
  transform(padded.data(), spectrum.data(), slices, padded_values, spectrum_values, sizes, 0, false);
  for (std::size_t i = 0; i < all_columns; ++i) tomo::vo_fit_magnitudes_step(b, i);
  // The host's part: each slice's rescaling from its columns' magnitudes.
  for (std::size_t slice = 0; slice < n; ++slice)
    rescaling[slice] =
        tomo::vo_fit_rescaling(std::span<const tomo::VoFitMagnitudes>(magnitudes.data() + slice * columns, columns));
  for (std::size_t i = 0; i < s.size(); ++i) tomo::vo_fit_rescale_step(b, i);
}

// tomo::cuda::remove_rings, its kernels run here.
void gpu_steps(Values& s, int slices, int projections, int columns, const tomo::RingFilter& f) {
  using M = tomo::RingMethod;
  const auto whole = [](double v) { return static_cast<int>(v); };
  const auto dimension = [&](double v) { return v == 0 ? 1 : whole(v); };  // DIM not given is 1
  switch (f.method) {
    case M::none: return;
    case M::rivers: return column_profile_filter(s, slices, projections, columns, whole(f.p1), false);
    case M::boinhaibel: return column_profile_filter(s, slices, projections, columns, whole(f.p1), true);
    case M::oimoen: return oimoen_filter(s, slices, projections, columns, whole(f.p1), whole(f.p2));
    case M::sijberspostnov: return sijbers_postnov_filter(s, slices, projections, columns, whole(f.p1), f.p2);
    case M::raven: return raven_filter(s, slices, projections, columns, whole(f.p1), f.p2);
    case M::muenchetal: return wavelet_fourier_filter(s, slices, projections, columns, whole(f.p1), f.p2);
    case M::vo_sort: return sort_filter(s.data(), slices, projections, columns, whole(f.p1), dimension(f.p2));
    case M::vo_filter: return filtering_filter(s, slices, projections, columns, f.p1, whole(f.p2), dimension(f.p3));
    case M::vo_large: return large_stripe_filter(s.data(), slices, projections, columns, f.p1, whole(f.p2));
    case M::vo_dead: return dead_stripe_filter(s.data(), slices, projections, columns, f.p1, whole(f.p2), true);
    case M::vo_all:
      dead_stripe_filter(s.data(), slices, projections, columns, f.p1, whole(f.p2), false);
      large_stripe_filter(s.data(), slices, projections, columns, f.p1, whole(f.p2));
      return sort_filter(s.data(), slices, projections, columns, whole(f.p3), dimension(f.p4));
    case M::vo_fit: return fitting_filter(s, slices, projections, columns, whole(f.p1), f.p2);
  }
  FAIL() << "no GPU steps for " << tomo::to_string(f);
}

// Line integrals of a smooth object with narrow stripes (offsets and gains), a wide stripe, a
// dead and a saturated column, and noise: every detector of the Vo methods has something to find.
Values striped_sinograms(int slices, int projections, int columns, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  Values s(values_of(slices, projections, columns));
  for (int slice = 0; slice < slices; ++slice)
    for (int p = 0; p < projections; ++p)
      for (int c = 0; c < columns; ++c) {
        const double x = (c - 0.5 * columns) / columns, angle = 3.14159265 * p / std::max(projections, 1);
        const double centre = 0.25 * std::cos(angle + slice), inside = 0.16 - (x - centre) * (x - centre);
        float v = static_cast<float>(inside > 0 ? 2.5 * std::sqrt(inside) : 0.0) + 0.05f + noise(random);
        if (c % 11 == 4) v += 0.04f;
        if (c % 17 == 9) v *= 1.06f;
        if (c >= columns / 3 && c < columns / 3 + 5) v += 0.08f;
        if (c == columns / 2 + 3) v = 0.0f;
        if (c == (3 * columns) / 4) v = 4.0f;
        s[(static_cast<std::size_t>(slice) * projections + p) * columns + c] = v;
      }
  return s;
}

struct StepsCase {
  std::string filter;
  int slices, projections, columns;
};

void PrintTo(const StepsCase& c, std::ostream* out) {
  *out << c.filter << " on " << c.slices << " x " << c.projections << " x " << c.columns;
}

class GpuRingSteps : public testing::TestWithParam<StepsCase> {};

// The same arithmetic in the same order, though organised differently (selection instead of a
// sorted window, strided instead of copied lines, Sijbers' statistics stored per window): the
// CPU's values. Measured bitwise equal for every case when written (GCC 12, -O3 -march=native);
// the bound leaves room for FFTW choosing other codelets for these buffers' alignment, or
// another compiler contracting a multiply-add differently.
TEST_P(GpuRingSteps, MatchTheCpuFilter) {
  const auto& c = GetParam();
  const auto filter = tomo::parse_ring_filter(c.filter);
  const auto input = striped_sinograms(c.slices, c.projections, c.columns, 17);
  auto cpu = input, gpu = input;
  tomo::remove_rings(cpu, c.slices, c.projections, c.columns, filter, 1);
  gpu_steps(gpu, c.slices, c.projections, c.columns, filter);
  EXPECT_LE(tomo::test::relative_error(gpu, cpu), 1e-6) << c.filter;
  EXPECT_NE(cpu, input) << c.filter << " changed nothing: the case checks nothing";
}

std::vector<StepsCase> steps_cases() {
  const std::vector<std::string> filters{"rivers:9;0",      "rivers:10001;0",        "boinhaibel:11;",   "oimoen:11;31",
                                         "sijberspostnov:9;0.002", "sijberspostnov:10001;1", "raven:3;0.5",    "raven:7;0.9",
                                         "muenchetal:1;1.0", "muenchetal:4;0.5",      "vo-sort:9",        "vo-filter:3;9",
                                         "vo-filter:0.5;5",  "vo-large:3;21",         "vo-dead:3;21",     "vo-all:3;21;5",
                                         "vo-all"};
  std::vector<StepsCase> cases;
  for (const auto& f : filters) cases.push_back({f, 2, 120, 97});
  // Vo's fitting method at its defaults and with other orders and widths, and DIM 2, the square
  // median of the sorted image, in each method that sorts; DIM 1 written out.
  for (const auto& f : {"vo-fit", "vo-fit:1;3", "vo-fit:5;30", "vo-fit:10;0.5", "vo-sort:9;2", "vo-filter:3;9;2",
                        "vo-all:3;21;5;2", "vo-sort:21;1"})
    cases.push_back({f, 2, 120, 97});
  // Awkward sizes for them: an even number of angles (the fit's window one short of the column)
  // on a detector narrower than the square; three slices of one more row than columns.
  for (const auto& f : {"vo-fit", "vo-fit:3;2", "vo-fit:10;10", "vo-sort:9;2", "vo-filter:3;9;2", "vo-all:3;21;5;2"}) {
    cases.push_back({f, 1, 50, 7});
    cases.push_back({f, 3, 65, 64});
  }
  // Windows of the strings' widest, 10001, far wider than the lines (a warp per output selects
  // from all 10001 samples; emulated here lane by lane, so on a small sinogram).
  for (const auto& f : {"oimoen:10001;10001", "vo-sort:10001", "vo-all:3;10001;10001"}) cases.push_back({f, 1, 24, 19});
  // Awkward sizes: one slice of an odd, small detector; three slices with one more row than columns.
  for (const auto& f : {"rivers:31;0", "oimoen:51;51", "sijberspostnov:51;2", "raven:3;0.5", "muenchetal:4;1.0",
                        "vo-filter", "vo-all:3;11;5"}) {
    cases.push_back({f, 1, 33, 13});
    cases.push_back({f, 3, 65, 64});
  }
  // Nine angles: ORDER 10 is more than the fit's window holds, which then passes every value.
  cases.push_back({"vo-fit:10;10", 2, 9, 13});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Methods, GpuRingSteps, testing::ValuesIn(steps_cases()),
                         [](const testing::TestParamInfo<StepsCase>& case_info) {
                           const std::string& text = case_info.param.filter;
                           std::string name = text.substr(0, text.find(':')) + "_" + std::to_string(case_info.index);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Every rank of sets with negative values, repeated values, both zeros and extremes, against
// sorting; by warps of 32 lanes over fewer and more values than lanes.
TEST(GpuRingSelection, RadixSelectionFindsEveryRank) {
  std::mt19937 random(3);
  std::uniform_real_distribution<float> value(-5.0f, 5.0f);
  for (const int count : {1, 2, 7, 31, 32, 33, 100, 1001}) {
    Values values(static_cast<std::size_t>(count));
    for (float& v : values) v = value(random);
    if (count > 4) values[1] = values[2] = values[3], values[4] = -0.0f, values[0] = 0.0f;
    if (count > 7) values[5] = std::numeric_limits<float>::max(), values[6] = -std::numeric_limits<float>::max();
    if (count > 7) values[7] = std::numeric_limits<float>::denorm_min();
    auto sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (int rank = 0; rank < count; ++rank)
      ASSERT_EQ(warp_select(values, count, static_cast<unsigned>(rank)), sorted[static_cast<std::size_t>(rank)])
          << count << " values, rank " << rank;
  }
}

// Running medians of widths up to 10001 (the strings' limit) over lines much shorter than the
// window: the GPU's windows against median_filter, both boundaries, rows and columns.
TEST(GpuRingSelection, RunningMediansOfAnyWidthMatchMedianFilter) {
  const int slices = 2, projections = 9, columns = 23;
  std::mt19937 random(4);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  Values image(values_of(slices, projections, columns));
  for (float& v : image) v = value(random);
  for (const int width : {3, 5, 21, 45, 10001})
    for (const Boundary boundary : {Boundary::nearest, Boundary::mirror}) {
      Values across(image.size()), down(image.size()), expected_across(image.size()), expected_down(image.size());
      running_median(image.data(), across.data(), tomo::sinogram_rows(projections, columns), slices, width, boundary,
                     MedianUse::store);
      running_median(image.data(), down.data(), tomo::sinogram_columns(projections, columns), slices, width, boundary,
                     MedianUse::store);
      for (int line = 0; line < slices * projections; ++line)
        tomo::median_filter(image.data() + line * columns, columns, 1, width, boundary, expected_across.data() + line * columns);
      Values column(projections);
      for (int slice = 0; slice < slices; ++slice)
        for (int c = 0; c < columns; ++c) {
          tomo::median_filter(image.data() + slice * projections * columns + c, projections, columns, width, boundary,
                              column.data());
          for (int p = 0; p < projections; ++p) expected_down[(slice * projections + p) * columns + c] = column[p];
        }
      EXPECT_EQ(across, expected_across) << width;
      EXPECT_EQ(down, expected_down) << width;
    }
}

// The sorted image (slice, column, rank) read across at each rank, as vo-sort's median reads it.
TEST(GpuRingSelection, SortedColumnsAreStableAndReadAcross) {
  const int slices = 2, projections = 6, columns = 4;
  Values s(values_of(slices, projections, columns));
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>((i * 7) % 5);  // many ties
  Values sorted;
  std::vector<int> order;
  sort_columns(s.data(), slices, projections, columns, sorted, order);
  const LineLayout rows = tomo::sorted_rows(projections, columns);
  for (int slice = 0; slice < slices; ++slice)
    for (int c = 0; c < columns; ++c)
      for (int k = 0; k < projections; ++k) {
        const std::size_t at = rows.at(static_cast<std::size_t>(slice * projections + k), static_cast<std::size_t>(c));
        const float original = s[(static_cast<std::size_t>(slice) * projections + order[at]) * columns + c];
        EXPECT_EQ(sorted[at], original);
        if (k > 0) {
          const std::size_t before = rows.at(static_cast<std::size_t>(slice * projections + k - 1), static_cast<std::size_t>(c));
          EXPECT_LE(sorted[before], sorted[at]);
          if (sorted[before] == sorted[at]) {
            EXPECT_LT(order[before], order[at]) << "ties keep their row order";
          }
        }
      }
}

}  // namespace
