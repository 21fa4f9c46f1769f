#pragma once
// 8-bit greyscale PNG previews of slices (for people and docs; data go to TIFF or HDF5).
#include <filesystem>
#include <span>

namespace tomo {

// Writes `pixels` (height × width) as an 8-bit PNG, the grey scale stretched between the 0.5th
// and 99.5th percentiles so one hot pixel does not turn the whole image black.
void write_png_preview(const std::filesystem::path& path, std::span<const float> pixels, int width, int height);

}  // namespace tomo
