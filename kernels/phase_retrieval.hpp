#pragma once
// Single-distance phase retrieval of propagation-based phase-contrast projections (STP's
// "TIE-Hom" and "generalised TIE-Hom"), done on each flat-corrected projection before the
// reconstruction.
//
// A homogeneous sample (one material, refractive index n = 1 − δ + iβ) of projected thickness
// T(x, y), seen at a distance z behind it with X-rays of wavelength λ, gives by the transport of
// intensity equation (Paganin et al. 2002, J. Microsc. 206:33, eq. 7)
//     I/I0 = (1 − (zδ/μ) ∇²) exp(−μT),    μ = 4πβ/λ,
// so that, with spatial frequencies k (radians per metre, |k| = 2π|f|),
//     μT = −ln F⁻¹[ F[I/I0] / (1 + (zδ/μ)|k|²) ],    (zδ/μ)|k|² = π λ z (δ/β) |f|².
// The output is μT: the line integral of the attenuation μ, the value the reconstruction
// backprojects. The reconstructed slice then holds μ·W (W the pixel size: attenuation per
// pixel, as for any line integral in tomoedge), μ = 4πβ/λ, and δ = μ λ (δ/β) / 4π if wanted. (TomoPy's
// retrieve_phase returns the filtered transmission and leaves the −ln to its minus_log; here
// the −ln is part of the step.)
//
// The generalised method (Paganin, Favre-Nicolin, Mirone et al. 2020, J. Opt. 22:115607)
// replaces the continuous Laplacian's |k|² by that of the discrete five-point Laplacian on the
// pixel grid, (2 − 2cos(k_x W) + 2 − 2cos(k_y W))/W² with W the pixel size: identical at low
// frequencies, but it damps the highest ones less (at the Nyquist frequency 4/W² against
// π²/W²), so the retrieved image is sharper. It is the exact inverse of the TIE-Hom forward model
// written with finite differences on the periodic grid the DFT works on.
//
// Geometry: rows and columns are the detector's; the pixel is square.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace tomo {

struct PhaseRetrieval {
  enum class Method { none, paganin, generalised_paganin };
  Method method = Method::none;
  double energy_kev = 0;       // X-ray photon energy, keV: λ = 1.2398 nm / energy
  double distance_mm = 0;      // sample-to-detector propagation distance, mm
  double pixel_size_um = 0;    // detector pixel (effective, after magnification), µm
  double delta_over_beta = 0;  // δ/β of the sample's material (e.g. ~1000 for soft tissue at 20 keV)
  // Each projection is padded by edge replication to at least pad_factor × its size in each
  // direction (then to a length FFTW transforms fast): the filter is a convolution whose FFT is
  // circular, and without padding what lies near one edge leaks onto the opposite one.
  // 1 = no padding (the periodic boundary conditions the DFT implies).
  double pad_factor = 2.0;
  // Unsharp mask after the retrieval (0 = off): result + amount · (result − Gσ * result), with
  // Gσ a Gaussian of σ pixels. It restores some of the edges the low-pass retrieval blurs.
  double unsharp_sigma_px = 0;
  double unsharp_amount = 0;
};

// Throws tomo::Error naming the first parameter out of range, its value and the allowed range.
// With method none only the unsharp-mask and padding fields are checked (energy, distance,
// pixel size and δ/β are not used).
void validate(const PhaseRetrieval& params);

// X-ray wavelength in metres for a photon energy in keV (hc = 1.239841984 keV·nm).
double wavelength_m(double energy_kev);

// (zδ/μ) / W² = z λ (δ/β) / (4π W²): the squared width, in pixels², of the retrieval filter
// 1 / (1 + α (2π)² |ν|²) (ν in cycles per pixel). Its square root is the length (pixels) over
// which the filter's kernel, (1/2πα) K₀(r/√α), falls by e. 0 for method none.
double phase_filter_alpha(const PhaseRetrieval& params);

// The transfer function multiplying F[I/I0] at the frequency (ν_y, ν_x) in cycles per pixel
// (|ν| ≤ 1/2): the retrieval filter times the unsharp mask 1 + amount (1 − exp(−2π²σ²|ν|²)).
// It is 1 at ν = 0 for every method: the mean transmission is kept.
double phase_filter_response(const PhaseRetrieval& params, double nu_y, double nu_x);

// Rows of detector margin to read above and below a band of rows so that the rows of the band
// come out as they would from the whole projection: 6 √α (beyond 6 filter lengths the kernel
// holds 0.8 % of its weight, and the edge replication approximates even that) plus 4 σ of the
// unsharp mask. 0 for method none without unsharp mask.
int phase_margin_rows(const PhaseRetrieval& params);

// Plans the 2-D transforms once for projections of rows × columns; apply() may be called from
// several threads at once (each call owns its buffers).
class PhaseRetriever {
 public:
  // Validates the parameters; throws tomo::Error for empty or too large projections.
  PhaseRetriever(const PhaseRetrieval& params, int rows, int columns);
  ~PhaseRetriever();
  PhaseRetriever(const PhaseRetriever&) = delete;
  PhaseRetriever& operator=(const PhaseRetriever&) = delete;

  // In place: flat-corrected transmission I/I0 of one projection (rows × columns, row-major) in,
  // μT out (see above). A retrieved transmission at or below 1e-4 (noise, or a δ/β far too
  // large) is clamped there before the log, as the flat-field correction does; returns how many
  // pixels were clamped.
  std::int64_t apply(std::span<float> projection) const;

  // The same for `projections.size() / (rows × columns)` projections stored one after another,
  // spread over `threads` threads.
  std::int64_t apply(std::span<float> projections, int threads) const;

  // The same for the `projections` projections of a slab of sinograms laid out (row,
  // projection, column), rows × columns each, as the batch reads them: each projection is
  // gathered from its rows, retrieved, and put back.
  std::int64_t apply_to_sinograms(std::span<float> sinograms, int projections, int threads) const;

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  int padded_rows() const { return padded_rows_; }
  int padded_columns() const { return padded_columns_; }
  // Where the projection sits in the padded image, and the filter per bin of its real FFT
  // (padded_rows × (padded_columns / 2 + 1), the transforms' 1/size included): for the GPU.
  int top() const { return top_; }
  int left() const { return left_; }
  const std::vector<float>& response() const { return response_; }
  // Bytes of the filter table and of the transform buffers apply() allocates on `threads` threads.
  std::int64_t workspace_bytes(int threads) const;

 private:
  std::int64_t apply_one(float* projection, float* real, void* spectrum) const;
  // apply_one() on `count` projections over the threads: projection_at(i, scratch) gives the
  // i-th (in place, or gathered into scratch), put_back(i, projection), when set, stores it.
  std::int64_t apply_each(std::size_t count, int threads, const std::function<float*(std::size_t, float*)>& projection_at,
                          const std::function<void(std::size_t, const float*)>& put_back) const;

  struct Plans;
  PhaseRetrieval params_;
  int rows_, columns_;
  int padded_rows_ = 0, padded_columns_ = 0;
  int top_ = 0, left_ = 0;       // where the projection sits in the padded image
  std::vector<float> response_;  // padded_rows × (padded_columns / 2 + 1), FFTW's 1/size included
  std::unique_ptr<Plans> plans_;  // null when no transform is needed (method none, no unsharp mask)
};

}  // namespace tomo
