#include "kernels/phase_retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/correction_math.hpp"
#include "kernels/error.hpp"
#include "kernels/fft_length.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/parallel.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kHcKevNm = 1.239841984;  // h·c in keV·nm

// Bounds: wide enough for every synchrotron and laboratory set-up, narrow enough to catch a unit
// slip (a distance given in metres, a pixel size in mm).
constexpr double kMinEnergyKev = 1, kMaxEnergyKev = 500;  // below 1 keV nothing crosses a sample
constexpr double kMaxDistanceMm = 1e5;                     // 100 m: beyond any detector arm
constexpr double kMinPixelUm = 0.01, kMaxPixelUm = 1000;   // 10 nm (nano-CT) to 1 mm
constexpr double kMaxDeltaOverBeta = 1e5;                  // soft tissue at high energy is ~1e3–1e4
constexpr double kMaxPadFactor = 4;                        // beyond, only memory grows
constexpr double kMaxUnsharpSigma = 100, kMaxUnsharpAmount = 10;
// A padded projection above this many pixels (2 GiB of float) is a mistake, not a detector.
constexpr double kMaxPaddedPixels = 512.0 * 1024 * 1024;

void check_range(const char* field, double value, double low, double high, bool low_open, const char* unit) {
  const bool above_low = low_open ? value > low : value >= low;
  if (!std::isfinite(value) || !above_low || value > high)
    fail("phase retrieval: {} = {} is out of range {}{}, {}]{}", field, value, low_open ? "(" : "[", low, high, unit);
}

// 1 + amount · (1 − exp(−2π²σ²|ν|²)): the unsharp mask's transfer function (the Gaussian's
// continuous transform, sampled), 1 at ν = 0.
double unsharp_response(const PhaseRetrieval& p, double nu2) {
  if (p.unsharp_amount <= 0) return 1.0;
  return 1.0 + p.unsharp_amount * (1.0 - std::exp(-2.0 * kPi * kPi * p.unsharp_sigma_px * p.unsharp_sigma_px * nu2));
}

bool needs_transform(const PhaseRetrieval& p) {
  return p.method != PhaseRetrieval::Method::none || p.unsharp_amount > 0;
}

}  // namespace

void validate(const PhaseRetrieval& p) {
  using Method = PhaseRetrieval::Method;
  if (p.method != Method::none && p.method != Method::paganin && p.method != Method::generalised_paganin)
    fail("phase retrieval: unknown method {}", static_cast<int>(p.method));
  if (p.method != Method::none) {
    check_range("energy_kev", p.energy_kev, kMinEnergyKev, kMaxEnergyKev, false, " keV");
    check_range("distance_mm", p.distance_mm, 0, kMaxDistanceMm, true, " mm");
    check_range("pixel_size_um", p.pixel_size_um, kMinPixelUm, kMaxPixelUm, false, " µm");
    check_range("delta_over_beta", p.delta_over_beta, 0, kMaxDeltaOverBeta, true, "");
  }
  check_range("pad_factor", p.pad_factor, 1, kMaxPadFactor, false, "");
  check_range("unsharp_sigma_px", p.unsharp_sigma_px, 0, kMaxUnsharpSigma, false, " pixels");
  check_range("unsharp_amount", p.unsharp_amount, 0, kMaxUnsharpAmount, false, "");
  if (p.unsharp_amount > 0 && p.unsharp_sigma_px <= 0)
    fail("phase retrieval: unsharp_amount = {} needs unsharp_sigma_px > 0 (got {})", p.unsharp_amount, p.unsharp_sigma_px);
}

double wavelength_m(double energy_kev) { return kHcKevNm * 1e-9 / energy_kev; }

double phase_filter_alpha(const PhaseRetrieval& p) {
  if (p.method == PhaseRetrieval::Method::none) return 0.0;
  const double z = p.distance_mm * 1e-3, w = p.pixel_size_um * 1e-6;
  return z * wavelength_m(p.energy_kev) * p.delta_over_beta / (4.0 * kPi * w * w);
}

