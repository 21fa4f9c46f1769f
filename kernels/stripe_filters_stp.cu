// STP's stripe filters on the GPU (rivers, boinhaibel, oimoen, sijberspostnov, raven,
// muenchetal): the CPU filters' algorithms (stripe_filters_stp.cpp, stripe_filter_raven.cpp,
// stripe_filter_wavelet_fourier.cpp) with their tables (stripe_filter_tables.hpp), each kernel one
// step of stripe_filter_gpu_steps.hpp per thread, the transforms with cuFFT.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/column_fourier_filter.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters_cuda.cuh"

namespace tomo::cuda {
namespace {

std::size_t sinogram_values(int slices, int projections, int columns) {
  return static_cast<std::size_t>(slices) * static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns);
}

// --- kernels: one step per thread ---

__global__ void column_sum_kernel(const float* sinograms, int projections, int columns, std::size_t count, double* sums) {
  const std::size_t i = thread_index();
  if (i < count) sums[i] = column_sum_step(sinograms, projections, columns, i);
}

__global__ void subtract_profile_kernel(float* sinograms, const float* profile, int projections, int columns,
                                        std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) subtract_column_profile_step(sinograms, profile, projections, columns, i);
}

__global__ void scale_profile_kernel(float* sinograms, const float* profile, int projections, int columns,
                                     std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) scale_by_column_profile_step(sinograms, profile, projections, columns, i);
}

// A warp per (slice, start, k): the median of the homogeneous rows' samples (two selections for
// an even count, as median_of takes the mean of the middle two).
__global__ void sijbers_median_kernel(SijbersBuffers b, std::size_t outputs) {
  const std::size_t output = thread_index() / kWarpSize;
  if (output >= outputs) return;
  int count = 0;
  const SijbersSamples samples = sijbers_samples(b, output, &count);
  float median = 0.0f;  // no homogeneous rows: the window is skipped (sijbers_stripe_step)
  if (count > 0) {
    const float upper = warp_select(samples, count, static_cast<unsigned>(count / 2));
    const float lower = count % 2 == 0 ? warp_select(samples, count, static_cast<unsigned>(count / 2 - 1)) : upper;
    median = median_from_middle(upper, lower, count);
  }
  if (threadIdx.x % kWarpSize == 0) b.median[output] = median;
}

__global__ void dwt_across_kernel(const float* image, int columns, float* low, float* high, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) dwt_across_step(image, columns, low, high, i);
}

__global__ void dwt_down_kernel(const float* low, const float* high, WaveletBands b, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) dwt_down_step(low, high, b, i);
}

__global__ void idwt_down_kernel(WaveletBands b, float* low, float* high, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) idwt_down_step(b, low, high, i);
}

__global__ void idwt_across_kernel(const float* low, const float* high, int columns, float* image, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) idwt_across_step(low, high, columns, image, i);
}

unsigned blocks(std::size_t count) { return blocks_for(count, kThreadsPerBlock); }

// --- the filters ---

// Rivers and Boin & Haibel: each column's sum on the device; the column profile from the sums on
// the host (stripe_filter_tables.hpp, the CPU's own code: a running median over one value per
// column, a few thousand values, cheaper there than a launch per step); then every value
// corrected on the device.
class ColumnProfileFilter final : public DeviceStripeFilter {
 public:
  ColumnProfileFilter(bool gains, int projections, int columns, int width)
      : gains_(gains), projections_(projections), columns_(columns), width_(width) {}

  std::size_t scratch_bytes_per_slice() const override {
    return static_cast<std::size_t>(columns_) * (sizeof(double) + sizeof(float));
  }

  void apply(float* sinograms, int slices) const override {
    const std::size_t profile_size = static_cast<std::size_t>(slices) * static_cast<std::size_t>(columns_);
    DeviceBuffer<double> sums(profile_size);
    column_sum_kernel<<<blocks(profile_size), kThreadsPerBlock>>>(sinograms, projections_, columns_, profile_size, sums.get());
    check(cudaGetLastError(), "column sum kernel");
    std::vector<double> host_sums(profile_size);
    sums.download(host_sums.data());
    std::vector<float> profile;
    profile.reserve(profile_size);
    for (int s = 0; s < slices; ++s) {
      const std::span<const double> slice_sums(host_sums.data() + static_cast<std::size_t>(s) * columns_,
                                               static_cast<std::size_t>(columns_));
      const auto slice_profile =
          gains_ ? boin_haibel_gains(slice_sums, width_) : rivers_correction(slice_sums, projections_, width_);
      profile.insert(profile.end(), slice_profile.begin(), slice_profile.end());
    }
    const DeviceBuffer<float> device_profile(profile);
    const std::size_t count = sinogram_values(slices, projections_, columns_);
    if (gains_)
      scale_profile_kernel<<<blocks(count), kThreadsPerBlock>>>(sinograms, device_profile.get(), projections_, columns_, count);
    else
      subtract_profile_kernel<<<blocks(count), kThreadsPerBlock>>>(sinograms, device_profile.get(), projections_, columns_,
                                                                   count);
    check(cudaGetLastError(), "column profile kernel");
  }

