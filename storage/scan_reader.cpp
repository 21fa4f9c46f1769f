// Layout detection, the reader shared by the HDF5 layouts (TDF, Data Exchange, NXtomo), and the
// metadata they have in common. The layout-specific discovery lives in tdf_reader.cpp,
// dx_reader.cpp, nxtomo_reader.cpp and tiff_scan_reader.cpp.
#include "storage/scan_reader.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <numbers>
#include <string_view>
#include <system_error>

#include "kernels/error.hpp"
#include "storage/acquisition_progress.hpp"
#include "storage/scan_readers.hpp"

namespace tomo {

namespace fs = std::filesystem;

std::string to_string(Layout layout) {
  switch (layout) {
    case Layout::tdf: return "tdf";
    case Layout::dx: return "dx";
    case Layout::nxtomo: return "nxtomo";
    case Layout::tiff_stack: return "tiff-stack";
    case Layout::sinogram_tiff: return "sinogram-tiff";
  }
  return "unknown";
}

Layout parse_layout(const std::string& name) {
  for (Layout layout : {Layout::tdf, Layout::dx, Layout::nxtomo, Layout::tiff_stack, Layout::sinogram_tiff})
    if (to_string(layout) == name) return layout;
  fail("unknown scan layout '{}' (use tdf, dx, nxtomo, tiff-stack or sinogram-tiff)", name);
}

AcquisitionState ScanReader::refresh() { return {info().projections, info().projections, true}; }

int ScanInfo::count(Frames frames) const {
  switch (frames) {
    case Frames::projections: return projections;
    case Frames::flats_before: return flats_before;
    case Frames::flats_after: return flats_after;
    case Frames::darks_before: return darks_before;
    case Frames::darks_after: return darks_after;
  }
  return 0;
}

namespace scan {
namespace {

int checked_int(hsize_t value, const h5::NamedDataset& dataset) {
  if (value > static_cast<hsize_t>(INT_MAX)) dataset.fail("has an axis of {} elements, more than tomoedge handles", value);
  return static_cast<int>(value);
}

// (rows, columns) of one image of a stack.
std::pair<int, int> image_size(const h5::NamedDataset& dataset, AxisOrder order) {
  const std::vector<hsize_t> shape = dataset.shape();
  const hsize_t rows = order == AxisOrder::sinogram_major ? shape.at(0) : shape.at(1);
  return {checked_int(rows, dataset), checked_int(shape.at(2), dataset)};
}

std::string describe(const FrameStack& stack) {
  return fmt::format("{}: dataset {} {}", stack.dataset->file_name().string(), stack.dataset->path(),
                     h5::shape_string(stack.dataset->shape()));
}

// One reader for every HDF5 layout: the layouts differ only in where their stacks are, how the
// axes are ordered, and which images of a stack belong to which kind of frame.
class Hdf5ScanReader final : public ScanReader {
 public:
  explicit Hdf5ScanReader(Hdf5Scan scan)
      : file_(std::move(scan.file)),
        info_(std::move(scan.info)),
        stacks_(std::move(scan.stacks)),
        acquisition_(std::move(scan.acquisition)) {}

  const ScanInfo& info() const override { return info_; }

  void read(Frames frames, Range images, Range rows, std::span<float> out) override {
    h5::QuietErrors quiet;
    std::unique_lock<std::mutex> followed;
    if (acquisition_ && frames == Frames::projections) followed = std::unique_lock(acquisition_mutex());
    if (acquisition_ && !acquisition_->state.complete && frames == Frames::projections &&
        images.end > acquisition_->state.written)
      fail("{}: cannot read projections [{}, {}): {} of the {} expected are written so far (the scan is being "
           "acquired; refresh() follows it)",
           info_.path.string(), images.begin, images.end, acquisition_->state.written, acquisition_->state.expected);
    const auto found = stacks_.find(frames);
    check_read(info_, found != stacks_.end() ? describe(found->second) : info_.path.string(), frames, images, rows,
               out.size());
    if (images.size() == 0 || rows.size() == 0) return;
    read_stack(found->second, images, rows, out);
  }

