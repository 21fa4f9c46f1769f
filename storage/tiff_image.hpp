#pragma once
// Single-page greyscale TIFF images: read row by row as float32 (projections, sinograms,
// slices), written as float32, uint16 or uint8 (slices).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct tiff;  // libtiff's TIFF, kept out of this header

namespace tomo {

enum class PixelType { float32, uint16, uint8 };
PixelType parse_pixel_type(const std::string& name);  // "float32" | "uint16" | "uint8"

// One open single-channel TIFF image (8/16/32-bit integers, 32/64-bit floats, in strips).
// libtiff's errors are kept per image for our messages; no process-wide handler is changed.
class TiffReader {
 public:
  explicit TiffReader(std::filesystem::path path);  // throws tomo::Error naming the file
  ~TiffReader();
  TiffReader(const TiffReader&) = delete;
  TiffReader& operator=(const TiffReader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int width() const { return width_; }
  int height() const { return height_; }
  const std::string& dtype() const { return dtype_; }  // "uint16", "float32", ...
  std::string compression() const;
  // Decodes image rows [first, end) as float32; row r goes to out + (r - first) * stride.
  void read_rows(int first, int end, float* out, std::size_t stride) const;

  struct Closer {  // closes a libtiff handle (also used by write_tiff)
    void operator()(tiff* file) const;
  };

 private:
  std::string reason() const;
  void convert(const unsigned char* scanline, float* out) const;

  std::filesystem::path path_;
  std::unique_ptr<std::string> last_error_;  // on the heap: libtiff keeps its address
  std::unique_ptr<tiff, Closer> tiff_;
  int width_ = 0, height_ = 0;
  std::uint16_t bits_ = 8, format_ = 1, compression_ = 1;
  std::string dtype_;
};

struct Image {
  int width = 0;
  int height = 0;
  std::vector<float> pixels;  // row-major, height × width
};

// Reads a whole single-page greyscale TIFF as floats.
Image read_tiff(const std::filesystem::path& path);

// Writes `pixels` (height × width) as one TIFF page. Integer types map [low, high] linearly
// onto the type's full range and clip outside it (STP's linear8 / linear16 conversion);
// float32 ignores low/high. Throws tomo::Error naming the file.
void write_tiff(const std::filesystem::path& path, std::span<const float> pixels, int width, int height,
                PixelType type, float low = 0, float high = 1);

}  // namespace tomo