 private:
  bool gains_;
  int projections_, columns_, width_;
};

// Oimoen: the horizontal high-pass (value − running median across, ends repeated), then its
// running median down each column (ends mirrored) subtracted: two running medians, a warp per
// output each.
class OimoenFilter final : public DeviceStripeFilter {
 public:
  OimoenFilter(int projections, int columns, int horizontal_width, int vertical_width)
      : projections_(projections), columns_(columns), horizontal_(horizontal_width), vertical_(vertical_width) {}

  std::size_t scratch_bytes_per_slice() const override {
    return static_cast<std::size_t>(projections_) * static_cast<std::size_t>(columns_) * sizeof(float);
  }

  void apply(float* sinograms, int slices) const override {
    DeviceBuffer<float> high_pass(sinogram_values(slices, projections_, columns_));
    running_median(sinograms, high_pass.get(), sinogram_rows(projections_, columns_), slices, horizontal_,
                   Boundary::nearest, MedianUse::high_pass);
    running_median(high_pass.get(), sinograms, sinogram_columns(projections_, columns_), slices, vertical_,
                   Boundary::mirror, MedianUse::subtract);
  }

 private:
  int projections_, columns_, horizontal_, vertical_;
};

// Sijbers & Postnov: each row's window slid across by one thread, recording every start's
// homogeneity and mean; each start's homogeneous rows listed; a warp per (start, sample) takes
// the median; a thread per column averages the windows covering it; the stripe subtracted.
class SijbersPostnovFilter final : public DeviceStripeFilter {
 public:
  SijbersPostnovFilter(int projections, int columns, int window, double threshold)
      : projections_(projections), columns_(columns), width_(std::min(window, columns)), threshold_(threshold) {}

  std::size_t scratch_bytes_per_slice() const override {
    const auto starts = static_cast<std::size_t>(columns_ - width_ + 1), p = static_cast<std::size_t>(projections_);
    return starts * p * (sizeof(unsigned char) + sizeof(double) + sizeof(int)) +
           starts * (sizeof(int) + static_cast<std::size_t>(width_) * sizeof(float)) +
           static_cast<std::size_t>(columns_) * sizeof(float);
  }

  void apply(float* sinograms, int slices) const override {
    const auto n = static_cast<std::size_t>(slices), p = static_cast<std::size_t>(projections_);
    const std::size_t windows = n * static_cast<std::size_t>(columns_ - width_ + 1);
    DeviceBuffer<unsigned char> homogeneous(windows * p);
    DeviceBuffer<double> mean(windows * p);
    DeviceBuffer<int> rows(windows * p), found(windows);
    DeviceBuffer<float> median(windows * static_cast<std::size_t>(width_)), stripe(n * static_cast<std::size_t>(columns_));
    const SijbersBuffers b{sinograms,         projections_, columns_,   width_,       threshold_, homogeneous.get(),
                           mean.get(),        rows.get(),   found.get(), median.get(), stripe.get()};
    for_each_index<sijbers_row_step><<<blocks(n * p), kThreadsPerBlock>>>(b, n * p);
    for_each_index<sijbers_compact_step><<<blocks(windows), kThreadsPerBlock>>>(b, windows);
    const std::size_t medians = windows * static_cast<std::size_t>(width_);
    sijbers_median_kernel<<<blocks(medians * kWarpSize), kThreadsPerBlock>>>(b, medians);
    for_each_index<sijbers_stripe_step><<<blocks(stripe.size()), kThreadsPerBlock>>>(b, stripe.size());
    const std::size_t count = sinogram_values(slices, projections_, columns_);
    subtract_profile_kernel<<<blocks(count), kThreadsPerBlock>>>(sinograms, stripe.get(), projections_, columns_, count);
    check(cudaGetLastError(), "Sijbers-Postnov kernels");
  }

