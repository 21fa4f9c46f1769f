// Scans stored as TIFF images:
//  - tiff-stack: a folder (or a pattern such as dir/raw_*.tiff) of single-page projections,
//    in natural name order; darks and flats are the TIFFs whose names contain "dark" and
//    "flat" / "white", looked for beside the projections and, when there are none there, in the
//    parent folder (Savu's test data keeps tiffs/raw_*.tiff under a folder with dark_*.tiff and
//    flat_*.tiff). Every dark and flat counts as taken before the scan.
//  - sinogram-tiff: one image of (angles x columns), i.e. one detector row of a whole scan.
// Only the rows asked for are decoded, one scanline at a time.
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <tiffio.h>

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "storage/scan_readers.hpp"

namespace tomo::scan {
namespace {

namespace fs = std::filesystem;

// libtiff reports problems through handlers; these keep the last error for our message and
// drop warnings (private tags and the like), with no process-wide handler changed.
int keep_error(TIFF*, void* user_data, const char*, const char* format, va_list arguments) {
  std::array<char, 512> text{};
  if (std::vsnprintf(text.data(), text.size(), format, arguments) < 0) return 1;
  *static_cast<std::string*>(user_data) = text.data();
  return 1;
}
int drop_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffCloser {
  void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

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

// One open single-channel TIFF image.
class TiffImage {
 public:
  explicit TiffImage(fs::path path) : path_(std::move(path)), last_error_(std::make_unique<std::string>()) {
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
    dtype_ = pixel_type_name();
  }

  const fs::path& path() const { return path_; }
  int width() const { return width_; }
  int height() const { return height_; }
  const std::string& dtype() const { return dtype_; }
  std::string compression() const { return compression_name(compression_); }
  // Decodes image rows [rows.begin, rows.end) as float32; row r goes to out + (r - rows.begin) * stride.
  void read_rows(Range rows, float* out, std::size_t stride) const {
    const std::uint64_t scanline_bytes = TIFFScanlineSize64(tiff_.get());  // 0 on error
    if (scanline_bytes < static_cast<std::uint64_t>(width_) * (bits_ / 8u))
      fail("{}: rows of {} bytes cannot hold {} pixels of {} ({})", path_.string(), scanline_bytes, width_, dtype_,
           reason());
    std::vector<unsigned char> scanline(static_cast<std::size_t>(scanline_bytes));
    for (int row = rows.begin; row < rows.end; ++row) {
      if (TIFFReadScanline(tiff_.get(), scanline.data(), static_cast<std::uint32_t>(row), 0) < 0)
        fail("{}: cannot read row {} ({}); truncated or corrupt TIFF?", path_.string(), row, reason());
      convert(scanline.data(), out + static_cast<std::size_t>(row - rows.begin) * stride);
    }
  }

 private:
  std::string reason() const { return last_error_->empty() ? "no detail from libtiff" : *last_error_; }

  std::string pixel_type_name() const {
    if (format_ == SAMPLEFORMAT_IEEEFP && (bits_ == 32 || bits_ == 64)) return fmt::format("float{}", bits_);
    if ((format_ == SAMPLEFORMAT_UINT || format_ == SAMPLEFORMAT_INT) && (bits_ == 8 || bits_ == 16 || bits_ == 32))
      return fmt::format("{}int{}", format_ == SAMPLEFORMAT_UINT ? "u" : "", bits_);
    fail("{}: {}-bit samples of format {} are not supported (8/16/32-bit integers, 32/64-bit floats)",
         path_.string(), bits_, format_);
  }

  template <class T>
  void convert_as(const unsigned char* scanline, float* out) const {
    for (int column = 0; column < width_; ++column) {
      T value;
      std::memcpy(&value, scanline + static_cast<std::size_t>(column) * sizeof(T), sizeof(T));
      out[column] = static_cast<float>(value);
    }
  }

  void convert(const unsigned char* scanline, float* out) const {
    if (dtype_ == "uint8") convert_as<std::uint8_t>(scanline, out);
    else if (dtype_ == "uint16") convert_as<std::uint16_t>(scanline, out);
    else if (dtype_ == "uint32") convert_as<std::uint32_t>(scanline, out);
    else if (dtype_ == "int8") convert_as<std::int8_t>(scanline, out);
    else if (dtype_ == "int16") convert_as<std::int16_t>(scanline, out);
    else if (dtype_ == "int32") convert_as<std::int32_t>(scanline, out);
    else if (dtype_ == "float32") convert_as<float>(scanline, out);
    else convert_as<double>(scanline, out);
  }

  fs::path path_;
  std::unique_ptr<std::string> last_error_;  // on the heap: libtiff keeps its address
  std::unique_ptr<TIFF, TiffCloser> tiff_;
  int width_ = 0, height_ = 0;
  std::uint16_t bits_ = 8, format_ = SAMPLEFORMAT_UINT, compression_ = COMPRESSION_NONE;
  std::string dtype_;
};

// ---- finding the files of a stack -----------------------------------------------------------

bool is_tiff(const fs::path& path) {
  const std::string extension = lowercase(path.extension().string());
  return extension == ".tif" || extension == ".tiff";
}

bool is_dark(const std::string& name) { return lowercase(name).find("dark") != std::string::npos; }
bool is_flat(const std::string& name) {
  const std::string key = lowercase(name);
  return key.find("flat") != std::string::npos || key.find("white") != std::string::npos;
}

// Natural order: digit runs compare by value, so raw_2 comes before raw_10 even unpadded.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t end_a = i, end_b = j;
      while (end_a < a.size() && std::isdigit(static_cast<unsigned char>(a[end_a]))) ++end_a;
      while (end_b < b.size() && std::isdigit(static_cast<unsigned char>(b[end_b]))) ++end_b;
      std::string_view digits_a(a.data() + i, end_a - i), digits_b(b.data() + j, end_b - j);
      while (digits_a.size() > 1 && digits_a.front() == '0') digits_a.remove_prefix(1);
      while (digits_b.size() > 1 && digits_b.front() == '0') digits_b.remove_prefix(1);
      if (digits_a.size() != digits_b.size()) return digits_a.size() < digits_b.size();
      if (digits_a != digits_b) return digits_a < digits_b;
      i = end_a;
      j = end_b;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // same natural key ("raw_1" vs "raw_01"): any fixed order
}

template <class Keep>
std::vector<fs::path> tiffs_in(const fs::path& folder, Keep keep) {
  std::vector<fs::path> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const fs::path& path = entry.path();
    if (entry.is_regular_file(error) && is_tiff(path) && keep(path.filename().string())) found.push_back(path);
  }
  if (error) fail("{}: cannot list the folder ({})", folder.string(), error.message());
  std::sort(found.begin(), found.end(),
            [](const fs::path& a, const fs::path& b) { return natural_less(a.filename().string(), b.filename().string()); });
  return found;
}

struct StackFiles {
  fs::path folder;
  std::vector<fs::path> projections, darks, flats;
};

// Darks or flats beside the projections, else in the folder above.
template <class Keep>
std::vector<fs::path> references(const fs::path& folder, Keep keep) {
  std::vector<fs::path> found = tiffs_in(folder, keep);
  std::error_code error;
  if (found.empty() && folder.has_parent_path() && fs::is_directory(folder.parent_path(), error))
    found = tiffs_in(folder.parent_path(), keep);
  return found;
}

StackFiles find_stack_files(const fs::path& path_or_pattern) {
  StackFiles files;
  fs::path path = path_or_pattern;
  if (!path.has_filename()) path = path.parent_path();  // "dir/" -> "dir"
  const std::string name = path.filename().string();
  const bool pattern = name.find_first_of("*?[") != std::string::npos;
  files.folder = fs::absolute(pattern ? path.parent_path() : path).lexically_normal();
  if (!files.folder.has_filename()) files.folder = files.folder.parent_path();
  std::error_code error;
  if (!pattern && fs::is_regular_file(path, error))
    fail("{}: is a file, not a folder of TIFF projections or a pattern such as dir/raw_*.tiff", path.string());
  if (!fs::is_directory(files.folder, error))
    fail("{}: no such folder of TIFF projections", (pattern ? files.folder : path).string());
  const auto is_reference = [](const std::string& file) { return is_dark(file) || is_flat(file); };
  files.projections = tiffs_in(files.folder, [&](const std::string& file) {
    return !is_reference(file) && (!pattern || fnmatch(name.c_str(), file.c_str(), 0) == 0);
  });
  if (files.projections.empty())
    fail("{}: no TIFF projections (files ending .tif or .tiff{}, whose names contain neither dark, flat nor white)",
         path_or_pattern.string(), pattern ? fmt::format(" matching {}", name) : "");
  files.darks = references(files.folder, is_dark);
  files.flats = references(files.folder, [](const std::string& file) { return is_flat(file) && !is_dark(file); });
  return files;
}

void check_same_size(const TiffImage& image, const TiffImage& projection) {
  if (image.width() != projection.width() || image.height() != projection.height())
    fail("{}: {} rows x {} columns, but the projections ({}) are {} x {}", image.path().string(), image.height(),
         image.width(), projection.path().string(), projection.height(), projection.width());
}

// ---- readers --------------------------------------------------------------------------------

class TiffStackReader final : public ScanReader {
 public:
  explicit TiffStackReader(StackFiles files) : files_(std::move(files)) {
    const TiffImage first(files_.projections.front());
    check_same_size(TiffImage(files_.projections.back()), first);
    for (const fs::path& dark : files_.darks) check_same_size(TiffImage(dark), first);
    for (const fs::path& flat : files_.flats) check_same_size(TiffImage(flat), first);
    info_.path = files_.folder;
    info_.layout = Layout::tiff_stack;
    info_.projections = static_cast<int>(files_.projections.size());
    info_.rows = first.height();
    info_.columns = first.width();
    info_.darks_before = static_cast<int>(files_.darks.size());
    info_.flats_before = static_cast<int>(files_.flats.size());
    info_.dtype = first.dtype();
    info_.chunking = "one file per image";
    info_.compression = first.compression();
  }

