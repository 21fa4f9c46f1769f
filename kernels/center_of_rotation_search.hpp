#pragma once
// What the centre-of-rotation methods share: the search over offsets, the confidence, checks
// of the input and the angles in increasing order.
#include <functional>
#include <span>
#include <vector>

#include "kernels/center_of_rotation.hpp"

namespace tomo::cor {

// Minimises metric(offset) over [−radius, radius]: every 0.5 pixel (the metric of either method
// is a valley about a pixel wide, so the coarse step cannot step over it), then every 0.02 pixel
// within ±0.5 of the coarse best, then the vertex of the parabola through the best fine sample
// and its neighbours. Fills offset, confidence (see CorEstimate) and the metric curve.
CorEstimate search_offset(const std::function<double(double offset)>& metric, double radius);

// The search radius to use: `requested`, or N/4 when it is 0; throws tomo::Error when it is
// negative, not finite, or more than N/2 (the axis would leave the detector).
double search_radius(double requested, int columns);

// Throws tomo::Error unless the sizes are positive, the data hold rows × projections × columns
// values, there is one finite angle per projection, and every value is finite.
void check_input(const char* method, std::span<const float> data, int rows, int projections, int columns,
                 std::span<const float> angles_rad);

// Projection indices in increasing angle.
std::vector<int> by_angle(std::span<const float> angles_rad);

// The median gap between consecutive angles in increasing order (radians).
double median_step(std::span<const float> angles_rad, const std::vector<int>& order);

}  // namespace tomo::cor
