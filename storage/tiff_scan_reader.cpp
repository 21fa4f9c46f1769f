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

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <system_error>

#include "storage/scan_readers.hpp"
#include "storage/tiff_image.hpp"

namespace tomo::scan {
namespace {

namespace fs = std::filesystem;

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

void check_same_size(const TiffReader& image, const TiffReader& projection) {
  if (image.width() != projection.width() || image.height() != projection.height())
    fail("{}: {} rows x {} columns, but the projections ({}) are {} x {}", image.path().string(), image.height(),
         image.width(), projection.path().string(), projection.height(), projection.width());
}

// ---- readers --------------------------------------------------------------------------------

class TiffStackReader final : public ScanReader {
 public:
  explicit TiffStackReader(StackFiles files) : files_(std::move(files)) {
    const TiffReader first(files_.projections.front());
    check_same_size(TiffReader(files_.projections.back()), first);
    for (const fs::path& dark : files_.darks) check_same_size(TiffReader(dark), first);
    for (const fs::path& flat : files_.flats) check_same_size(TiffReader(flat), first);
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
      const TiffReader image(list[static_cast<std::size_t>(images.begin + k)]);
      if (image.width() != info_.columns || image.height() != info_.rows)
        fail("{}: {} rows x {} columns, but the scan's images are {} x {}", image.path().string(), image.height(),
             image.width(), info_.rows, info_.columns);
      image.read_rows(rows.begin, rows.end, out.data() + static_cast<std::size_t>(k) * columns, row_stride);
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
    const TiffReader image(path);
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
    const TiffReader image(info_.path);
    if (image.width() != info_.columns || image.height() != info_.projections)
      fail("{}: the image changed size since it was opened", info_.path.string());
    image.read_rows(images.begin, images.end, out.data(), static_cast<std::size_t>(info_.columns));
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
