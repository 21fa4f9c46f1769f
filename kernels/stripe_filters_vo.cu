// Vo, Atwood & Drakopoulos' stripe filters on the GPU (vo-sort, vo-filter, vo-large, vo-dead,
// vo-all, vo-fit): the CPU filters' algorithms (stripe_filters_vo.cpp,
// stripe_filter_vo_fitting.cpp) with CUB's stable segmented sort for the column sorts, running
// and square medians of any size by radix selection, cuFFT for vo-filter's low-pass and vo-fit's
// fit and low-pass, and each kernel one step of stripe_filter_gpu_steps.hpp per thread. What
// decides from one number per column runs on the host, in the CPU's code (stripe_filter_tables.hpp),
// between kernels: the detection of large and dead stripes (a sort and a line fit of a few
// thousand values) and vo-fit's rescaling (a sum of the columns' magnitudes).
#include <algorithm>
#include <span>
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

unsigned blocks(std::size_t count) { return blocks_for(count, kThreadsPerBlock); }

// --- kernels: one step per thread ---

__global__ void unsort_kernel(float* sinograms, const float* smooth, const int* order, int projections, int columns,
                              std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_unsort_step(sinograms, smooth, order, projections, columns, i);
}

__global__ void pad_columns_kernel(const float* sinograms, int projections, int columns, int pad, float* padded,
                                   std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_pad_columns_step(sinograms, projections, columns, pad, padded, i);
}

__global__ void split_kernel(float* sinograms, const float* padded, float* smooth, int projections, int columns, int pad,
                             std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_split_step(sinograms, padded, smooth, projections, columns, pad, i);
}

__global__ void join_kernel(float* sinograms, const float* smooth, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_join_step(sinograms, smooth, i);
}

__global__ void large_ratio_kernel(const float* sorted, const float* smooth, int projections, int kept_first, int kept_end,
                                   float* ratio, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_large_ratio_step(sorted, smooth, projections, kept_first, kept_end, ratio, i);
}

__global__ void large_apply_kernel(float* sinograms, const float* sorted, const float* smooth, const int* order,
                                   const float* ratio, const unsigned char* stripes, int projections, int columns,
                                   std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_large_apply_step(sinograms, sorted, smooth, order, ratio, stripes, projections, columns, i);
}

__global__ void roughness_kernel(const float* sinograms, int projections, int columns, double* roughness, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_roughness_step(sinograms, projections, columns, roughness, i);
}

__global__ void square_median_kernel(const float* sorted, float* smooth, int projections, int columns, int size,
                                     std::size_t outputs) {
  const std::size_t output = thread_index() / kWarpSize;
  if (output >= outputs) return;  // whole warps: the block size is a multiple of the warp
  const SquareWindow window = vo_square_window(sorted, projections, columns, size, output);
  const int count = window.count();
  const float median = warp_select(window, count, static_cast<unsigned>(count / 2));
  if (threadIdx.x % kWarpSize == 0) smooth[output] = median;
}

__global__ void dead_kernel(float* sinograms, const int* left, const int* right, int projections, int columns,
                            std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) vo_dead_step(sinograms, left, right, projections, columns, i);
}

// --- the steps of the filters, on a round of `slices` sinograms on the device ---

// The sorted columns and their median (slice, column, rank): across `size` columns (dim 1), or
// over `size` × `size` (dim 2), a warp per output either way.
struct SortedSmoothed {
  DeviceBuffer<float> sorted, smooth;
  DeviceBuffer<int> order;
  SortedSmoothed(const float* sinograms, int slices, int projections, int columns, int size, int dim)
      : sorted(sinogram_values(slices, projections, columns)),
        smooth(sorted.size()),
        order(sorted.size()) {
    sort_columns(sinograms, slices, projections, columns, sorted.get(), order.get());
    // algotom's medians of the sorted image use scipy's default boundary, the mirror.
    if (dim == 2) {
      square_median_kernel<<<blocks_for(sorted.size() * kWarpSize, kThreadsPerBlock), kThreadsPerBlock>>>(
          sorted.get(), smooth.get(), projections, columns, size, sorted.size());
      check(cudaGetLastError(), "square median kernel");
    } else {
      running_median(sorted.get(), smooth.get(), sorted_rows(projections, columns), slices, size, Boundary::mirror,
                     MedianUse::store);
    }
  }
};