 private:
  int projections_, columns_, width_;
  double threshold_;
};

// Raven: each sinogram padded (tapers from RavenTables), 2-D transformed by cuFFT, the filtered
// rows of its spectrum multiplied by RavenTables' gains, transformed back and cropped.
class RavenDeviceFilter final : public DeviceStripeFilter {
 public:
  RavenDeviceFilter(int projections, int columns, int window, double smoothing)
      : t_(raven_tables(projections, columns, window, smoothing)),
        row_taper_(t_.row_taper),
        column_taper_(t_.column_taper),
        gains_(t_.gains),
        filtered_rows_(t_.filtered_rows),
        forward_({t_.padded_rows, t_.padded_columns}, 1, CUFFT_R2C),
        backward_({t_.padded_rows, t_.padded_columns}, 1, CUFFT_C2R) {}

  std::size_t scratch_bytes_per_slice() const override { return padded_values() * sizeof(float) + bins() * sizeof(cufftComplex); }

  void apply(float* sinograms, int slices) const override {
    const auto n = static_cast<std::size_t>(slices);
    DeviceBuffer<float> padded(n * padded_values());
    DeviceBuffer<cufftComplex> spectrum(n * bins());
    const RavenBuffers b{sinograms,          padded.get(),      reinterpret_cast<float*>(spectrum.get()),
                         row_taper_.get(),   column_taper_.get(), gains_.get(),
                         filtered_rows_.get(), static_cast<int>(t_.filtered_rows.size()), t_.projections,
                         t_.columns,         t_.row_margin,     t_.column_margin,
                         t_.padded_rows,     t_.padded_columns, t_.bins};
    for_each_index<raven_pad_step><<<blocks(padded.size()), kThreadsPerBlock>>>(b, padded.size());
    check(cudaGetLastError(), "Raven padding kernel");
    for (std::size_t s = 0; s < n; ++s)
      check(cufftExecR2C(forward_.get(), padded.get() + s * padded_values(), spectrum.get() + s * bins()),
            "Raven forward transform");
    const std::size_t filtered = n * t_.filtered_rows.size() * static_cast<std::size_t>(t_.bins);
    for_each_index<raven_gain_step><<<blocks(filtered), kThreadsPerBlock>>>(b, filtered);
    check(cudaGetLastError(), "Raven gain kernel");
    for (std::size_t s = 0; s < n; ++s)
      check(cufftExecC2R(backward_.get(), spectrum.get() + s * bins(), padded.get() + s * padded_values()),
            "Raven inverse transform");
    const std::size_t count = sinogram_values(slices, t_.projections, t_.columns);
    for_each_index<raven_crop_step><<<blocks(count), kThreadsPerBlock>>>(b, count);
  }

 private:
  std::size_t padded_values() const {
    return static_cast<std::size_t>(t_.padded_rows) * static_cast<std::size_t>(t_.padded_columns);
  }
  std::size_t bins() const { return static_cast<std::size_t>(t_.padded_rows) * static_cast<std::size_t>(t_.bins); }

  RavenTables t_;
  DeviceBuffer<float> row_taper_, column_taper_, gains_;
  DeviceBuffer<int> filtered_rows_;
  FftPlan forward_, backward_;
};

// Münch et al.: `levels` db5 levels (across the rows, then down the columns), each level's
// vertical band notch-filtered along the angle by a DeviceColumnFilter (munch_notch_gains), then
// the inverse, each level's image written over the approximation band it came from.
class WaveletFourierDeviceFilter final : public DeviceStripeFilter {
 public:
  WaveletFourierDeviceFilter(int projections, int columns, int levels, double sigma) {
    int rows = projections, width = columns;
    for (int level = 0; level < levels; ++level) {
      const int band_rows = dwt_length(rows), band_columns = dwt_length(width);
      sizes_.push_back({rows, width, band_rows, band_columns});
      notches_.push_back(std::make_unique<DeviceColumnFilter>(
          band_rows, band_columns, normalised_column_gains(munch_notch_gains(band_rows, sigma), band_rows)));
      rows = band_rows, width = band_columns;
    }
  }

