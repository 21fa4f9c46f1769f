#include "storage/png_image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/percentile.hpp"

namespace tomo {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// libpng reports errors by longjmp, so this function holds nothing but the open file and
// plain pointers; returns false on a libpng error.
bool write_grey_png(std::FILE* file, const png_byte* grey, int width, int height) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int r = 0; r < height; ++r) png_write_row(png, grey + static_cast<std::size_t>(r) * width);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

void write_png_preview(const std::filesystem::path& path, std::span<const float> pixels, int width, int height) {
  if (pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    fail("{}: {} pixels do not make a {} x {} image", path.string(), pixels.size(), width, height);
  const float low = percentile(pixels, 0.005), high = percentile(pixels, 0.995);
  const float range = high > low ? high - low : 1.0f;
  std::vector<png_byte> grey(pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    const float v = (pixels[i] - low) / range * 255.0f;
    grey[i] = static_cast<png_byte>(std::isfinite(v) ? std::clamp(v, 0.0f, 255.0f) : 0.0f);
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) fail("{}: cannot create the file", path.string());
  if (!write_grey_png(file.get(), grey.data(), width, height) || std::fflush(file.get()) != 0)
    fail("{}: could not write the PNG (disk full?)", path.string());
}

}  // namespace tomo