  const ScanInfo& info() const override { return info_; }

  void read(Frames frames, Range images, Range rows, std::span<float> out) override {
    check_read(info_, files_.folder.string(), frames, images, rows, out.size());
    const std::vector<fs::path>& list = frames == Frames::projections    ? files_.projections
                                        : frames == Frames::darks_before ? files_.darks
                                                                         : files_.flats;
    const auto columns = static_cast<std::size_t>(info_.columns);
    const std::size_t row_stride = static_cast<std::size_t>(images.size()) * columns;  // output is (row, image, column)
    for (int k = 0; k < images.size(); ++k) {
      const TiffImage image(list[static_cast<std::size_t>(images.begin + k)]);
      if (image.width() != info_.columns || image.height() != info_.rows)
        fail("{}: {} rows x {} columns, but the scan's images are {} x {}", image.path().string(), image.height(),
             image.width(), info_.rows, info_.columns);
      image.read_rows(rows, out.data() + static_cast<std::size_t>(k) * columns, row_stride);
    }
  }

 private:
  StackFiles files_;
  ScanInfo info_;
};

// One image holding a whole sinogram: each image row is one projection of one detector row.
class SinogramTiffReader final : public ScanReader {
 public:
  explicit SinogramTiffReader(const fs::path& path) {
    const TiffImage image(path);
    info_.path = path;
    info_.layout = Layout::sinogram_tiff;
    info_.projections = image.height();
    info_.rows = 1;
    info_.columns = image.width();
    info_.dtype = image.dtype();
    info_.chunking = "one image";
    info_.compression = image.compression();
  }

  const ScanInfo& info() const override { return info_; }

  void read(Frames frames, Range images, Range rows, std::span<float> out) override {
    check_read(info_, info_.path.string(), frames, images, rows, out.size());
    if (images.size() == 0 || rows.size() == 0) return;
    const TiffImage image(info_.path);
    if (image.width() != info_.columns || image.height() != info_.projections)
      fail("{}: the image changed size since it was opened", info_.path.string());
    image.read_rows(images, out.data(), static_cast<std::size_t>(info_.columns));
  }

 private:
  ScanInfo info_;
};

}  // namespace

std::unique_ptr<ScanReader> open_tiff_stack(const fs::path& path_or_pattern) {
  return std::make_unique<TiffStackReader>(find_stack_files(path_or_pattern));
}

std::unique_ptr<ScanReader> open_sinogram_tiff(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) fail("{}: no such file", path.string());
  if (fs::is_directory(path, error)) fail("{}: is a folder, not a sinogram image", path.string());
  return std::make_unique<SinogramTiffReader>(path);
}

}  // namespace tomo::scan
