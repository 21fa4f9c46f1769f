#include "storage/tiff_image.hpp"

#include <tiffio.h>

#include <array>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "kernels/error.hpp"
#include "kernels/intensity_scaling.hpp"

namespace tomo {
namespace fs = std::filesystem;
namespace {

// libtiff reports problems through handlers; these keep the last error for our message and
// drop warnings (private tags and the like), with no process-wide handler changed.
int keep_error(TIFF*, void* user_data, const char*, const char* format, va_list arguments) {
  std::array<char, 512> text{};
  if (std::vsnprintf(text.data(), text.size(), format, arguments) < 0) return 1;
  *static_cast<std::string*>(user_data) = text.data();
  return 1;
}
int drop_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

std::string compression_name(std::uint16_t compression) {
  switch (compression) {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_LZW: return "lzw";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return "deflate";
    case COMPRESSION_PACKBITS: return "packbits";
    case COMPRESSION_JPEG: return "jpeg";
    case COMPRESSION_LZMA: return "lzma";
    case COMPRESSION_ZSTD: return "zstd";
    default: return fmt::format("tiff compression {}", compression);
  }
}

std::string pixel_type_name(const fs::path& path, std::uint16_t bits, std::uint16_t format) {
  if (format == SAMPLEFORMAT_IEEEFP && (bits == 32 || bits == 64)) return fmt::format("float{}", bits);
  if ((format == SAMPLEFORMAT_UINT || format == SAMPLEFORMAT_INT) && (bits == 8 || bits == 16 || bits == 32))
    return fmt::format("{}int{}", format == SAMPLEFORMAT_UINT ? "u" : "", bits);
  fail("{}: {}-bit samples of format {} are not supported (8/16/32-bit integers, 32/64-bit floats)",
       path.string(), bits, format);
}

template <class T>
void convert_as(const unsigned char* scanline, float* out, int width) {
  for (int column = 0; column < width; ++column) {
    T value;
    std::memcpy(&value, scanline + static_cast<std::size_t>(column) * sizeof(T), sizeof(T));
    out[column] = static_cast<float>(value);
  }
}

// Opens `path` with our handlers: errors kept in `last_error`, warnings dropped.
TIFF* open_tiff(const fs::path& path, const char* mode, std::string* last_error) {
  std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> options(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
  if (!options) fail("{}: out of memory opening the TIFF", path.string());
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), keep_error, last_error);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), drop_warning, nullptr);
  return TIFFOpenExt(path.c_str(), mode, options.get());
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

}  // namespace

PixelType parse_pixel_type(const std::string& name) {
  if (name == "float32") return PixelType::float32;
  if (name == "uint16") return PixelType::uint16;
  if (name == "uint8") return PixelType::uint8;
  fail("unknown output type '{}' (use float32, uint16 or uint8)", name);
}

void TiffReader::Closer::operator()(tiff* file) const { TIFFClose(file); }

