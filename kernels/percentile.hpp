#pragma once
// Percentiles of image values, for display ranges and automatic output ranges: robust to the
// few hot pixels that would make a min/max range useless.
#include <span>

namespace tomo {

// The value below which `fraction` (0–1) of the finite values lie (nearest rank); 0 when none is finite.
float percentile(std::span<const float> values, double fraction);

}  // namespace tomo