  // Reads the writer's progress (after it, never before: the writer declares projections only
  // once their data is flushed), then the projections' extent, which must hold them.
  AcquisitionState refresh() override {
    if (!acquisition_) return ScanReader::refresh();
    Acquisition& acquisition = *acquisition_;
    if (acquisition.state.complete) return acquisition.state;
    const std::lock_guard followed(acquisition_mutex());
    h5::QuietErrors quiet;
    const AcquisitionState state = acquisition::read_progress(*acquisition.progress, true);
    if (state.expected != acquisition.state.expected || state.written < acquisition.state.written)
      acquisition.progress->fail("went from {} of {} projections written to {} of {}: not one growing scan",
                                 acquisition.state.written, acquisition.state.expected, state.written, state.expected);
    FrameStack& projections = stacks_.at(Frames::projections);
    projections.dataset->refresh();
    const int extent = image_count(*projections.dataset, projections.order);
    if (extent < state.written)
      projections.dataset->fail("holds {} projections, but {} declares {} written", extent,
                                acquisition.progress->path(), state.written);
    projections.images = all_images(state.written);
    acquisition.state = state;
    return state;
  }

 private:
  void read_stack(const FrameStack& stack, Range images, Range rows, std::span<float> out) const {
    const auto row_count = static_cast<hsize_t>(rows.size());
    const auto column_count = static_cast<hsize_t>(info_.columns);
    // The output is (row, image, column) whatever the file's order: each file block lands in a
    // strided selection of it, so no whole-scan temporary is ever needed.
    const std::array<hsize_t, 3> memory_dims{row_count, static_cast<hsize_t>(images.size()), column_count};
    const h5::Dataspace memory(H5Screate_simple(3, memory_dims.data(), nullptr));
    if (!memory) stack.dataset->fail("cannot describe the output block ({})", h5::error_detail());
    int done = 0;
    while (done < images.size()) {
      const int first = stack.images[static_cast<std::size_t>(images.begin + done)];
      // Sinogram-major blocks of consecutive images are one read; projection-major ones are one
      // read per image, because HDF5 matches selections in row-major order and cannot transpose.
      int run = 1;
      if (stack.order == AxisOrder::sinogram_major)
        while (done + run < images.size() &&
               stack.images[static_cast<std::size_t>(images.begin + done + run)] == first + run)
          ++run;
      const std::array<hsize_t, 3> memory_start{0, static_cast<hsize_t>(done), 0};
      const std::array<hsize_t, 3> memory_count{row_count, static_cast<hsize_t>(run), column_count};
      if (H5Sselect_hyperslab(memory.get(), H5S_SELECT_SET, memory_start.data(), nullptr, memory_count.data(),
                              nullptr) < 0)
        stack.dataset->fail("cannot select the output block ({})", h5::error_detail());
      const auto row0 = static_cast<hsize_t>(rows.begin);
      const auto image0 = static_cast<hsize_t>(first);
      if (stack.order == AxisOrder::sinogram_major) {
        const std::array<hsize_t, 3> start{row0, image0, 0};
        const std::array<hsize_t, 3> count{row_count, static_cast<hsize_t>(run), column_count};
        stack.dataset->read_floats(start, count, memory.get(), out.data());
      } else {
        const std::array<hsize_t, 3> start{image0, row0, 0};
        const std::array<hsize_t, 3> count{1, row_count, column_count};
        stack.dataset->read_floats(start, count, memory.get(), out.data());
      }
      done += run;
    }
  }


