#pragma once
// Ring-artefact removal on sinograms. A detector pixel whose response differs slightly from
// what the flat field says adds the same error to every projection: a stripe down its column
// of the sinogram, which backprojects into a ring about the rotation axis. Every method here
// estimates the part of each column that is constant (or slowly varying) with angle and
// differs from its neighbouring columns, and removes it. They work on line integrals (after
// flat fielding and −log), where a gain error of the pixel is an additive offset.
//
// The methods and their strings, as STP users write them (shared/notes/stp.md) plus Vo et
// al.'s; docs/ring_removal.md has the physics, units and measured performance.
//   none                         off
//   rivers:N;_                   N odd median width (pixels, 3..10001); second field ignored
//   boinhaibel:N;_               N odd median width (pixels, 3..10001); second field ignored
//   muenchetal:L;SIGMA           L wavelet levels (1..10), SIGMA > 0 Gaussian width (frequency bins)
//   raven:N;P                    N >= 3 rows of vertical frequency filtered, P in [0, 1] smoothing
//   oimoen:N1;N2                 N1 horizontal, N2 vertical odd median widths (3..10001)
//   sijberspostnov:W;T           W window (pixels, 3..10001), T > 0 variance threshold (line integral²)
//   vo-sort[:SIZE]               SIZE odd median width (pixels), default 21
//   vo-filter[:SIGMA[;SIZE]]     SIGMA > 0 Gaussian width (frequency bins, default 3), SIZE default 21
//   vo-large[:SNR[;SIZE]]        SNR in [1, 100] detection ratio (default 3), SIZE default 51
//   vo-dead[:SNR[;SIZE]]         SNR default 3, SIZE default 51
//   vo-all[:SNR[;LA[;SM]]]       SNR default 3, LA large-stripe size default 61, SM sorting size default 21
// Vo's fields may be left empty or off the end for their defaults (algotom's).
#include <cstddef>
#include <span>
#include <string>

namespace tomo {

enum class RingMethod {
  none,
  rivers,          // Rivers (tomoRecon): subtract the high-pass of the column means
  boinhaibel,      // Boin & Haibel 2006: rescale each column to its smoothed column sum
  muenchetal,      // Münch et al. 2009: Fourier-damp the db5 vertical detail coefficients
  raven,           // Raven 1998: 2-D Fourier low-pass of the lowest vertical frequencies
  oimoen,          // Oimoen 2000: vertical median of the horizontal high-pass, subtracted
  sijberspostnov,  // Sijbers & Postnov 2004: median stripe profile of homogeneous segments
  vo_sort,         // Vo et al. 2018, algorithm 3: sort each column, smooth across, unsort
  vo_filter,       // Vo et al. 2018, algorithm 2: sorting on the angular low-pass only
  vo_large,        // Vo et al. 2018, algorithm 5: detect and repair wide stripes
  vo_dead,         // Vo et al. 2018, algorithm 6: detect and interpolate dead columns
  vo_all,          // dead, then large, then sorting (algotom's remove_all_stripe)
};

// A method and its parameters, p1 … p3 in the order of the method's string (unused ones 0).
struct RingFilter {
  RingMethod method = RingMethod::none;
  double p1 = 0, p2 = 0, p3 = 0;
  bool operator==(const RingFilter&) const = default;
};

// Parses "method:p1;p2[;p3]" (split at the first ':', then at ';'). Throws tomo::Error naming
// the string, what is wrong and the method's allowed form, for an unknown method or a missing,
// non-numeric or out-of-range parameter.
RingFilter parse_ring_filter(const std::string& text);

// The canonical string: parse_ring_filter(to_string(f)) == f.
std::string to_string(const RingFilter& filter);

// Throws tomo::Error, as parse_ring_filter does, when a parameter is out of range (for filters
// built in code rather than parsed).
void check_ring_filter(const RingFilter& filter);

// Throws tomo::Error, as remove_rings does, unless `values` make `slices` sinograms of
// `projections` × `columns` (also checked by tomo::cuda::remove_rings).
void check_sinogram_stack(std::size_t values, int slices, int projections, int columns);

// Removes stripes from `slices` sinograms laid out (slice, projection, column), of line
// integrals, in place, one slice per thread (threads = 0: all cores). The values must be finite.
void remove_rings(std::span<float> sinograms, int slices, int projections, int columns, const RingFilter& filter,
                  int threads);

}  // namespace tomo