double phase_filter_response(const PhaseRetrieval& p, double nu_y, double nu_x) {
  const double alpha = phase_filter_alpha(p);
  const double nu2 = nu_y * nu_y + nu_x * nu_x;
  double denominator = 1.0;
  switch (p.method) {
    case PhaseRetrieval::Method::none: break;
    case PhaseRetrieval::Method::paganin: denominator = 1.0 + alpha * 4.0 * kPi * kPi * nu2; break;
    case PhaseRetrieval::Method::generalised_paganin:
      // −(discrete Laplacian) in Fourier space, in units of 1/W²: 4 − 2cos(2πν_x) − 2cos(2πν_y).
      denominator = 1.0 + alpha * (4.0 - 2.0 * std::cos(2.0 * kPi * nu_x) - 2.0 * std::cos(2.0 * kPi * nu_y));
      break;
  }
  return unsharp_response(p, nu2) / denominator;
}

int phase_margin_rows(const PhaseRetrieval& p) {
  validate(p);
  const double reach = 6.0 * std::sqrt(phase_filter_alpha(p)) + (p.unsharp_amount > 0 ? 4.0 * p.unsharp_sigma_px : 0.0);
  return static_cast<int>(std::ceil(reach));
}

struct PhaseRetriever::Plans {
  fftw::Plan forward;
  fftw::Plan backward;
};

PhaseRetriever::PhaseRetriever(const PhaseRetrieval& params, int rows, int columns)
    : params_(params), rows_(rows), columns_(columns) {
  validate(params_);
  if (rows <= 0 || columns <= 0) fail("phase retrieval: projection of {} × {} pixels is empty", rows, columns);
  if (!needs_transform(params_)) return;
  padded_rows_ = smooth_fft_length(static_cast<int>(std::ceil(params_.pad_factor * rows)));
  padded_columns_ = smooth_fft_length(static_cast<int>(std::ceil(params_.pad_factor * columns)));
  if (static_cast<double>(padded_rows_) * padded_columns_ > kMaxPaddedPixels)
    fail("phase retrieval: a {} × {} projection padded to {} × {} is too large (at most {} pixels)", rows, columns,
         padded_rows_, padded_columns_, kMaxPaddedPixels);
  // Centred, so that both edges get the same margin.
  top_ = (padded_rows_ - rows) / 2;
  left_ = (padded_columns_ - columns) / 2;

  const int bins = padded_columns_ / 2 + 1;
  const double scale = 1.0 / (static_cast<double>(padded_rows_) * padded_columns_);  // FFTW's inverse is unnormalised
  response_.resize(static_cast<std::size_t>(padded_rows_) * bins);
  for (int r = 0; r < padded_rows_; ++r) {
    const int wrapped = r <= padded_rows_ / 2 ? r : r - padded_rows_;
    const double nu_y = static_cast<double>(wrapped) / padded_rows_;
    for (int c = 0; c < bins; ++c) {
      const double nu_x = static_cast<double>(c) / padded_columns_;
      response_[static_cast<std::size_t>(r) * bins + c] = static_cast<float>(phase_filter_response(params_, nu_y, nu_x) * scale);
    }
  }

  plans_ = std::make_unique<Plans>();
  auto real = fftw::alloc_real(static_cast<std::size_t>(padded_rows_) * padded_columns_);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * bins);
  std::lock_guard lock(fftw::planner_mutex());
  plans_->forward.reset(fftwf_plan_dft_r2c_2d(padded_rows_, padded_columns_, real.get(), spectrum.get(), FFTW_ESTIMATE));
  plans_->backward.reset(fftwf_plan_dft_c2r_2d(padded_rows_, padded_columns_, spectrum.get(), real.get(), FFTW_ESTIMATE));
  if (!plans_->forward || !plans_->backward)
    fail("FFTW could not plan a {} × {} transform", padded_rows_, padded_columns_);
}

PhaseRetriever::~PhaseRetriever() = default;

std::int64_t PhaseRetriever::workspace_bytes(int threads) const {
  if (!plans_) return 0;
  const std::int64_t pixels = std::int64_t{padded_rows_} * padded_columns_;
  const std::int64_t bins = std::int64_t{padded_rows_} * (padded_columns_ / 2 + 1);
  const std::int64_t per_thread = pixels * std::int64_t{sizeof(float)} + bins * std::int64_t{sizeof(fftwf_complex)};
  return bins * std::int64_t{sizeof(float)} + std::int64_t{threads} * per_thread;
}