std::size_t sorted_smoothed_bytes(int projections, int columns) {
  return static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns) * (2 * sizeof(float) + sizeof(int)) +
         sort_scratch_bytes(projections, columns);
}

// vo_sorting_filter.
void sort_filter(float* sinograms, int slices, int projections, int columns, int size, int dim) {
  const SortedSmoothed s(sinograms, slices, projections, columns, size, dim);
  unsort_kernel<<<blocks(s.sorted.size()), kThreadsPerBlock>>>(sinograms, s.smooth.get(), s.order.get(), projections,
                                                                columns, s.sorted.size());
  check(cudaGetLastError(), "unsorting kernel");
}

// vo_large_stripe_filter with its default drop ratio (its median is always across).
void large_stripe_filter(float* sinograms, int slices, int projections, int columns, double snr, int size) {
  const SortedSmoothed s(sinograms, slices, projections, columns, size, 1);
  int kept_first = 0, kept_end = 0;
  vo_kept_rows(projections, tomo::kVoLargeDropRatio, &kept_first, &kept_end);
  const std::size_t profile = static_cast<std::size_t>(slices) * static_cast<std::size_t>(columns);
  DeviceBuffer<float> ratio(profile);
  large_ratio_kernel<<<blocks(profile), kThreadsPerBlock>>>(s.sorted.get(), s.smooth.get(), projections, kept_first, kept_end,
                                                            ratio.get(), profile);
  check(cudaGetLastError(), "large-stripe ratio kernel");
  std::vector<float> host_ratio(profile);
  ratio.download(host_ratio.data());
  std::vector<unsigned char> stripes;
  stripes.reserve(profile);
  for (int slice = 0; slice < slices; ++slice) {
    const auto columns_of_slice = vo_large_stripe_columns(
        std::span<const float>(host_ratio.data() + static_cast<std::size_t>(slice) * columns, static_cast<std::size_t>(columns)),
        snr);
    stripes.insert(stripes.end(), columns_of_slice.begin(), columns_of_slice.end());
  }
  const DeviceBuffer<unsigned char> device_stripes(stripes);
  large_apply_kernel<<<blocks(s.sorted.size()), kThreadsPerBlock>>>(sinograms, s.sorted.get(), s.smooth.get(), s.order.get(),
                                                                    ratio.get(), device_stripes.get(), projections, columns,
                                                                    s.sorted.size());
  check(cudaGetLastError(), "large-stripe kernel");
}

// vo_dead_stripe_filter: roughness per column on the device, the dead columns and their good
// neighbours on the host (vo_dead_sources), the interpolation on the device.
void dead_stripe_filter(float* sinograms, int slices, int projections, int columns, double snr, int size, bool residual) {
  const std::size_t profile = static_cast<std::size_t>(slices) * static_cast<std::size_t>(columns);
  DeviceBuffer<double> roughness(profile);
  roughness_kernel<<<blocks(profile), kThreadsPerBlock>>>(sinograms, projections, columns, roughness.get(), profile);
  check(cudaGetLastError(), "roughness kernel");
  std::vector<double> host_roughness(profile);
  roughness.download(host_roughness.data());
  std::vector<int> left, right;
  left.reserve(profile), right.reserve(profile);
  for (int slice = 0; slice < slices; ++slice) {
    const auto sources = vo_dead_sources(std::span<const double>(host_roughness.data() + static_cast<std::size_t>(slice) * columns,
                                                                 static_cast<std::size_t>(columns)),
                                         snr, size);
    left.insert(left.end(), sources.left.begin(), sources.left.end());
    right.insert(right.end(), sources.right.begin(), sources.right.end());
  }
  const DeviceBuffer<int> device_left(left), device_right(right);
  const std::size_t count = sinogram_values(slices, projections, columns);
  dead_kernel<<<blocks(count), kThreadsPerBlock>>>(sinograms, device_left.get(), device_right.get(), projections, columns,
                                                   count);
  check(cudaGetLastError(), "dead-stripe kernel");
  if (residual) large_stripe_filter(sinograms, slices, projections, columns, snr, size);
}

