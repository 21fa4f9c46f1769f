#pragma once
// Rivers' stripe profile, from a sinogram's column sums: what rivers_filter
// (kernels/stripe_filters_stp.cpp) subtracts from every row. On its own so that a reconstruction
// that never holds the whole sinogram (kernels/streaming_fbp.hpp) can keep a running column sum
// and compute the same profile once the last projection is in.
#include <span>
#include <vector>

namespace tomo {

// Each column's mean over `projections` angles (column_sums[c] / projections, rounded to float)
// less the running median of those means over `width` columns (odd; the end columns repeated):
// the part of the mean profile too sharp to belong to the object. A column's line integrals less
// this value are its Rivers-corrected ones.
std::vector<float> rivers_stripe_profile(std::span<const double> column_sums, int projections, int width);

}  // namespace tomo
