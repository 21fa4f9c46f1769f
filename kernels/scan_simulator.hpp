#pragma once
// Simulated detector images of the phantom (kernels/phantom.hpp): projections with Poisson
// photon noise, flats and darks with their own noise, a smooth beam profile, a
// centre-of-rotation offset and, on request, defective columns that make rings. Pure numerics:
// it fills blocks of uint16 counts that storage/scan_writer lays out as a scan file.
//
// Noise model, per detector pixel (row k, column c) of one frame, in counts:
//   dark       = round(o(k,c) + σ·n)
//   flat       = round(κ·Poisson(I0·g(k,c)) + o(k,c) + σ·n)
//   projection = round(κ·Poisson(I0·g(k,c)·d(c)·exp(−p)) + o(k,c) + σ·n)
// clipped to [0, 65535], with κ = min(1, full_scale_counts / I0) counts per photon (one count
// per photon up to I0 = 50000; beyond, the noise is that of I0 photons while the open beam
// stays at ~50000 counts, as a detector with a lower conversion gain would record it), n a
// standard normal (read noise, σ = read_noise), o the dark
// offset (dark_level plus a fixed pattern of ±dark_pattern), g the gain (a smooth beam profile
// times a fixed pixel-sensitivity pattern of ±pixel_sensitivity_spread; flat correction
// divides it out), d = 1 except at the defective columns, where the projections see a gain a
// few percent off the flats' (these columns make rings), and p the analytic line integral.
// On request, I0 also varies per frame (beam_intensity: a linear drift and a random flicker),
// flats are also taken after the projections, and zingers add counts to random pixels.
//
// Random numbers: each (image kind, row, frame) has its own stream seeded from (seed, kind,
// row, frame), so the counts are the same whatever the thread count and however the rows are
// split into blocks.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/phantom.hpp"

namespace tomo {

// Which stack an image belongs to; the first three values are NeXus NXtomo's image_key.
// flat_after: flats taken after the projections (NXtomo key 1 too, stored after them).
enum class ImageKind : int { projection = 0, flat = 1, dark = 2, flat_after = 3 };

// NXtomo's image_key of a kind: 0 projection, 1 flat (before or after), 2 dark.
int nxtomo_image_key(ImageKind kind);

struct SimulationParams {
  int projections = 0;
  int rows = 0;
  int columns = 0;
  int flats = 20;
  int darks = 10;
  double span_deg = 180.0;   // angles θ_i = i · span / projections: 180 or 360
  double cor_offset = 0.0;   // pixels: the rotation axis sits at column N/2 + cor_offset
  double photons = 10000.0;  // I0: photons per unattenuated pixel where the beam is brightest
  std::uint64_t seed = 1;
  int defective_columns = 0;
  // Flats taken after the projections (NXtomo only: the other layouts have no place for them).
  int flats_after = 0;
  // The beam's intensity changes linearly by this fraction from the first projection (and the
  // flats before) to the last (and the flats after): what interpolated flats correct.
  double beam_drift = 0.0;
  // Each projection's beam intensity also varies at random by this relative rms, unseen by the
  // flats: what air normalisation corrects.
  double beam_flicker = 0.0;
  // Fraction of projection pixels hit by a zinger, which adds 0.5–3 × the open beam's counts.
  double zinger_fraction = 0.0;
  // Fine structure of the beam that moves from frame to frame (a monochromator's or
  // scintillator's stripes): the open beam times 1 + beam_structure · sin(2π c / 23 + φ), φ
  // random per frame (flats and projections alike). What dynamic flat fielding corrects.
  double beam_structure = 0.0;
  // Propagation phase contrast, 0 = off: the squared width (pixels²) of the transport of
  // intensity for a homogeneous sample, α = z λ (δ/β) / (4π W²) (phase_filter_alpha in
  // phase_retrieval.hpp). The projections see I/I0 = (1 − α ∇²) exp(−p) instead of exp(−p), ∇²
  // the five-point Laplacian on the detector grid (edges replicated): the finite-difference
  // TIE-Hom forward model, which the generalised Paganin filter inverts.
  double phase_alpha = 0.0;
  // Half acquisition (extended field of view), 0 = off: a sample wider than the detector, the
  // rotation axis `half_acquisition_overlap`/2 pixels from the detector's left edge (plus
  // cor_offset), scanned over 360°. The phantom and the truth span the field of view,
  // 2 × columns − overlap pixels wide.
  int half_acquisition_overlap = 0;

