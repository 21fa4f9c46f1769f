#include "storage/tiff_image.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "kernels/error.hpp"
#include "kernels/intensity_scaling.hpp"

namespace tomo {
namespace {

struct TiffCloser {
  void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};
using TiffFile = std::unique_ptr<TIFF, TiffCloser>;

// libtiff prints warnings about private tags straight to stderr; they are not errors.
void silence_libtiff() {
  TIFFSetWarningHandler(nullptr);
  TIFFSetErrorHandler(nullptr);
}

template <class T>
void write_rows(TIFF* tiff, const std::filesystem::path& path, std::span<const float> pixels, int width, int height,
                float low, float high) {
  std::vector<T> row(static_cast<std::size_t>(width));
  for (int r = 0; r < height; ++r) {
    const float* source = pixels.data() + static_cast<std::size_t>(r) * width;
    for (int c = 0; c < width; ++c) {
      if constexpr (std::is_same_v<T, float>) row[static_cast<std::size_t>(c)] = source[c];
      else row[static_cast<std::size_t>(c)] = to_grey_level<T>(source[c], low, high);
    }
    if (TIFFWriteScanline(tiff, row.data(), static_cast<std::uint32_t>(r), 0) < 0)
      fail("{}: could not write row {} (disk full?)", path.string(), r);
  }
}

template <class T>
void read_rows(TIFF* tiff, const std::filesystem::path& path, Image& image) {
  std::vector<T> row(static_cast<std::size_t>(image.width));
  for (int r = 0; r < image.height; ++r) {
    if (TIFFReadScanline(tiff, row.data(), static_cast<std::uint32_t>(r), 0) < 0)
      fail("{}: could not read row {} (truncated or corrupt TIFF)", path.string(), r);
    std::transform(row.begin(), row.end(), image.pixels.begin() + static_cast<std::ptrdiff_t>(r) * image.width,
                   [](T v) { return static_cast<float>(v); });
  }
}

}  // namespace

PixelType parse_pixel_type(const std::string& name) {
  if (name == "float32") return PixelType::float32;
  if (name == "uint16") return PixelType::uint16;
  if (name == "uint8") return PixelType::uint8;
  fail("unknown output type '{}' (use float32, uint16 or uint8)", name);
}

void write_tiff(const std::filesystem::path& path, std::span<const float> pixels, int width, int height,
                PixelType type, float low, float high) {
  silence_libtiff();
  if (pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    fail("{}: {} pixels do not make a {} x {} image", path.string(), pixels.size(), width, height);
  TiffFile tiff(TIFFOpen(path.c_str(), "w"));
  if (!tiff) fail("{}: cannot create the file (does the folder exist and is it writable?)", path.string());
  const std::uint16_t bits = type == PixelType::float32 ? 32 : type == PixelType::uint16 ? 16 : 8;
  const std::uint16_t format = type == PixelType::float32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT;
  const bool ok = TIFFSetField(tiff.get(), TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(width)) &&
                  TIFFSetField(tiff.get(), TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(height)) &&
                  TIFFSetField(tiff.get(), TIFFTAG_BITSPERSAMPLE, bits) &&
                  TIFFSetField(tiff.get(), TIFFTAG_SAMPLEFORMAT, format) &&
                  TIFFSetField(tiff.get(), TIFFTAG_SAMPLESPERPIXEL, std::uint16_t{1}) &&
                  TIFFSetField(tiff.get(), TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK) &&
                  TIFFSetField(tiff.get(), TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
                  TIFFSetField(tiff.get(), TIFFTAG_ROWSPERSTRIP, static_cast<std::uint32_t>(std::max(1, 65536 / (width * bits / 8 + 1))));
  if (!ok) fail("{}: could not set the TIFF header fields", path.string());
  switch (type) {
    case PixelType::float32: write_rows<float>(tiff.get(), path, pixels, width, height, low, high); break;
    case PixelType::uint16: write_rows<std::uint16_t>(tiff.get(), path, pixels, width, height, low, high); break;
    case PixelType::uint8: write_rows<std::uint8_t>(tiff.get(), path, pixels, width, height, low, high); break;
  }
  if (!TIFFFlush(tiff.get())) fail("{}: could not flush the file (disk full?)", path.string());
}

Image read_tiff(const std::filesystem::path& path) {
  silence_libtiff();
  TiffFile tiff(TIFFOpen(path.c_str(), "r"));
  if (!tiff) fail("{}: cannot open as a TIFF image (missing, unreadable or not a TIFF)", path.string());
  std::uint32_t width = 0, height = 0;
  std::uint16_t bits = 0, samples = 1, format = SAMPLEFORMAT_UINT;
  if (!TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &height))
    fail("{}: TIFF has no image size", path.string());
  TIFFGetFieldDefaulted(tiff.get(), TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tiff.get(), TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tiff.get(), TIFFTAG_SAMPLEFORMAT, &format);
  if (samples != 1) fail("{}: has {} samples per pixel; only greyscale images are read", path.string(), samples);
  Image image{static_cast<int>(width), static_cast<int>(height), std::vector<float>(std::size_t{width} * height)};
  if (format == SAMPLEFORMAT_IEEEFP && bits == 32) read_rows<float>(tiff.get(), path, image);
  else if (format != SAMPLEFORMAT_IEEEFP && bits == 16) read_rows<std::uint16_t>(tiff.get(), path, image);
  else if (format != SAMPLEFORMAT_IEEEFP && bits == 8) read_rows<std::uint8_t>(tiff.get(), path, image);
  else if (format == SAMPLEFORMAT_INT && bits == 32) read_rows<std::int32_t>(tiff.get(), path, image);
  else if (format != SAMPLEFORMAT_IEEEFP && bits == 32) read_rows<std::uint32_t>(tiff.get(), path, image);
  else fail("{}: {}-bit samples of format {} are not supported", path.string(), bits, format);
  return image;
}

}  // namespace tomo