TiffReader::TiffReader(fs::path path)
    : path_(std::move(path)), last_error_(std::make_unique<std::string>()) {
  std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> options(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
  if (!options) fail("{}: out of memory opening the TIFF", path_.string());
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), keep_error, last_error_.get());
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), drop_warning, nullptr);
  tiff_.reset(TIFFOpenExt(path_.c_str(), "r", options.get()));
  if (!tiff_) fail("{}: cannot open as TIFF ({})", path_.string(), reason());
  std::uint32_t width = 0, height = 0;
  std::uint16_t samples = 1;
  if (TIFFGetField(tiff_.get(), TIFFTAG_IMAGEWIDTH, &width) != 1 ||
      TIFFGetField(tiff_.get(), TIFFTAG_IMAGELENGTH, &height) != 1)
    fail("{}: TIFF without image width or height", path_.string());
  // Defaulted tags (samples per pixel 1, unsigned integers, no compression) come from libtiff.
  if (TIFFGetFieldDefaulted(tiff_.get(), TIFFTAG_BITSPERSAMPLE, &bits_) != 1 ||
      TIFFGetFieldDefaulted(tiff_.get(), TIFFTAG_SAMPLEFORMAT, &format_) != 1 ||
      TIFFGetFieldDefaulted(tiff_.get(), TIFFTAG_SAMPLESPERPIXEL, &samples) != 1 ||
      TIFFGetFieldDefaulted(tiff_.get(), TIFFTAG_COMPRESSION, &compression_) != 1)
    fail("{}: cannot read the TIFF header ({})", path_.string(), reason());
  if (samples != 1) fail("{}: {} samples per pixel; only greyscale images are projections", path_.string(), samples);
  if (TIFFIsTiled(tiff_.get())) fail("{}: tiled TIFFs are not supported; write strips", path_.string());
  if (width > 1u << 30 || height > 1u << 30) fail("{}: {} x {} pixels is too large", path_.string(), height, width);
  width_ = static_cast<int>(width);
  height_ = static_cast<int>(height);
  dtype_ = pixel_type_name(path_, bits_, format_);
}

TiffReader::~TiffReader() = default;

std::string TiffReader::compression() const { return compression_name(compression_); }

void TiffReader::read_rows(int first, int end, float* out, std::size_t stride) const {
  const std::uint64_t scanline_bytes = TIFFScanlineSize64(tiff_.get());  // 0 on error
  if (scanline_bytes < static_cast<std::uint64_t>(width_) * (bits_ / 8u))
    fail("{}: rows of {} bytes cannot hold {} pixels of {} ({})", path_.string(), scanline_bytes, width_, dtype_,
         reason());
  std::vector<unsigned char> scanline(static_cast<std::size_t>(scanline_bytes));
  for (int row = first; row < end; ++row) {
    if (TIFFReadScanline(tiff_.get(), scanline.data(), static_cast<std::uint32_t>(row), 0) < 0)
      fail("{}: cannot read row {} ({}); truncated or corrupt TIFF?", path_.string(), row, reason());
    convert(scanline.data(), out + static_cast<std::size_t>(row - first) * stride);
  }
}

std::string TiffReader::reason() const { return last_error_->empty() ? "no detail from libtiff" : *last_error_; }

void TiffReader::convert(const unsigned char* scanline, float* out) const {
  if (dtype_ == "uint8") convert_as<std::uint8_t>(scanline, out, width_);
  else if (dtype_ == "uint16") convert_as<std::uint16_t>(scanline, out, width_);
  else if (dtype_ == "uint32") convert_as<std::uint32_t>(scanline, out, width_);
  else if (dtype_ == "int8") convert_as<std::int8_t>(scanline, out, width_);
  else if (dtype_ == "int16") convert_as<std::int16_t>(scanline, out, width_);
  else if (dtype_ == "int32") convert_as<std::int32_t>(scanline, out, width_);
  else if (dtype_ == "float32") convert_as<float>(scanline, out, width_);
  else convert_as<double>(scanline, out, width_);
}

Image read_tiff(const fs::path& path) {
  const TiffReader reader(path);
  Image image{reader.width(), reader.height(), std::vector<float>(static_cast<std::size_t>(reader.width()) * static_cast<std::size_t>(reader.height()))};
  reader.read_rows(0, image.height, image.pixels.data(), static_cast<std::size_t>(image.width));
  return image;
}

void write_tiff(const std::filesystem::path& path, std::span<const float> pixels, int width, int height,
                PixelType type, float low, float high) {
  std::string last_error;
  if (pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    fail("{}: {} pixels do not make a {} x {} image", path.string(), pixels.size(), width, height);
  std::unique_ptr<TIFF, TiffReader::Closer> tiff(open_tiff(path, "w", &last_error));
  if (!tiff) fail("{}: cannot create the file ({})", path.string(), last_error);
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

}  // namespace tomo
