#include "kernels/scan_simulator.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {
namespace {

// Stream words that keep the fixed patterns and the defect choice apart from the frames' noise
// (whose first word is the ImageKind: 0, 1 or 2).
constexpr std::uint64_t kPixelSensitivityStream = 10;
constexpr std::uint64_t kDarkPatternStream = 11;
constexpr std::uint64_t kDefectStream = 12;
constexpr std::uint64_t kFlickerStream = 13;
constexpr std::uint64_t kZingerStream = 14;
constexpr std::uint64_t kStructureStream = 15;
// Period (pixels) of the beam's moving fine structure: a few pixels, as a monochromator's stripes.
constexpr double kStructurePeriod = 23.0;

// Bounds that keep a simulation to something a workstation writes in minutes, not days.
constexpr int kMaxProjections = 100000;
constexpr int kMaxFrames = 10000;
constexpr int kMaxRows = 16384;
constexpr int kMinColumns = 16;  // below this the phantom is a few pixels wide, with no margin
constexpr int kMaxColumns = 16384;
constexpr double kMaxBytes = 64.0 * (1ULL << 30);
// Beyond this a "photon count" is a typo, not a detector: the noise would be invisible anyway.
constexpr double kMaxPhotons = 1e9;

std::uint64_t splitmix64(std::uint64_t& x) {
  x += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Hashes the seed and three words into one well-mixed 64-bit value.
std::uint64_t mix(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t x = seed;
  std::uint64_t h = splitmix64(x);
  for (const std::uint64_t word : {a, b, c}) {
    x = h ^ word;
    h = splitmix64(x);
  }
  return h;
}

// A fixed-pattern value in [−1, 1) for a pixel: the same at every frame, so flats share it.
double pattern_value(std::uint64_t seed, std::uint64_t stream, int row, int column) {
  const std::uint64_t h = mix(seed, stream, static_cast<std::uint64_t>(row), static_cast<std::uint64_t>(column));
  return static_cast<double>(h >> 11) * 0x1.0p-52 - 1.0;
}

// log(k!) for the PTRS acceptance test: exact sums for small k, Stirling's series above (error
// below 1e-10 for k ≥ 10). std::lgamma would do, but writes the global signgam from threads.
double log_factorial(double k) {
  if (k < 10.0) {
    double sum = 0.0;
    for (int i = 2; i <= static_cast<int>(k); ++i) sum += std::log(i);
    return sum;
  }
  const double inv = 1.0 / k, inv2 = inv * inv;
  return (k + 0.5) * std::log(k) - k + 0.5 * std::log(2.0 * std::numbers::pi) +
         inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 / 1260.0));
}

void check_count(const char* flag, long long value, long long low, long long high, const char* why = "") {
  if (value < low || value > high) fail("{} {} is out of range: allowed {} to {}{}", flag, value, low, high, why);
}

}  // namespace

// ---------------------------------------------------------------- parameters