// --- the filters ---

class SortingFilter final : public DeviceStripeFilter {
 public:
  SortingFilter(int projections, int columns, int size, int dim)
      : projections_(projections), columns_(columns), size_(size), dim_(dim) {}
  std::size_t scratch_bytes_per_slice() const override { return sorted_smoothed_bytes(projections_, columns_); }
  void apply(float* sinograms, int slices) const override {
    sort_filter(sinograms, slices, projections_, columns_, size_, dim_);
  }

 private:
  int projections_, columns_, size_, dim_;
};

// vo-filter: each column mirrored by vo_filter_padding rows, low-passed along the angle (a
// DeviceColumnFilter with vo_low_pass_gains), the low-pass sort-filtered and the rest added back.
class FilteringFilter final : public DeviceStripeFilter {
 public:
  FilteringFilter(int projections, int columns, double sigma, int size, int dim)
      : projections_(projections),
        columns_(columns),
        pad_(vo_filter_padding(projections)),
        size_(size),
        dim_(dim),
        low_pass_(projections + 2 * pad_, columns,
                  normalised_column_gains(vo_low_pass_gains(projections + 2 * pad_, sigma), projections + 2 * pad_)) {}

  std::size_t scratch_bytes_per_slice() const override {
    const std::size_t padded = static_cast<std::size_t>(projections_ + 2 * pad_) * static_cast<std::size_t>(columns_);
    return padded * sizeof(float) + low_pass_.scratch_bytes_per_image() +
           static_cast<std::size_t>(projections_) * static_cast<std::size_t>(columns_) * sizeof(float) +
           sorted_smoothed_bytes(projections_, columns_);
  }

  void apply(float* sinograms, int slices) const override {
    const std::size_t count = sinogram_values(slices, projections_, columns_);
    DeviceBuffer<float> padded(sinogram_values(slices, projections_ + 2 * pad_, columns_)), smooth(count);
    pad_columns_kernel<<<blocks(padded.size()), kThreadsPerBlock>>>(sinograms, projections_, columns_, pad_, padded.get(),
                                                                    padded.size());
    check(cudaGetLastError(), "column padding kernel");
    low_pass_.apply(padded.get(), slices);
    split_kernel<<<blocks(count), kThreadsPerBlock>>>(sinograms, padded.get(), smooth.get(), projections_, columns_, pad_,
                                                      count);
    check(cudaGetLastError(), "low-pass split kernel");
    sort_filter(smooth.get(), slices, projections_, columns_, size_, dim_);
    join_kernel<<<blocks(count), kThreadsPerBlock>>>(sinograms, smooth.get(), count);
    check(cudaGetLastError(), "join kernel");
  }

 private:
  int projections_, columns_, pad_, size_, dim_;
  DeviceColumnFilter low_pass_;
};

// vo-large, vo-dead and vo-all (dead without its residual step, then large, then sorting).
class StripeRepairFilter final : public DeviceStripeFilter {
 public:
  StripeRepairFilter(RingMethod method, int projections, int columns, double snr, int large_size, int sorting_size,
                     int sorting_dim)
      : method_(method),
        projections_(projections),
        columns_(columns),
        snr_(snr),
        large_size_(large_size),
        sorting_size_(sorting_size),
        sorting_dim_(sorting_dim) {}

  std::size_t scratch_bytes_per_slice() const override {
    return sorted_smoothed_bytes(projections_, columns_) +
           static_cast<std::size_t>(columns_) * (sizeof(double) + 3 * sizeof(int));
  }

