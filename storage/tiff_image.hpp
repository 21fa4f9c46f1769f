#pragma once
// Single-page greyscale TIFF images: float32, uint16 or uint8 on disk, float32 in memory.
#include <filesystem>
#include <span>
#include <vector>

namespace tomo {

enum class PixelType { float32, uint16, uint8 };
PixelType parse_pixel_type(const std::string& name);  // "float32" | "uint16" | "uint8"

struct Image {
  int width = 0;
  int height = 0;
  std::vector<float> pixels;  // row-major, height × width
};

// Writes `pixels` (height × width) as one TIFF page. Integer types map [low, high] linearly
// onto the type's full range and clip outside it (STP's linear8 / linear16 conversion);
// float32 ignores low/high. Throws tomo::Error naming the file.
void write_tiff(const std::filesystem::path& path, std::span<const float> pixels, int width, int height,
                PixelType type, float low = 0, float high = 1);

// Reads the first page of a greyscale TIFF (8/16/32-bit integer or 32-bit float) as floats.
Image read_tiff(const std::filesystem::path& path);

}  // namespace tomo