void validate(const SimulationParams& p) {
  check_count("--projections", p.projections, 1, kMaxProjections);
  check_count("--rows", p.rows, 1, kMaxRows);
  check_count("--columns", p.columns, kMinColumns, kMaxColumns);
  check_count("--flats", p.flats, 1, kMaxFrames);
  check_count("--darks", p.darks, 1, kMaxFrames);
  if (p.span_deg != 180.0 && p.span_deg != 360.0) fail("--span {} is not allowed: use 180 or 360 (degrees)", p.span_deg);
  if (!(p.photons > 0.0 && p.photons <= kMaxPhotons))
    fail("--photons {} is out of range: allowed above 0 up to {:g}", p.photons, kMaxPhotons);
  check_count("--defective-columns", p.defective_columns, 0, p.columns / 4, " (a quarter of --columns)");
  check_count("--flats-after", p.flats_after, 0, kMaxFrames);
  // Bounds that keep the open beam inside the detector's range and the model a small perturbation.
  if (!(std::abs(p.beam_drift) <= 0.5)) fail("--beam-drift {} is out of range: allowed -0.5 to 0.5", p.beam_drift);
  if (!(p.beam_flicker >= 0.0 && p.beam_flicker <= 0.2))
    fail("--beam-flicker {} is out of range: allowed 0 to 0.2 (relative rms)", p.beam_flicker);
  if (!(p.zinger_fraction >= 0.0 && p.zinger_fraction <= 0.01))
    fail("--zingers {} is out of range: allowed 0 to 0.01 (fraction of pixels)", p.zinger_fraction);
  if (!(p.phase_alpha >= 0.0 && p.phase_alpha <= 1e4))
    fail("phase contrast: α = {} pixels² is out of range: allowed 0 to 10000 (check --energy, --distance, --pixel-size, "
         "--delta-beta)", p.phase_alpha);
  if (!(p.beam_structure >= 0.0 && p.beam_structure <= 0.2))
    fail("--beam-structure {} is out of range: allowed 0 to 0.2 (relative amplitude)", p.beam_structure);

  const double scan_bytes =
      2.0 * p.rows * p.columns * (static_cast<double>(p.projections) + p.flats + p.flats_after + p.darks);
  const int field = p.half_acquisition_overlap > 0 ? 2 * p.columns - p.half_acquisition_overlap : p.columns;
  const double truth_bytes = 4.0 * p.rows * static_cast<double>(field) * field;
  if (scan_bytes > kMaxBytes || truth_bytes > kMaxBytes)
    fail("--projections {} × --rows {} × --columns {} makes a {:.1f} GiB scan and a {:.1f} GiB truth file; "
         "the simulator writes at most {:.0f} GiB each",
         p.projections, p.rows, p.columns, scan_bytes / (1 << 30), truth_bytes / (1 << 30), kMaxBytes / (1 << 30));

  // The phantom must stay on the detector at every angle, with a pixel to spare.
  // Half acquisition: a few pixels of overlap at least (to stitch), at most half the detector.
  if (p.half_acquisition_overlap != 0) {
    check_count("--half-acquisition", p.half_acquisition_overlap, 4, p.columns / 2, " (half of --columns)");
    if (p.span_deg != 360.0) fail("--half-acquisition needs --span 360: each side of the sample is seen half a turn apart");
  }
  const Phantom phantom(shepp_logan_3d(), 1, field);
  const double max_offset = 0.5 * field - phantom.radius_px() - 1.0;
  if (!std::isfinite(p.cor_offset) || std::abs(p.cor_offset) > max_offset)
    fail("--cor-offset {} would move the phantom off the detector: with --columns {} it must lie within ±{:.1f} pixels",
         p.cor_offset, p.columns, max_offset);

  check_count("detector_subsamples", p.detector_subsamples, 1, 64);
  check_count("truth_subsamples", p.truth_subsamples, 1, 64);
  if (!(p.read_noise >= 0.0) || !(p.dark_level >= 0.0) || !(p.dark_pattern >= 0.0))
    fail("detector model: read noise {}, dark level {} and dark pattern {} must be ≥ 0", p.read_noise, p.dark_level,
         p.dark_pattern);
  // The brightest flat (gain up to 1 + spread) plus the dark must fit uint16 with room for noise,
  // and so must the brightest frame of a beam brightened by the drift and by four standard
  // deviations of flicker (κ · I0 = min(I0, full scale) counts in the open beam).
  if (!(p.full_scale_counts > 0.0 && p.full_scale_counts * (1.0 + p.pixel_sensitivity_spread) + p.dark_level < 60000.0))
    fail("detector model: full scale {} counts with dark {} would saturate uint16", p.full_scale_counts, p.dark_level);
  const double brightest = std::min(p.photons, p.full_scale_counts) * (1.0 + p.pixel_sensitivity_spread) *
                           std::max(1.0, 1.0 + p.beam_drift) * (1.0 + 4.0 * p.beam_flicker) * (1.0 + p.beam_structure);
  if (brightest + p.dark_level >= 60000.0)
    fail("the open beam would reach {:.0f} counts and saturate the 16-bit detector: lower --beam-drift ({}), "
         "--beam-flicker ({}) or --photons ({})",
         brightest + p.dark_level, p.beam_drift, p.beam_flicker, p.photons);
}

double beam_profile(int row, int rows, int column, int columns) {
  const double u = (column + 0.5) / columns - 0.55;  // beam centre at 55 % of the width
  const double horizontal = 0.6 + 0.4 * std::exp(-0.5 * (u / 0.35) * (u / 0.35));
  const double v = (row + 0.5) / rows - 0.5;
  const double vertical = 1.0 - 0.2 * v * v;  // 5 % dimmer at the top and bottom
  return horizontal * vertical;
}