  // Detector model (not command-line flags).
  double full_scale_counts = 50000.0;      // the brightest open-beam pixel at most (see κ above)
  double dark_level = 100.0;               // counts
  double dark_pattern = 5.0;               // counts: fixed-pattern spread of the dark offset
  double read_noise = 3.0;                 // counts rms
  double pixel_sensitivity_spread = 0.02;  // ± fraction of gain, fixed per pixel
  double defect_min = 0.02, defect_max = 0.05;  // |d − 1| of a defective column
  int detector_subsamples = 4;             // positions across a detector pixel (see project_slice)
  int truth_subsamples = 4;                // per axis inside a truth pixel (see rasterize_slice_row)
};

// Throws tomo::Error naming the flag, its value and the allowed range, for the first parameter
// out of range (including scans too large to write and offsets that push the phantom off the
// detector).
void validate(const SimulationParams& params);

// Relative beam intensity at a detector pixel (≤ 1): a Gaussian beam a little off the
// detector's centre on a pedestal, dimmer towards the top and bottom rows. Smooth, so a wrong
// flat correction shows as large-scale shading.
double beam_profile(int row, int rows, int column, int columns);

// A random stream: xoshiro256++ seeded through SplitMix64 from a seed and three stream words.
class NoiseStream {
 public:
  NoiseStream(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c);

  std::uint64_t next();
  double uniform();  // uniform in the open interval (0, 1)
  double normal();   // standard normal (Marsaglia's polar method)
  // Exact Poisson deviate: Hörmann's transformed rejection (PTRS) for mean ≥ 10, the
  // multiplication method below. Measured 22 ns a draw against 95 ns for a
  // std::poisson_distribution built per pixel (its set-up is paid again whenever the mean
  // changes, i.e. at every pixel) and 39 ns for one reused at a fixed mean.
  std::uint32_t poisson(double mean);

 private:
  std::array<std::uint64_t, 4> state_{};
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

// One pixel's counts: counts_per_photon · Poisson(expected_photons) + dark_offset +
// read_noise · normal, rounded and clipped to the uint16 range.
std::uint16_t detector_counts(double expected_photons, double counts_per_photon, double dark_offset, double read_noise,
                              NoiseStream& noise);

class ScanSimulator {
 public:
  // Validates the parameters (see validate) and places the 3-D Shepp–Logan phantom.
  explicit ScanSimulator(SimulationParams params);

  const SimulationParams& params() const { return params_; }
  const Phantom& phantom() const { return phantom_; }
  // Rotation axis in 0-based detector columns: N/2 + cor_offset (overlap/2 + cor_offset in
  // half acquisition).
  double axis() const;
  // Width of the field of view, the truth's slices and the phantom's scale: the detector's,
  // or 2 × columns − overlap in half acquisition.
  int field_width() const;
  // κ: counts per detected photon, min(1, full_scale_counts / photons).
  double counts_per_photon() const;
  // θ_i = i · span / P in degrees, one per projection.
  std::vector<double> angles_deg() const;
  // The defective columns in increasing order, and d(c) for every column (1 where sound).
  const std::vector<int>& defective_columns() const { return defective_columns_; }
  const std::vector<double>& defect_gain() const { return defect_gain_; }
  int frames(ImageKind kind) const;
  // Relative beam intensity of frame `frame` of `kind` (beam_drift, beam_flicker; 1 for darks).
  double beam_intensity(ImageKind kind, int frame) const;
  // The moving fine structure's factor at every column of frame `frame` of `kind` (1 for darks
  // and without beam_structure); out.size() == columns.
  void beam_structure(ImageKind kind, int frame, std::span<double> out) const;

  // Noise-free mean counts (κ · photons + dark offset) of one frame's detector row (out.size() == columns).
  void expected_counts(ImageKind kind, int row, int frame, std::span<double> out) const;

  // Noisy counts of every frame of `kind` for detector rows [first_row, first_row + row_count),
  // laid out (row, frame, column).
  void simulate(ImageKind kind, int first_row, int row_count, std::span<std::uint16_t> out, int threads) const;
  // The same counts by frames: frames [first_frame, first_frame + frame_count) of `kind`, every
  // detector row, laid out (frame, row, column) as a projection-major file stores them -- what a
  // scan written while it is acquired needs. Identical to simulate()'s for the same seed.
  void simulate_frames(ImageKind kind, int first_frame, int frame_count, std::span<std::uint16_t> out,
                       int threads) const;

  // Noise-free line integrals of the projections for the same rows, (row, projection, column).
  void line_integrals(int first_row, int row_count, std::span<float> out, int threads) const;

  // Ground truth: attenuation per pixel of slices [first_row, first_row + row_count), laid out
  // (slice, W, W), W = field_width() — what an ideal reconstruction of noise-free data gives.
  void truth(int first_row, int row_count, std::span<float> out, int threads) const;

 private:
  struct DetectorRow;
  struct RowScratch;
  DetectorRow detector_row(int row) const;
  void simulate_row(ImageKind kind, int row, int frame, const DetectorRow& d,
                    std::span<const std::vector<Ellipse>* const, 3> slices, const std::vector<double>& angles,
                    RowScratch& scratch, std::uint16_t* counts) const;
  void add_zingers(int row, int frame, const DetectorRow& d, std::uint16_t* counts) const;
  void check_block(int first_row, int row_count, std::size_t out_size, std::size_t per_row, const char* what) const;

  SimulationParams params_;
  Phantom phantom_;
  std::vector<int> defective_columns_;
  std::vector<double> defect_gain_;
};

}  // namespace tomo