std::int64_t PhaseRetriever::apply_one(float* projection, float* real, void* spectrum_memory) const {
  const std::size_t n = static_cast<std::size_t>(columns_);
  std::int64_t clamped = 0;
  const TransmissionBounds bounds;
  if (plans_) {
    auto* spectrum = static_cast<fftwf_complex*>(spectrum_memory);
    const std::size_t m = static_cast<std::size_t>(padded_columns_);
    // Edge replication: the padding continues each border row and column outwards (the air
    // around a sample stays air, a sample cut by the edge continues as it was), so the padded
    // image has no step at the projection's border. The one step left, where the replicated
    // borders meet across the periodic boundary, lies half the padding away from the data.
    for (int r = 0; r < padded_rows_; ++r)
      for (int c = 0; c < padded_columns_; ++c)
        real[static_cast<std::size_t>(r) * m + static_cast<std::size_t>(c)] = edge_padded(projection, rows_, columns_, columns_, top_, left_, r, c);
    fftwf_execute_dft_r2c(plans_->forward.get(), real, spectrum);
    const std::size_t bins = static_cast<std::size_t>(padded_rows_) * (m / 2 + 1);
    for (std::size_t k = 0; k < bins; ++k) {
      spectrum[k][0] *= response_[k];
      spectrum[k][1] *= response_[k];
    }
    fftwf_execute_dft_c2r(plans_->backward.get(), spectrum, real);
    for (int r = 0; r < rows_; ++r)
      std::copy_n(real + static_cast<std::size_t>(r + top_) * m + left_, n, projection + static_cast<std::size_t>(r) * n);
  }
  // μT = −ln(retrieved transmission), with the flat-field correction's clamp.
  const std::size_t pixels = static_cast<std::size_t>(rows_) * n;
  for (std::size_t i = 0; i < pixels; ++i) {
    bool was_clamped = false;
    projection[i] = line_integral(projection[i], 0.0f, 1.0f, bounds, &was_clamped);
    clamped += was_clamped;
  }
  return clamped;
}

std::int64_t PhaseRetriever::apply(std::span<float> projection) const {
  return apply(projection, 1);
}

std::int64_t PhaseRetriever::apply(std::span<float> projections, int threads) const {
  const std::size_t size = static_cast<std::size_t>(rows_) * columns_;
  if (projections.size() % size != 0)
    fail("phase retrieval: {} values are not whole projections of {} × {}", projections.size(), rows_, columns_);
  return apply_each(projections.size() / size, threads, [&](std::size_t i, float*) { return projections.data() + i * size; },
                    nullptr);
}

std::int64_t PhaseRetriever::apply_to_sinograms(std::span<float> sinograms, int projections, int threads) const {
  const std::size_t n = static_cast<std::size_t>(columns_), p = static_cast<std::size_t>(projections);
  const std::size_t rows = static_cast<std::size_t>(rows_);
  if (sinograms.size() != rows * p * n)
    fail("phase retrieval: {} values do not make {} rows x {} projections x {} columns", sinograms.size(), rows_,
         projections, columns_);
  const auto line = [&](std::size_t projection, std::size_t row) { return sinograms.data() + (row * p + projection) * n; };
  return apply_each(
      p, threads,
      [&](std::size_t projection, float* gathered) {
        for (std::size_t r = 0; r < rows; ++r) std::copy_n(line(projection, r), n, gathered + r * n);
        return gathered;
      },
      [&](std::size_t projection, const float* done) {
        for (std::size_t r = 0; r < rows; ++r) std::copy_n(done + r * n, n, line(projection, r));
      });
}

std::int64_t PhaseRetriever::apply_each(std::size_t count, int threads,
                                        const std::function<float*(std::size_t, float*)>& projection_at,
                                        const std::function<void(std::size_t, const float*)>& put_back) const {
  std::vector<std::int64_t> clamped(count, 0);
  parallel_for(count, threads, [&](std::size_t begin, std::size_t end) {
    // Buffers from fftwf_alloc have the alignment the plans were made for (new-array execute).
    fftw::RealBuffer real;
    fftw::ComplexBuffer spectrum;
    if (plans_) {
      real = fftw::alloc_real(static_cast<std::size_t>(padded_rows_) * padded_columns_);
      spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * (padded_columns_ / 2 + 1));
    }
    std::vector<float> gathered(put_back ? static_cast<std::size_t>(rows_) * columns_ : 0);
    for (std::size_t i = begin; i < end; ++i) {
      float* projection = projection_at(i, gathered.data());
      clamped[i] = apply_one(projection, real.get(), spectrum.get());
      if (put_back) put_back(i, projection);
    }
  });
  std::int64_t total = 0;
  for (const std::int64_t c : clamped) total += c;
  return total;
}

}  // namespace tomo
