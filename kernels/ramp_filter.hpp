#pragma once
// The FBP ramp filter: each detector row is zero-padded, transformed with FFTW, multiplied by
// the ramp |f| times an apodisation window, and transformed back. Plans are made once per
// filter; apply() may be called from several threads at once.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/ramp_filter_math.hpp"

namespace tomo {

FilterWindow parse_filter_window(const std::string& name);  // throws tomo::Error listing the names
std::string to_string(FilterWindow window);

// Padded transform length for `columns` detector pixels: a power of two >= 2 * columns, so the
// circular convolution of the FFT cannot wrap one edge of the projection onto the other.
int padded_length(int columns);

// The filter's real frequency response for bins 0..M/2 of an M-point transform, including FFTW's
// 1/M normalisation. It is the transform of the discrete Ram-Lak kernel (h[0] = 1/4,
// h[n odd] = -1/(πn)²; Kak & Slaney eq. 61) rather than a sampled |f|: that keeps the DC term
// right, so the mean attenuation of a slice comes out right.
std::vector<float> ramp_response(int padded, FilterWindow window, float cutoff);

class RampFilter {
 public:
  RampFilter(int columns, FilterWindow window, float cutoff);
  ~RampFilter();
  RampFilter(const RampFilter&) = delete;
  RampFilter& operator=(const RampFilter&) = delete;

  // Filters rows.size() / columns rows of `columns` values each, in place.
  void apply(std::span<float> rows, int threads) const;

  // Bytes of the transform buffers apply() allocates on `threads` threads.
  std::int64_t workspace_bytes(int threads) const;

  int columns() const { return columns_; }
  const std::vector<float>& response() const { return response_; }

 private:
  struct Plans;
  int columns_;
  int padded_;
  std::vector<float> response_;
  std::unique_ptr<Plans> plans_;
};

}  // namespace tomo