// ---------------------------------------------------------------- random numbers

NoiseStream::NoiseStream(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t x = mix(seed, a, b, c);
  for (auto& word : state_) word = splitmix64(x);
}

std::uint64_t NoiseStream::next() {
  // xoshiro256++ (Blackman & Vigna, 2019).
  const std::uint64_t result = std::rotl(state_[0] + state_[3], 23) + state_[0];
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = std::rotl(state_[3], 45);
  return result;
}

double NoiseStream::uniform() {
  // 53 random bits, shifted half a step so that neither 0 nor 1 comes out (log(0) is -inf).
  return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
}

double NoiseStream::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u = 0, v = 0, s = 0;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_normal_ = true;
  return u * factor;
}

std::uint32_t NoiseStream::poisson(double mean) {
  if (!(mean > 0.0)) return 0;
  if (mean < 10.0) {
    // Multiplication method: the number of uniforms whose running product stays above e^−mean.
    const double limit = std::exp(-mean);
    std::uint32_t k = 0;
    for (double product = uniform(); product > limit; product *= uniform()) ++k;
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random
  // variables", Insurance: Mathematics and Economics 12 (1993) 39–45. About 86 % of draws take
  // the quick acceptance with two uniforms and no logarithm.
  const double root = std::sqrt(mean), log_mean = std::log(mean);
  const double b = 0.931 + 2.53 * root;
  const double a = -0.059 + 0.02483 * b;
  const double log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
  const double v_r = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<std::uint32_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + log_inv_alpha - std::log(a / (us * us) + b) <= -mean + k * log_mean - log_factorial(k))
      return static_cast<std::uint32_t>(k);
  }
}

std::uint16_t detector_counts(double expected_photons, double counts_per_photon, double dark_offset, double read_noise,
                              NoiseStream& noise) {
  const double photons = noise.poisson(expected_photons);
  const double value = std::round(counts_per_photon * photons + dark_offset + read_noise * noise.normal());
  return static_cast<std::uint16_t>(std::clamp(value, 0.0, 65535.0));
}

// ---------------------------------------------------------------- the simulator

// Expected photons and dark offset of every pixel of one detector row.
struct ScanSimulator::DetectorRow {
  std::vector<double> flat_photons;        // I0 · g(k, c): open beam, as the flats see it
  std::vector<double> projection_photons;  // I0 · g(k, c) · d(c): as the projections see it
  std::vector<double> dark_offset;         // o(k, c), counts
};