  // The two halves of level 0 (rows × band columns each), every level's four bands, and level
  // 0's notch spectrum.
  std::size_t scratch_bytes_per_slice() const override {
    std::size_t bytes = 2 * static_cast<std::size_t>(sizes_[0].rows) * static_cast<std::size_t>(sizes_[0].band_columns) *
                        sizeof(float);
    for (std::size_t l = 0; l < sizes_.size(); ++l) bytes += 4 * band_values(l) * sizeof(float);
    return bytes + notches_[0]->scratch_bytes_per_image();
  }

  void apply(float* sinograms, int slices) const override {
    const auto n = static_cast<std::size_t>(slices);
    const std::size_t halves = n * static_cast<std::size_t>(sizes_[0].rows) * static_cast<std::size_t>(sizes_[0].band_columns);
    DeviceBuffer<float> low(halves), high(halves);
    std::vector<std::unique_ptr<DeviceBuffer<float>>> storage;
    std::vector<WaveletBands> bands;
    for (std::size_t l = 0; l < sizes_.size(); ++l) {
      const std::size_t size = n * band_values(l);
      WaveletBands b{nullptr, nullptr, nullptr, nullptr, sizes_[l].rows, sizes_[l].columns, sizes_[l].band_rows,
                     sizes_[l].band_columns};
      for (float** band : {&b.approximation, &b.horizontal, &b.vertical, &b.diagonal}) {
        storage.push_back(std::make_unique<DeviceBuffer<float>>(size));
        *band = storage.back()->get();
      }
      bands.push_back(b);
    }
    const float* image = sinograms;
    for (std::size_t l = 0; l < bands.size(); ++l) {
      const WaveletBands& b = bands[l];
      const std::size_t half = n * static_cast<std::size_t>(b.rows) * static_cast<std::size_t>(b.band_columns);
      dwt_across_kernel<<<blocks(half), kThreadsPerBlock>>>(image, b.columns, low.get(), high.get(), half);
      const std::size_t band = n * band_values(l);
      dwt_down_kernel<<<blocks(band), kThreadsPerBlock>>>(low.get(), high.get(), b, band);
      check(cudaGetLastError(), "wavelet decomposition kernels");
      notches_[l]->apply(b.vertical, slices);
      image = b.approximation;
    }
    for (std::size_t l = bands.size(); l-- > 0;) {
      const WaveletBands& b = bands[l];
      float* out = l == 0 ? sinograms : bands[l - 1].approximation;  // the image level l decomposed
      const std::size_t half = n * static_cast<std::size_t>(b.rows) * static_cast<std::size_t>(b.band_columns);
      idwt_down_kernel<<<blocks(half), kThreadsPerBlock>>>(b, low.get(), high.get(), half);
      const std::size_t values = n * static_cast<std::size_t>(b.rows) * static_cast<std::size_t>(b.columns);
      idwt_across_kernel<<<blocks(values), kThreadsPerBlock>>>(low.get(), high.get(), b.columns, out, values);
      check(cudaGetLastError(), "wavelet reconstruction kernels");
    }
  }

 private:
  struct Sizes {
    int rows, columns, band_rows, band_columns;
  };
  std::size_t band_values(std::size_t level) const {
    return static_cast<std::size_t>(sizes_[level].band_rows) * static_cast<std::size_t>(sizes_[level].band_columns);
  }

  std::vector<Sizes> sizes_;
  std::vector<std::unique_ptr<DeviceColumnFilter>> notches_;
};

int whole(double value) { return static_cast<int>(value); }

}  // namespace

std::unique_ptr<DeviceStripeFilter> make_stp_stripe_filter(const RingFilter& f, int projections, int columns) {
  switch (f.method) {
    case RingMethod::rivers: return std::make_unique<ColumnProfileFilter>(false, projections, columns, whole(f.p1));
    case RingMethod::boinhaibel: return std::make_unique<ColumnProfileFilter>(true, projections, columns, whole(f.p1));
    case RingMethod::oimoen: return std::make_unique<OimoenFilter>(projections, columns, whole(f.p1), whole(f.p2));
    case RingMethod::sijberspostnov:
      return std::make_unique<SijbersPostnovFilter>(projections, columns, whole(f.p1), f.p2);
    case RingMethod::raven: return std::make_unique<RavenDeviceFilter>(projections, columns, whole(f.p1), f.p2);
    case RingMethod::muenchetal:
      return std::make_unique<WaveletFourierDeviceFilter>(projections, columns, whole(f.p1), f.p2);
    default: cuda_fail("CUDA ring removal: '" + tomo::to_string(f) + "' is not one of STP's methods");
  }
}

}  // namespace tomo::cuda