  void apply(float* sinograms, int slices) const override {
    if (method_ == RingMethod::vo_large) {
      large_stripe_filter(sinograms, slices, projections_, columns_, snr_, large_size_);
    } else if (method_ == RingMethod::vo_dead) {
      dead_stripe_filter(sinograms, slices, projections_, columns_, snr_, large_size_, true);
    } else {
      // Dead columns first: they would spoil the others' medians.
      dead_stripe_filter(sinograms, slices, projections_, columns_, snr_, large_size_, false);
      large_stripe_filter(sinograms, slices, projections_, columns_, snr_, large_size_);
      sort_filter(sinograms, slices, projections_, columns_, sorting_size_, sorting_dim_);
    }
  }

 private:
  RingMethod method_;
  int projections_, columns_;
  double snr_;
  int large_size_, sorting_size_, sorting_dim_;
};

// vo-fit: each column reflected and fitted by cuFFT's batched transforms (the fit's gains from
// VoFitTables), the fit padded and low-passed by a 2-D cuFFT transform, each column's magnitudes
// summed on the device and the sinogram's rescaling decided on the host (vo_fit_rescaling), then
// every value rescaled.
class FittingFilter final : public DeviceStripeFilter {
 public:
  FittingFilter(int projections, int columns, int order, double sigma)
      : t_(vo_fit_tables(projections, columns, order, sigma)),
        fit_gains_(t_.fit_gains),
        row_gains_(t_.row_gains),
        column_gains_(t_.column_gains),
        fit_forward_({t_.fit_rows}, columns, CUFFT_R2C),
        fit_backward_({t_.fit_rows}, columns, CUFFT_C2R),
        forward_({t_.padded_rows, t_.padded_columns}, 1, CUFFT_R2C),
        backward_({t_.padded_rows, t_.padded_columns}, 1, CUFFT_C2R) {}

  std::size_t scratch_bytes_per_slice() const override {
    const auto columns = static_cast<std::size_t>(t_.columns);
    return fit_values() * sizeof(float) + fit_bins() * sizeof(cufftComplex) + padded_values() * sizeof(float) +
           bins() * sizeof(cufftComplex) + columns * (sizeof(float) + sizeof(VoFitMagnitudes)) + sizeof(VoFitRescaling);
  }

  void apply(float* sinograms, int slices) const override {
    const auto n = static_cast<std::size_t>(slices), columns = n * static_cast<std::size_t>(t_.columns);
    DeviceBuffer<float> fit(n * fit_values()), mean(columns), padded(n * padded_values());
    DeviceBuffer<cufftComplex> fit_spectrum(n * fit_bins()), spectrum(n * bins());
    DeviceBuffer<VoFitMagnitudes> magnitudes(columns);
    DeviceBuffer<VoFitRescaling> rescaling(n);
    const VoFitBuffers b{sinograms,
                         fit.get(),
                         reinterpret_cast<float*>(fit_spectrum.get()),
                         mean.get(),
                         padded.get(),
                         reinterpret_cast<float*>(spectrum.get()),
                         magnitudes.get(),
                         rescaling.get(),
                         fit_gains_.get(),
                         row_gains_.get(),
                         column_gains_.get(),
                         t_.projections,
                         t_.columns,
                         t_.fit_half,
                         t_.fit_rows,
                         static_cast<int>(t_.fit_gains.size()),
                         t_.pad,
                         t_.padded_rows,
                         t_.padded_columns,
                         static_cast<int>(t_.column_gains.size())};
    for_each_index<vo_fit_reflect_step><<<blocks(fit.size()), kThreadsPerBlock>>>(b, fit.size());
    check(cudaGetLastError(), "fit reflection kernel");
    for (std::size_t s = 0; s < n; ++s)
      check(cufftExecR2C(fit_forward_.get(), fit.get() + s * fit_values(), fit_spectrum.get() + s * fit_bins()),
            "fit column transforms");
    for_each_index<vo_fit_gain_step><<<blocks(fit_spectrum.size()), kThreadsPerBlock>>>(b, fit_spectrum.size());
    check(cudaGetLastError(), "fit gain kernel");
    for (std::size_t s = 0; s < n; ++s)
      check(cufftExecC2R(fit_backward_.get(), fit_spectrum.get() + s * fit_bins(), fit.get() + s * fit_values()),
            "inverse fit column transforms");
    for_each_index<vo_fit_mean_step><<<blocks(columns), kThreadsPerBlock>>>(b, columns);
    check(cudaGetLastError(), "fit mean kernel");
    for_each_index<vo_fit_pad_step><<<blocks(padded.size()), kThreadsPerBlock>>>(b, padded.size());
    check(cudaGetLastError(), "fit padding kernel");
    for (std::size_t s = 0; s < n; ++s)
      check(cufftExecR2C(forward_.get(), padded.get() + s * padded_values(), spectrum.get() + s * bins()),
            "fit low-pass transform");
    for_each_index<vo_fit_low_pass_step><<<blocks(spectrum.size()), kThreadsPerBlock>>>(b, spectrum.size());
    check(cudaGetLastError(), "fit low-pass kernel");
    for (std::size_t s = 0; s < n; ++s)
      check(cufftExecC2R(backward_.get(), spectrum.get() + s * bins(), padded.get() + s * padded_values()),
            "inverse fit low-pass transform");
    for_each_index<vo_fit_magnitudes_step><<<blocks(columns), kThreadsPerBlock>>>(b, columns);
    check(cudaGetLastError(), "fit magnitudes kernel");
    std::vector<VoFitMagnitudes> host_magnitudes(columns);
    magnitudes.download(host_magnitudes.data());
    std::vector<VoFitRescaling> host_rescaling(n);
    for (std::size_t s = 0; s < n; ++s)
      host_rescaling[s] = vo_fit_rescaling(std::span<const VoFitMagnitudes>(
          host_magnitudes.data() + s * static_cast<std::size_t>(t_.columns), static_cast<std::size_t>(t_.columns)));
    rescaling.upload(host_rescaling.data());
    const std::size_t count = sinogram_values(slices, t_.projections, t_.columns);
    for_each_index<vo_fit_rescale_step><<<blocks(count), kThreadsPerBlock>>>(b, count);
    check(cudaGetLastError(), "fit rescaling kernel");
  }