ScanSimulator::ScanSimulator(SimulationParams params)
    : params_((validate(params), params)), phantom_(shepp_logan_3d(), params_.rows, field_width()) {
  const int n = params_.columns;
  defect_gain_.assign(static_cast<std::size_t>(n), 1.0);
  if (params_.defective_columns == 0) return;
  // Defects only matter where the sample is: pick them among the columns its shadow covers, so
  // that every ring they make lies inside the reconstructed object.
  const double reach = 0.9 * phantom_.radius_px();
  std::vector<int> candidates;
  for (int c = 0; c < n; ++c)
    if (std::abs(c - axis()) < reach) candidates.push_back(c);
  NoiseStream choose(params_.seed, kDefectStream, 0, 0);
  const std::size_t k = std::min(candidates.size(), static_cast<std::size_t>(params_.defective_columns));
  for (std::size_t i = 0; i < k; ++i) {  // partial Fisher–Yates shuffle
    const std::size_t j = i + static_cast<std::size_t>(choose.uniform() * static_cast<double>(candidates.size() - i));
    std::swap(candidates[i], candidates[std::min(j, candidates.size() - 1)]);
    const double size = params_.defect_min + (params_.defect_max - params_.defect_min) * choose.uniform();
    const double sign = choose.uniform() < 0.5 ? -1.0 : 1.0;
    defect_gain_[static_cast<std::size_t>(candidates[i])] = 1.0 + sign * size;
  }
  defective_columns_.assign(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(defective_columns_.begin(), defective_columns_.end());
}

double ScanSimulator::axis() const {
  const double centre = params_.half_acquisition_overlap > 0 ? 0.5 * params_.half_acquisition_overlap : 0.5 * params_.columns;
  return centre + params_.cor_offset;
}

int ScanSimulator::field_width() const {
  return params_.half_acquisition_overlap > 0 ? 2 * params_.columns - params_.half_acquisition_overlap : params_.columns;
}

double ScanSimulator::counts_per_photon() const { return std::min(1.0, params_.full_scale_counts / params_.photons); }

std::vector<double> ScanSimulator::angles_deg() const {
  std::vector<double> angles(static_cast<std::size_t>(params_.projections));
  for (int i = 0; i < params_.projections; ++i)
    angles[static_cast<std::size_t>(i)] = i * params_.span_deg / params_.projections;
  return angles;
}

int nxtomo_image_key(ImageKind kind) { return kind == ImageKind::flat_after ? 1 : static_cast<int>(kind); }

int ScanSimulator::frames(ImageKind kind) const {
  switch (kind) {
    case ImageKind::projection: return params_.projections;
    case ImageKind::flat: return params_.flats;
    case ImageKind::dark: return params_.darks;
    case ImageKind::flat_after: return params_.flats_after;
  }
  return 0;
}

void ScanSimulator::beam_structure(ImageKind kind, int frame, std::span<double> out) const {
  if (params_.beam_structure == 0.0 || kind == ImageKind::dark) {
    std::fill(out.begin(), out.end(), 1.0);
    return;
  }
  NoiseStream draw(params_.seed, kStructureStream, static_cast<std::uint64_t>(kind), static_cast<std::uint64_t>(frame));
  const double phase = 2.0 * std::numbers::pi * draw.uniform();  // one draw per frame
  for (std::size_t c = 0; c < out.size(); ++c)
    out[c] = 1.0 + params_.beam_structure * std::sin(2.0 * std::numbers::pi * static_cast<double>(c) / kStructurePeriod + phase);
}

double ScanSimulator::beam_intensity(ImageKind kind, int frame) const {
  switch (kind) {
    case ImageKind::dark: return 1.0;
    case ImageKind::flat: return 1.0;
    case ImageKind::flat_after: return 1.0 + params_.beam_drift;
    case ImageKind::projection: {
      const double progress = params_.projections > 1 ? static_cast<double>(frame) / (params_.projections - 1) : 0.0;
      double flicker = 0.0;
      if (params_.beam_flicker > 0.0) {  // one draw per projection, the same for every row
        NoiseStream draw(params_.seed, kFlickerStream, static_cast<std::uint64_t>(frame), 0);
        flicker = params_.beam_flicker * draw.normal();
      }
      return (1.0 + params_.beam_drift * progress) * std::max(0.1, 1.0 + flicker);
    }
  }
  return 1.0;
}

ScanSimulator::DetectorRow ScanSimulator::detector_row(int row) const {
  const int n = params_.columns;
  DetectorRow d;
  d.flat_photons.resize(static_cast<std::size_t>(n));
  d.projection_photons.resize(static_cast<std::size_t>(n));
  d.dark_offset.resize(static_cast<std::size_t>(n));
  for (int c = 0; c < n; ++c) {
    const auto i = static_cast<std::size_t>(c);
    const double sensitivity =
        1.0 + params_.pixel_sensitivity_spread * pattern_value(params_.seed, kPixelSensitivityStream, row, c);
    d.flat_photons[i] = params_.photons * beam_profile(row, params_.rows, c, n) * sensitivity;
    d.projection_photons[i] = d.flat_photons[i] * defect_gain_[i];
    d.dark_offset[i] = params_.dark_level + params_.dark_pattern * pattern_value(params_.seed, kDarkPatternStream, row, c);
  }
  return d;
}

void ScanSimulator::check_block(int first_row, int row_count, std::size_t out_size, std::size_t per_row,
                                const char* what) const {
  if (first_row < 0 || row_count < 0 || first_row + row_count > params_.rows)
    fail("simulator: rows [{}, {}) asked for {}, the scan has {} rows", first_row, first_row + row_count, what,
         params_.rows);
  if (out_size != per_row * static_cast<std::size_t>(row_count))
    fail("simulator: output for {} holds {} values, {} rows need {}", what, out_size, row_count,
         per_row * static_cast<std::size_t>(row_count));
}

namespace {

// I/I0 = (1 − α ∇²) exp(−p) of one detector row, from the line integrals of the row and of its
// neighbours above and below (five-point Laplacian in pixels, the row's ends repeated).
void phase_contrast(const std::vector<double>& p, const std::vector<double>& above, const std::vector<double>& below,
                    double alpha, std::vector<double>& transmission) {
  const std::size_t n = p.size();
  for (std::size_t c = 0; c < n; ++c) {
    const double here = std::exp(-p[c]);
    const double left = std::exp(-p[c > 0 ? c - 1 : c]), right = std::exp(-p[c + 1 < n ? c + 1 : c]);
    const double laplacian = left + right + std::exp(-above[c]) + std::exp(-below[c]) - 4.0 * here;
    transmission[c] = here - alpha * laplacian;
  }
}

}  // namespace

void ScanSimulator::expected_counts(ImageKind kind, int row, int frame, std::span<double> out) const {
  const int n = params_.columns;
  check_block(row, 1, out.size(), static_cast<std::size_t>(n), "expected counts");
  const DetectorRow d = detector_row(row);
  std::vector<double> p(static_cast<std::size_t>(n), 0.0), transmission(p.size(), 1.0);
  if (kind == ImageKind::projection) {
    const double theta = angles_deg().at(static_cast<std::size_t>(frame)) * std::numbers::pi / 180.0;
    project_slice(phantom_.slice(row), theta, axis(), params_.detector_subsamples, p);
    for (std::size_t c = 0; c < p.size(); ++c) transmission[c] = std::exp(-p[c]);
    if (params_.phase_alpha > 0.0) {
      std::vector<double> above(p.size()), below(p.size());
      project_slice(phantom_.slice(std::max(row - 1, 0)), theta, axis(), params_.detector_subsamples, above);
      project_slice(phantom_.slice(std::min(row + 1, params_.rows - 1)), theta, axis(), params_.detector_subsamples, below);
      phase_contrast(p, above, below, params_.phase_alpha, transmission);
    }
  }
  const double beam = beam_intensity(kind, frame);
  std::vector<double> structure(out.size());
  beam_structure(kind, frame, structure);
  for (std::size_t c = 0; c < out.size(); ++c) {
    double photons = 0.0;
    if (kind == ImageKind::flat || kind == ImageKind::flat_after) photons = d.flat_photons[c];
    if (kind == ImageKind::projection) photons = d.projection_photons[c] * transmission[c];
    out[c] = counts_per_photon() * beam * structure[c] * photons + d.dark_offset[c];
  }
}


// Scratch for one frame's detector row, reused from row to row by one thread.
struct ScanSimulator::RowScratch {
  explicit RowScratch(int columns)
      : structure(static_cast<std::size_t>(columns), 1.0), p(static_cast<std::size_t>(columns), 0.0),
        transmission(p.size(), 1.0), above(p.size()), below(p.size()) {}
  std::vector<double> structure;     // the beam's moving fine structure
  std::vector<double> p;             // line integrals of the row
  std::vector<double> transmission;  // I/I0
  std::vector<double> above, below;  // line integrals of the neighbouring rows (phase contrast)
};

// The one definition of a frame's noisy counts on one detector row, whatever order the caller
// simulates in: the noise stream belongs to (kind, row, frame), so rows simulated by blocks of
// rows and by blocks of frames hold the same counts. `slices` are the phantom's slices at rows
// row - 1, row and row + 1 (clamped to the detector; only the middle one without phase contrast).
void ScanSimulator::simulate_row(ImageKind kind, int row, int frame, const DetectorRow& d,
                                 std::span<const std::vector<Ellipse>* const, 3> slices, const std::vector<double>& angles,
                                 RowScratch& scratch, std::uint16_t* counts) const {
  const auto n = static_cast<std::size_t>(params_.columns);
  NoiseStream noise(params_.seed, static_cast<std::uint64_t>(kind), static_cast<std::uint64_t>(row),
                    static_cast<std::uint64_t>(frame));
  if (kind == ImageKind::projection) {
    const double theta = angles[static_cast<std::size_t>(frame)] * std::numbers::pi / 180.0;
    project_slice(*slices[1], theta, axis(), params_.detector_subsamples, scratch.p);
    for (std::size_t c = 0; c < n; ++c) scratch.transmission[c] = std::exp(-scratch.p[c]);
    if (params_.phase_alpha > 0.0) {
      project_slice(*slices[0], theta, axis(), params_.detector_subsamples, scratch.above);
      project_slice(*slices[2], theta, axis(), params_.detector_subsamples, scratch.below);
      phase_contrast(scratch.p, scratch.above, scratch.below, params_.phase_alpha, scratch.transmission);
    }
  }
  const double beam = beam_intensity(kind, frame);
  if (params_.beam_structure > 0.0) beam_structure(kind, frame, scratch.structure);
  const double kappa = counts_per_photon();
  for (std::size_t c = 0; c < n; ++c) {
    double photons = 0.0;
    const double open = beam * scratch.structure[c];
    if (kind == ImageKind::flat || kind == ImageKind::flat_after) photons = open * d.flat_photons[c];
    if (kind == ImageKind::projection) photons = open * d.projection_photons[c] * scratch.transmission[c];
    counts[c] = detector_counts(photons, kappa, d.dark_offset[c], params_.read_noise, noise);
  }
  if (kind == ImageKind::projection && params_.zinger_fraction > 0.0) add_zingers(row, frame, d, counts);
}

void ScanSimulator::simulate(ImageKind kind, int first_row, int row_count, std::span<std::uint16_t> out,
                             int threads) const {
  const int n = params_.columns;
  const int frame_count = frames(kind);
  const auto per_row = static_cast<std::size_t>(frame_count) * static_cast<std::size_t>(n);
  check_block(first_row, row_count, out.size(), per_row, "simulated counts");

  std::vector<DetectorRow> detector(static_cast<std::size_t>(row_count));
  // The slices of the rows, and with phase contrast of the row above and below the block too
  // (the Laplacian reaches them; beyond the detector the edge row repeats).
  const bool phase = params_.phase_alpha > 0.0 && kind == ImageKind::projection;
  const int halo = phase ? 1 : 0;
  std::vector<std::vector<Ellipse>> slices(static_cast<std::size_t>(row_count + 2 * halo));
  parallel_for(detector.size(), threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) detector[r] = detector_row(first_row + static_cast<int>(r));
  });
  for (int k = 0; k < row_count + 2 * halo; ++k)
    slices[static_cast<std::size_t>(k)] = phantom_.slice(std::clamp(first_row - halo + k, 0, params_.rows - 1));
  const std::vector<double> angles = angles_deg();

  // One work item per (row, frame): fine enough to keep every thread busy on thin blocks.
  const std::size_t items = static_cast<std::size_t>(row_count) * static_cast<std::size_t>(frame_count);
  parallel_for(items, threads, [&](std::size_t begin, std::size_t end) {
    RowScratch scratch(n);
    for (std::size_t item = begin; item < end; ++item) {
      const std::size_t r = item / static_cast<std::size_t>(frame_count);
      const int frame = static_cast<int>(item % static_cast<std::size_t>(frame_count));
      const std::size_t here = r + static_cast<std::size_t>(halo);
      const std::array<const std::vector<Ellipse>*, 3> around{&slices[here - static_cast<std::size_t>(halo)],
                                                               &slices[here],
                                                               &slices[here + static_cast<std::size_t>(halo)]};
      simulate_row(kind, first_row + static_cast<int>(r), frame, detector[r], around, angles, scratch,
                   out.data() + item * static_cast<std::size_t>(n));
    }
  });
}