  h5::File file_;  // declared first so that the datasets below close before it
  ScanInfo info_;
  std::map<Frames, FrameStack> stacks_;
  std::optional<Acquisition> acquisition_;
};

// ---- metadata -------------------------------------------------------------------------------

struct Unit {
  std::string_view name;
  double factor;  // multiply a value in this unit by factor to get the target unit
};

// Target micrometres. "µ" comes as the micro sign (U+00B5) or the Greek mu (U+03BC).
constexpr std::array<Unit, 10> micrometres{{{"m", 1e6}, {"cm", 1e4}, {"mm", 1e3}, {"um", 1}, {"\xC2\xB5m", 1},
                                             {"\xCE\xBCm", 1}, {"micron", 1}, {"microns", 1}, {"micrometre", 1},
                                             {"nm", 1e-3}}};
constexpr std::array<Unit, 8> millimetres{{{"m", 1e3}, {"cm", 10}, {"mm", 1}, {"um", 1e-3}, {"\xC2\xB5m", 1e-3},
                                            {"\xCE\xBCm", 1e-3}, {"micron", 1e-3}, {"microns", 1e-3}}};
constexpr std::array<Unit, 6> kiloelectronvolts{{{"eV", 1e-3}, {"ev", 1e-3}, {"keV", 1}, {"kev", 1}, {"KeV", 1}, {"MeV", 1e3}}};

struct Quantity {
  double value = 0;
  std::string unit;  // empty when the file does not say
  std::string path;
};

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

// A number with its unit: a numeric dataset (the first value when it holds several, e.g. a
// pixel size per axis) or text such as "6.5 um" from an XML-derived file; a `units` (or
// `unit`) attribute wins over a unit written in the text.
std::optional<Quantity> read_quantity(hid_t file, const fs::path& file_name, const std::string& path) {
  const h5::NamedDataset dataset(file, file_name, path);
  Quantity quantity{.value = 0, .unit = {}, .path = path};
  if (dataset.is_numeric()) {
    const std::vector<double> values = dataset.read_doubles();
    if (values.empty()) return std::nullopt;
    quantity.value = values.front();
  } else {
    const std::vector<std::string> texts = dataset.read_strings();
    if (texts.empty()) return std::nullopt;
    const char* begin = texts.front().c_str();
    char* end = nullptr;
    quantity.value = std::strtod(begin, &end);
    if (end == begin) {
      spdlog::warn("{}: {} holds '{}', not a number; ignored", file_name.string(), path, texts.front());
      return std::nullopt;
    }
    quantity.unit = trim(end);
  }
  if (auto unit = dataset.string_attribute("units")) quantity.unit = trim(*unit);
  else if (auto single = dataset.string_attribute("unit")) quantity.unit = trim(*single);
  return quantity;
}

template <std::size_t N>
std::optional<double> convert(const Quantity& quantity, const std::array<Unit, N>& units, const char* what,
                              const fs::path& file_name) {
  for (const Unit& unit : units)
    if (quantity.unit == unit.name) return quantity.value * unit.factor;
  spdlog::warn("{}: {} is in '{}', not a unit of {} that tomoedge converts; ignored", file_name.string(),
               quantity.path, quantity.unit, what);
  return std::nullopt;
}

std::optional<Quantity> first_quantity(hid_t file, const fs::path& file_name, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (!h5::is_dataset(file, path)) continue;
    try {
      return read_quantity(file, file_name, path);
    } catch (const Error& error) {
      spdlog::warn("{} (metadata left out)", error.what());
    }
  }
  return std::nullopt;
}

std::optional<double> read_pixel_size_um(hid_t file, const fs::path& file_name, const std::vector<std::string>& paths) {
  auto quantity = first_quantity(file, file_name, paths);
  if (!quantity) return std::nullopt;
  if (quantity->unit.empty()) {
    // No detector pixel is smaller than a nanometre: a tiny unitless value is in metres, as
    // NeXus writers often store it.
    quantity->unit = std::abs(quantity->value) < 1e-3 ? "m" : "um";
    if (quantity->unit == "m")
      spdlog::warn("{}: {} has no units; {} read as metres", file_name.string(), quantity->path, quantity->value);
  }
  return convert(*quantity, micrometres, "pixel size", file_name);
}

std::optional<double> read_distance_mm(hid_t file, const fs::path& file_name, const std::vector<std::string>& paths) {
  auto quantity = first_quantity(file, file_name, paths);
  if (!quantity) return std::nullopt;
  if (quantity->unit.empty()) quantity->unit = "mm";
  return convert(*quantity, millimetres, "distance", file_name);
}

std::optional<double> read_energy_kev(hid_t file, const fs::path& file_name, const std::vector<std::string>& paths) {
  auto quantity = first_quantity(file, file_name, paths);
  if (!quantity) return std::nullopt;
  if (quantity->unit.empty()) {
    // Beams for CT are a few keV to a few hundred keV: a unitless value above 1000 is in eV,
    // as STP writes the monochromator energy.
    quantity->unit = std::abs(quantity->value) > 1000 ? "eV" : "keV";
    if (quantity->unit == "eV")
      spdlog::warn("{}: {} has no units; {} read as eV", file_name.string(), quantity->path, quantity->value);
  }
  return convert(*quantity, kiloelectronvolts, "X-ray energy", file_name);
}

// ---- layout detection -----------------------------------------------------------------------

bool has_wildcard(const std::string& name) { return name.find_first_of("*?[") != std::string::npos; }

std::string extension_of(const fs::path& path) { return lowercase(path.extension().string()); }

bool is_hdf5_extension(const std::string& extension) {
  for (std::string_view known : {".h5", ".hdf5", ".hdf", ".he5", ".nxs", ".nx", ".nx5", ".tdf", ".cxi"})
    if (extension == known) return true;
  return false;
}

// Data Exchange writes an `axes` attribute ("theta:y:x"); a file that puts the angle axis second
// ("y:theta:x") is stored sinogram-major, as TDF is.
bool axes_say_sinogram_major(hid_t file) {
  const h5::Object dataset(H5Oopen(file, "/exchange/data", H5P_DEFAULT));
  if (!dataset) return false;
  const auto axes = h5::string_attribute(dataset.get(), "axes");
  if (!axes) return false;
  std::vector<std::string> names;
  for (std::size_t start = 0; start <= axes->size();) {
    const std::size_t colon = std::min(axes->find(':', start), axes->size());
    names.push_back(lowercase(trim(axes->substr(start, colon - start))));
    start = colon + 1;
  }
  const auto is_angle = [](const std::string& name) { return name == "theta" || name == "angle" || name == "angles"; };
  return names.size() == 3 && is_angle(names[1]) && !is_angle(names[0]);
}

// Without an `axes` attribute the flats and darks can still tell: they share (rows, columns)
// with the projections, which are axes 1 and 2 projection-major but 0 and 2 sinogram-major.
// Only a file whose references fit the sinogram-major reading alone counts as TDF.
bool references_fit_only_sinogram_major(hid_t file, const fs::path& path) {
  const auto shape_of = [&](const char* name) {
    return h5::is_dataset(file, name) ? h5::NamedDataset(file, path, name).shape() : std::vector<hsize_t>{};
  };
  const std::vector<hsize_t> projections = shape_of("/exchange/data");
  if (projections.size() != 3) return false;
  bool projection_major_fits = true, sinogram_major_fits = true, any = false;
  for (const char* name : {"/exchange/data_white", "/exchange/data_dark"}) {
    const std::vector<hsize_t> shape = shape_of(name);
    if (shape.size() != 3) continue;
    any = true;
    projection_major_fits = projection_major_fits && shape[1] == projections[1] && shape[2] == projections[2];
    sinogram_major_fits = sinogram_major_fits && shape[0] == projections[0] && shape[2] == projections[2];
  }
  return any && sinogram_major_fits && !projection_major_fits;
}

Layout detect_hdf5_layout(const fs::path& path) {
  const h5::File file = h5::open_read_only(path);  // a truncated or corrupt file stops here
  h5::QuietErrors quiet;
  if (extension_of(path) == ".tdf") return Layout::tdf;
  if (h5::is_dataset(file.get(), "/exchange/data"))
    return axes_say_sinogram_major(file.get()) || references_fit_only_sinogram_major(file.get(), path) ? Layout::tdf
                                                                                                      : Layout::dx;
  if (h5::is_dataset(file.get(), "/tomo") || h5::is_dataset(file.get(), "/data")) return Layout::tdf;
  if (has_image_key(file.get())) return Layout::nxtomo;
  fail("{}: an HDF5 file of no known scan layout: it has no /exchange/data (Data Exchange or TDF), no /tomo or "
       "/data (older TDF) and no image_key dataset (NXtomo)",
       path.string());
}

Layout detect_layout(const fs::path& path) {
  if (has_wildcard(path.filename().string())) return Layout::tiff_stack;
  std::error_code error;
  if (!fs::exists(path, error)) fail("{}: no such file or folder", path.string());
  if (fs::is_directory(path, error)) return Layout::tiff_stack;
  const std::string extension = extension_of(path);
  if (extension == ".tif" || extension == ".tiff") return Layout::sinogram_tiff;
  if (h5::is_hdf5_file(path)) return detect_hdf5_layout(path);
  if (is_hdf5_extension(extension)) h5::open_read_only(path);  // throws: names what is wrong with it
  fail("{}: not a scan tomoedge can read: expected an HDF5 file (TDF, Data Exchange, NXtomo), a TIFF sinogram, "
       "or a folder or pattern (dir/raw_*.tiff) of TIFF projections",
       path.string());
}

}  // namespace

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string frames_name(Frames frames) {
  switch (frames) {
    case Frames::projections: return "projections";
    case Frames::flats_before: return "flats taken before the scan";
    case Frames::flats_after: return "flats taken after the scan";
    case Frames::darks_before: return "darks taken before the scan";
    case Frames::darks_after: return "darks taken after the scan";
  }
  return "frames";
}

void check_read(const ScanInfo& info, const std::string& source, Frames frames, Range images, Range rows,
                std::size_t out_size) {
  const int available = info.count(frames);
  if (images.begin < 0 || images.end < images.begin || images.end > available)
    fail("{}: cannot read {} [{}, {}): the scan has {} of them", source, frames_name(frames), images.begin,
         images.end, available);
  if (rows.begin < 0 || rows.end < rows.begin || rows.end > info.rows)
    fail("{}: cannot read detector rows [{}, {}): the scan has {} rows", source, rows.begin, rows.end, info.rows);
  const std::size_t needed = static_cast<std::size_t>(rows.size()) * static_cast<std::size_t>(images.size()) *
                             static_cast<std::size_t>(info.columns);
  if (out_size != needed)
    fail("{}: the output holds {} values, but {} rows x {} images x {} columns need {}", source, out_size,
         rows.size(), images.size(), info.columns, needed);
}

std::shared_ptr<const h5::NamedDataset> open_stack(hid_t file, const fs::path& file_name, const std::string& path) {
  auto dataset = std::make_shared<const h5::NamedDataset>(file, file_name, path);
  const std::vector<hsize_t> shape = dataset->shape();
  if (shape.size() != 3)
    dataset->fail("has shape {}, but a stack of images needs 3 dimensions", h5::shape_string(shape));
  if (!dataset->is_numeric()) dataset->fail("holds {}, not pixel values", dataset->dtype_name());
  return dataset;
}

int image_count(const h5::NamedDataset& dataset, AxisOrder order) {
  const std::vector<hsize_t> shape = dataset.shape();
  return checked_int(order == AxisOrder::sinogram_major ? shape.at(1) : shape.at(0), dataset);
}

std::vector<int> all_images(int count) {
  std::vector<int> images(static_cast<std::size_t>(std::max(count, 0)));
  for (int i = 0; i < count; ++i) images[static_cast<std::size_t>(i)] = i;
  return images;
}

FrameStack whole_stack(hid_t file, const fs::path& file_name, const std::string& path, AxisOrder order) {
  FrameStack stack{open_stack(file, file_name, path), order, {}};
  stack.images = all_images(image_count(*stack.dataset, order));
  return stack;
}

std::unique_ptr<ScanReader> make_hdf5_reader(Hdf5Scan scan) {
  h5::QuietErrors quiet;
  const auto projections = scan.stacks.find(Frames::projections);
  if (projections == scan.stacks.end()) fail("{}: no projections found", scan.info.path.string());
  const h5::NamedDataset& projection_data = *projections->second.dataset;
  const auto [rows, columns] = image_size(projection_data, projections->second.order);
  for (const auto& [frames, stack] : scan.stacks) {
    const auto [stack_rows, stack_columns] = image_size(*stack.dataset, stack.order);
    if (stack_rows != rows || stack_columns != columns)
      stack.dataset->fail("the {} are {} rows x {} columns (shape {}), but the projections ({}) are {} x {}",
                          frames_name(frames), stack_rows, stack_columns, h5::shape_string(stack.dataset->shape()),
                          projection_data.path(), rows, columns);
    const int available = image_count(*stack.dataset, stack.order);
    for (int image : stack.images)
      if (image < 0 || image >= available)
        stack.dataset->fail("image {} of the {} lies outside its {} images", image, frames_name(frames), available);
  }
  ScanInfo& info = scan.info;
  const auto count = [&](Frames frames) {
    const auto found = scan.stacks.find(frames);
    return found == scan.stacks.end() ? 0 : static_cast<int>(found->second.images.size());
  };
  // A scan being acquired is the scan it will be; only its written projections can be read.
  info.projections = scan.acquisition ? scan.acquisition->state.expected : count(Frames::projections);
  info.rows = rows;
  info.columns = columns;
  info.flats_before = count(Frames::flats_before);
  info.flats_after = count(Frames::flats_after);
  info.darks_before = count(Frames::darks_before);
  info.darks_after = count(Frames::darks_after);
  info.dtype = projection_data.dtype_name();
  info.chunking = projection_data.chunking();
  info.compression = projection_data.compression();
  return std::make_unique<Hdf5ScanReader>(std::move(scan));
}

FollowedDatasets::FollowedDatasets(hid_t file, const fs::path& path)
    : progress(file, path, acquisition::kProgressPath), projections(file, path, "/exchange/data") {}

std::mutex& acquisition_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::shared_ptr<const FollowedDatasets> followed_datasets(hid_t file, const fs::path& path) {
  // Keyed as HDF5 tells files apart: by device and inode, whatever the path.
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) fail("{}: cannot stat the file: {}", path.string(), std::strerror(errno));
  static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<const FollowedDatasets>> open;
  std::erase_if(open, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<const FollowedDatasets>& entry = open[{status.st_dev, status.st_ino}];
  if (auto shared = entry.lock()) return shared;
  auto created = std::make_shared<const FollowedDatasets>(file, path);
  entry = created;
  return created;
}

MetadataPaths measurement_metadata_paths() {
  return {
      .sample = {"/measurement/sample/name"},
      .pixel_size = {"/measurement/instrument/detector/pixel_size"},
      .distance = {"/measurement/instrument/detector/distance"},
      .energy = {"/measurement/instrument/monochromator/energy"},
  };
}

void read_metadata(hid_t file, const fs::path& file_name, const MetadataPaths& paths, ScanInfo& info) {
  h5::QuietErrors quiet;
  for (const std::string& path : paths.sample) {
    if (!h5::is_dataset(file, path)) continue;
    try {
      const std::vector<std::string> names = h5::NamedDataset(file, file_name, path).read_strings();
      if (!names.empty()) info.sample = trim(names.front());
      break;
    } catch (const Error& error) {
      spdlog::warn("{} (sample name left out)", error.what());
    }
  }
  info.pixel_size_um = read_pixel_size_um(file, file_name, paths.pixel_size);
  info.distance_mm = read_distance_mm(file, file_name, paths.distance);
  info.energy_kev = read_energy_kev(file, file_name, paths.energy);
}

std::vector<double> read_angles_deg(const h5::NamedDataset& angles) {
  std::vector<double> values = angles.read_doubles();
  const std::string unit = lowercase(trim(angles.string_attribute("units").value_or("degrees")));
  if (unit == "rad" || unit == "radian" || unit == "radians") {
    for (double& value : values) value *= 180 / std::numbers::pi;
  } else if (unit != "deg" && unit != "degree" && unit != "degrees" && !unit.empty()) {
    spdlog::warn("{}: {} has units '{}'; read as degrees", angles.file_name().string(), angles.path(), unit);
  }
  return values;
}

}  // namespace scan

std::unique_ptr<ScanReader> open_scan(const fs::path& path, std::optional<Layout> layout) {
  // Opening creates identifiers of datasets that a reader of the same scan may be refreshing
  // (scan_readers.hpp, FollowedDatasets).
  const std::lock_guard opening(scan::acquisition_mutex());
  const Layout chosen = layout ? *layout : scan::detect_layout(path);
  switch (chosen) {
    case Layout::tdf: return scan::open_tdf(path);
    case Layout::dx: return scan::open_dx(path);
    case Layout::nxtomo: return scan::open_nxtomo(path);
    case Layout::tiff_stack: return scan::open_tiff_stack(path);
    case Layout::sinogram_tiff: return scan::open_sinogram_tiff(path);
  }
  fail("{}: unknown layout", path.string());
}

void require_complete(ScanReader& scan) {
  const AcquisitionState state = scan.refresh();
  if (!state.complete)
    fail("{} is still being acquired ({} of {} projections written): use recon --follow to reconstruct it as it grows",
         scan.info().path.string(), state.written, state.expected);
}

}  // namespace tomo