 private:
  // Per slice: the reflected columns, their spectra, the padded fit and its spectrum.
  std::size_t fit_values() const { return static_cast<std::size_t>(t_.columns) * static_cast<std::size_t>(t_.fit_rows); }
  std::size_t fit_bins() const { return static_cast<std::size_t>(t_.columns) * t_.fit_gains.size(); }
  std::size_t padded_values() const {
    return static_cast<std::size_t>(t_.padded_rows) * static_cast<std::size_t>(t_.padded_columns);
  }
  std::size_t bins() const { return static_cast<std::size_t>(t_.padded_rows) * t_.column_gains.size(); }

  VoFitTables t_;
  DeviceBuffer<float> fit_gains_, row_gains_, column_gains_;
  FftPlan fit_forward_, fit_backward_, forward_, backward_;
};

int whole(double value) { return static_cast<int>(value); }

// Vo's DIM field: 0 (not given) is 1, as on the CPU (ring_removal.cpp).
int dimension(double value) { return value == 0 ? 1 : whole(value); }

}  // namespace

std::unique_ptr<DeviceStripeFilter> make_vo_stripe_filter(const RingFilter& f, int projections, int columns) {
  switch (f.method) {
    case RingMethod::vo_sort: return std::make_unique<SortingFilter>(projections, columns, whole(f.p1), dimension(f.p2));
    case RingMethod::vo_filter:
      return std::make_unique<FilteringFilter>(projections, columns, f.p1, whole(f.p2), dimension(f.p3));
    case RingMethod::vo_large:
    case RingMethod::vo_dead:
      return std::make_unique<StripeRepairFilter>(f.method, projections, columns, f.p1, whole(f.p2), 0, 1);
    case RingMethod::vo_all:
      return std::make_unique<StripeRepairFilter>(f.method, projections, columns, f.p1, whole(f.p2), whole(f.p3),
                                                  dimension(f.p4));
    case RingMethod::vo_fit: return std::make_unique<FittingFilter>(projections, columns, whole(f.p1), f.p2);
    default: cuda_fail("CUDA ring removal: '" + tomo::to_string(f) + "' is not one of Vo's methods");
  }
}

}  // namespace tomo::cuda
