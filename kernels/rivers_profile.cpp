#include "kernels/rivers_profile.hpp"

#include "kernels/error.hpp"
#include "kernels/median_filter.hpp"

namespace tomo {

std::vector<float> rivers_stripe_profile(std::span<const double> column_sums, int projections, int width) {
  if (projections < 1) fail("Rivers profile: needs at least one projection, got {}", projections);
  std::vector<float> means(column_sums.size()), smooth(column_sums.size());
  for (std::size_t c = 0; c < column_sums.size(); ++c) means[c] = static_cast<float>(column_sums[c] / projections);
  median_filter(means, width, Boundary::nearest, smooth);
  std::vector<float> profile(means.size());
  for (std::size_t c = 0; c < means.size(); ++c) profile[c] = means[c] - smooth[c];
  return profile;
}

}  // namespace tomo