void ScanSimulator::simulate_frames(ImageKind kind, int first_frame, int frame_count, std::span<std::uint16_t> out,
                                    int threads) const {
  const int rows = params_.rows;
  const auto n = static_cast<std::size_t>(params_.columns);
  if (first_frame < 0 || frame_count < 0 || first_frame + frame_count > frames(kind))
    fail("simulator: frames [{}, {}) asked for, the scan has {} of that kind", first_frame, first_frame + frame_count,
         frames(kind));
  const std::size_t per_frame = static_cast<std::size_t>(rows) * n;
  if (out.size() != per_frame * static_cast<std::size_t>(frame_count))
    fail("simulator: output for {} frames holds {} values, {} rows x {} columns each need {}", frame_count, out.size(),
         rows, n, per_frame * static_cast<std::size_t>(frame_count));
  const bool phase = params_.phase_alpha > 0.0 && kind == ImageKind::projection;
  const std::vector<double> angles = angles_deg();

  // One work item per row, which then runs over the frames: a row's gain, dark offset and
  // phantom slice are set up once per call, not once per frame.
  parallel_for(static_cast<std::size_t>(rows), threads, [&](std::size_t begin, std::size_t end) {
    RowScratch scratch(params_.columns);
    for (std::size_t r = begin; r < end; ++r) {
      const int row = static_cast<int>(r);
      const DetectorRow d = detector_row(row);
      const std::vector<Ellipse> here = phantom_.slice(row);
      std::vector<Ellipse> above, below;
      if (phase) {
        above = phantom_.slice(std::max(row - 1, 0));
        below = phantom_.slice(std::min(row + 1, rows - 1));
      }
      const std::array<const std::vector<Ellipse>*, 3> around{phase ? &above : &here, &here, phase ? &below : &here};
      for (int f = 0; f < frame_count; ++f)
        simulate_row(kind, row, first_frame + f, d, around, angles, scratch,
                     out.data() + (static_cast<std::size_t>(f) * per_frame + r * n));
    }
  });
}

