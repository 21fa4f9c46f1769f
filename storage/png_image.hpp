#pragma once
// 8-bit greyscale PNG images of slices (for people and docs; data go to TIFF or HDF5): as files,
// and in memory for the interactive preview.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace tomo {

// Writes `pixels` (height × width) as an 8-bit PNG, the grey scale stretched between the 0.5th
// and 99.5th percentiles so one hot pixel does not turn the whole image black.
void write_png_preview(const std::filesystem::path& path, std::span<const float> pixels, int width, int height);

// Grey levels 0–255 of `pixels` mapped linearly from [low, high], clipped; NaN is black.
std::vector<std::uint8_t> grey_levels(std::span<const float> pixels, float low, float high);

// The PNG file's bytes of an 8-bit grey image (height × width). zlib level 1 by default: for a
// 2048² slice it encodes several times faster than the default level 6 for files ~10% larger,
// and in the interactive preview the encoding is on the path of every change. Throws tomo::Error
// with libpng's message when libpng fails.
std::string encode_grey_png(std::span<const std::uint8_t> grey, int width, int height, int compression_level = 1);

// "data:image/png;base64,...": how a PNG travels inside JSON to a browser's <img>.
std::string png_data_url(const std::string& png);

}  // namespace tomo
