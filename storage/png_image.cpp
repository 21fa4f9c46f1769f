#include "storage/png_image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "kernels/error.hpp"
#include "kernels/percentile.hpp"
#include "storage/base64.hpp"

namespace tomo {
namespace {

// libpng's write structures, destroyed however the encoding ends.
class PngWriteStruct {
 public:
  PngWriteStruct() : png_(png_create_write_struct(PNG_LIBPNG_VER_STRING, this, on_error, on_warning)) {
    if (png_) info_ = png_create_info_struct(png_);
    if (!png_ || !info_) fail("libpng: out of memory for a PNG image");
  }
  ~PngWriteStruct() { png_destroy_write_struct(&png_, &info_); }
  PngWriteStruct(const PngWriteStruct&) = delete;
  PngWriteStruct& operator=(const PngWriteStruct&) = delete;

  png_structp png() const { return png_; }
  png_infop info() const { return info_; }
  const char* message() const { return message_; }

 private:
  // libpng cannot return after an error: the handler keeps the message and jumps back to
  // setjmp in encode_into.
  static void on_error(png_structp png, png_const_charp text) {
    auto* self = static_cast<PngWriteStruct*>(png_get_error_ptr(png));
    std::snprintf(self->message_, sizeof self->message_, "%s", text);
    png_longjmp(png, 1);
  }
  static void on_warning(png_structp, png_const_charp) {}

  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
  char message_[256] = "unknown error";
};

void append_bytes(png_structp png, png_bytep data, png_size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), size);
}

void no_flush(png_structp) {}

// libpng reports errors by longjmp, so between setjmp and the end this function makes no object
// with a destructor (the jump would skip it); returns false on a libpng error.
bool encode_into(PngWriteStruct& writer, std::string& out, const std::uint8_t* grey, int width, int height, int level) {
  png_structp png = writer.png();
  png_infop info = writer.info();
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, &out, append_bytes, no_flush);
  png_set_compression_level(png, level);
  // Reconstructed slices are noise on smooth shapes: the "up" filter (each row less the one
  // above) is what libpng's adaptive choice picks for most of their rows anyway, without trying
  // all five filters on every row, which costs more than the compression itself.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int r = 0; r < height; ++r) png_write_row(png, grey + static_cast<std::size_t>(r) * static_cast<std::size_t>(width));
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

std::vector<std::uint8_t> grey_levels(std::span<const float> pixels, float low, float high) {
  const float range = high > low ? high - low : 1.0f;
  std::vector<std::uint8_t> grey(pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    const float v = (pixels[i] - low) / range * 255.0f;
    grey[i] = static_cast<std::uint8_t>(std::isfinite(v) ? std::clamp(v, 0.0f, 255.0f) : 0.0f);
  }
  return grey;
}

std::string encode_grey_png(std::span<const std::uint8_t> grey, int width, int height, int compression_level) {
  if (width <= 0 || height <= 0 || grey.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    fail("PNG image: {} grey levels do not make a {} x {} image", grey.size(), width, height);
  if (compression_level < 0 || compression_level > 9) fail("PNG compression level {} is out of range [0, 9]", compression_level);
  PngWriteStruct writer;
  std::string out;
  // About a byte a pixel at level 1 for noisy slices: one allocation instead of many.
  out.reserve(grey.size() + 1024);
  if (!encode_into(writer, out, grey.data(), width, height, compression_level))
    fail("libpng could not encode a {} x {} grey image: {}", width, height, writer.message());
  return out;
}

void write_png_preview(const std::filesystem::path& path, std::span<const float> pixels, int width, int height) {
  if (pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    fail("{}: {} pixels do not make a {} x {} image", path.string(), pixels.size(), width, height);
  const auto grey = grey_levels(pixels, percentile(pixels, 0.005), percentile(pixels, 0.995));
  // zlib's default level: files are kept, so size matters more than the milliseconds.
  const std::string bytes = encode_grey_png(grey, width, height, 6);
  std::ofstream file(path, std::ios::binary);
  if (!file) fail("{}: cannot create the file", path.string());
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) fail("{}: could not write the PNG (disk full?)", path.string());
}

std::string png_data_url(const std::string& png) {
  return "data:image/png;base64," + base64(std::span(reinterpret_cast<const unsigned char*>(png.data()), png.size()));
}

}  // namespace tomo