// Zingers on one frame's row: the gaps between hit pixels are geometric (each pixel is hit with
// probability zinger_fraction), drawn from a stream of their own so that the counts elsewhere
// are those of a scan without zingers.
void ScanSimulator::add_zingers(int row, int frame, const DetectorRow& d, std::uint16_t* counts) const {
  NoiseStream draw(params_.seed, kZingerStream, static_cast<std::uint64_t>(row), static_cast<std::uint64_t>(frame));
  const double log_miss = std::log1p(-params_.zinger_fraction);
  const auto n = static_cast<std::size_t>(params_.columns);
  // Pixels missed before the next hit, at most the row (a tiny fraction gives huge gaps).
  const auto gap = [&] { return static_cast<std::size_t>(std::min(static_cast<double>(n), std::log(draw.uniform()) / log_miss)); };
  for (std::size_t c = gap(); c < n; c += 1 + gap()) {
    const double extra = (0.5 + 2.5 * draw.uniform()) * counts_per_photon() * d.flat_photons[c];
    counts[c] = static_cast<std::uint16_t>(std::min(65535.0, counts[c] + extra));
  }
}

void ScanSimulator::line_integrals(int first_row, int row_count, std::span<float> out, int threads) const {
  const int n = params_.columns;
  const auto per_row = static_cast<std::size_t>(params_.projections) * static_cast<std::size_t>(n);
  check_block(first_row, row_count, out.size(), per_row, "line integrals");
  const std::vector<double> angles = angles_deg();
  const std::size_t items = static_cast<std::size_t>(row_count) * static_cast<std::size_t>(params_.projections);
  parallel_for(items, threads, [&](std::size_t begin, std::size_t end) {
    std::vector<double> p(static_cast<std::size_t>(n));
    int cached_row = -1;
    std::vector<Ellipse> slice;
    for (std::size_t item = begin; item < end; ++item) {
      const int row = first_row + static_cast<int>(item / static_cast<std::size_t>(params_.projections));
      const std::size_t projection = item % static_cast<std::size_t>(params_.projections);
      if (row != cached_row) {
        slice = phantom_.slice(row);
        cached_row = row;
      }
      project_slice(slice, angles[projection] * std::numbers::pi / 180.0, axis(), params_.detector_subsamples, p);
      std::transform(p.begin(), p.end(), out.begin() + static_cast<std::ptrdiff_t>(item * static_cast<std::size_t>(n)),
                     [](double v) { return static_cast<float>(v); });
    }
  });
}

void ScanSimulator::truth(int first_row, int row_count, std::span<float> out, int threads) const {
  const int n = field_width();
  const auto per_row = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  check_block(first_row, row_count, out.size(), per_row, "the truth");
  const std::size_t items = static_cast<std::size_t>(row_count) * static_cast<std::size_t>(n);
  parallel_for(items, threads, [&](std::size_t begin, std::size_t end) {
    int cached_row = -1;
    std::vector<Ellipse> slice;
    for (std::size_t item = begin; item < end; ++item) {
      const int row = first_row + static_cast<int>(item / static_cast<std::size_t>(n));
      const int image_row = static_cast<int>(item % static_cast<std::size_t>(n));
      if (row != cached_row) {
        slice = phantom_.slice(row);
        cached_row = row;
      }
      rasterize_slice_row(slice, image_row, params_.truth_subsamples,
                          out.subspan(item * static_cast<std::size_t>(n), static_cast<std::size_t>(n)));
    }
  });
}

}  // namespace tomo
