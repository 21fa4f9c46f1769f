#include "storage/scan_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "kernels/error.hpp"
#include "storage/hdf5_write.hpp"
#include "storage/scan_writers.hpp"

namespace tomo {
namespace fs = std::filesystem;

namespace scan {

TemporaryFile::TemporaryFile(fs::path final_path)
    : final_path_(std::move(final_path)), part_path_(final_path_.string() + ".part") {}

TemporaryFile::~TemporaryFile() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove(part_path_, ignored);
  }
}

void TemporaryFile::commit() {
  std::error_code error;
  fs::rename(part_path_, final_path_, error);
  if (error) fail("cannot rename {} to {}: {}", part_path_.string(), final_path_.string(), error.message());
  committed_ = true;
}

void check_output_path(const fs::path& path) {
  if (path.empty()) fail("--out is empty: give the scan's file name");
  std::error_code error;
  if (fs::is_directory(path, error)) fail("--out {} is a folder: give the scan's file name", path.string());
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, error)) fail("--out {}: folder {} does not exist", path.string(), folder.string());
  if (::access(folder.c_str(), W_OK) != 0)
    fail("--out {}: cannot write in folder {}: {}", path.string(), folder.string(), std::strerror(errno));
}

void write_measurement_metadata(hid_t file, const ScanMetadata& meta) {
  h5::write_string(file, "/measurement/sample/name", meta.sample_name);
  if (meta.pixel_size_um)
    h5::write_number(file, "/measurement/instrument/detector/pixel_size", *meta.pixel_size_um, "um");
  if (meta.distance_mm) h5::write_number(file, "/measurement/instrument/detector/distance", *meta.distance_mm, "mm");
  if (meta.energy_kev)
    h5::write_number(file, "/measurement/instrument/monochromator/energy", *meta.energy_kev, "keV");
}

}  // namespace scan

namespace {

using scan::TemporaryFile;
using scan::write_measurement_metadata;

// Memory for one block of truth slices.
constexpr std::size_t kTruthBlockBytes = std::size_t{64} << 20;
// ~1 MiB chunks: large enough for fast I/O, and one fits HDF5's default 1 MiB chunk cache, so
// readers that do not tune the cache still read a chunk once.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// Cache for the image stacks while writing: holds every chunk one block write touches even
// when a block does not cover its chunks whole.
constexpr std::size_t kWriteCacheBytes = std::size_t{32} << 20;

// The stacks in the order NXtomo stores them.
constexpr std::array<ImageKind, 4> kStackOrder = {ImageKind::dark, ImageKind::flat, ImageKind::projection,
                                                  ImageKind::flat_after};

std::size_t index_of(ImageKind kind) { return static_cast<std::size_t>(kind); }

// The names parse_simulated_layout takes (tomo::to_string covers every layout the readers know).
const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::tdf: return "tdf";
    case Layout::dx: return "dx";
    case Layout::nxtomo: return "nxtomo";
    default: return "(a layout the simulator does not write)";
  }
}

hsize_t to_hsize(int value) { return static_cast<hsize_t>(value); }

// Frames per chunk along a stack's image axis in TDF: at most ~kChunkBytes of one detector
// row, and the frames split evenly between the chunks (1800 frames of 2048 columns: 8 chunks of
// 225, not 7 of 256 and one of 8 padded to 256, which would waste 14 % of the file).
hsize_t tdf_chunk_frames(int frames, int columns) {
  const std::size_t per_frame = sizeof(std::uint16_t) * static_cast<std::size_t>(columns);
  const std::size_t most = std::clamp<std::size_t>(kChunkBytes / per_frame, 1, static_cast<std::size_t>(frames));
  const std::size_t chunks = (static_cast<std::size_t>(frames) + most - 1) / most;
  return (static_cast<std::size_t>(frames) + chunks - 1) / chunks;
}

// Where one stack's rows go: a dataset laid out (row, frame, column) (TDF) or (frame, row,
// column) (DX, NXtomo), starting at `first_frame` along the frame axis.
struct StackDestination {
  std::size_t dataset = 0;  // index into ScanStacks::datasets
  bool frame_major = false;
  hsize_t first_frame = 0;
};

struct ScanStacks {
  std::vector<h5::Dataset> datasets;
  std::array<StackDestination, 4> destinations;  // indexed by ImageKind

  const h5::Dataset& dataset_of(ImageKind kind) const { return datasets.at(destinations[index_of(kind)].dataset); }
};

// The stack names of TDF and DX (the same names, in different orders of axes).
constexpr std::array<std::pair<ImageKind, const char*>, 3> kExchangeNames = {
    {{ImageKind::projection, "/exchange/data"},
     {ImageKind::flat, "/exchange/data_white"},
     {ImageKind::dark, "/exchange/data_dark"}}};

ScanStacks create_tdf_stacks(hid_t file, const ScanSimulator& simulator, int gzip_level) {
  const SimulationParams& p = simulator.params();
  ScanStacks stacks;
  for (const auto& [kind, name] : kExchangeNames) {
    const int frames = simulator.frames(kind);
    const hsize_t dims[] = {to_hsize(p.rows), to_hsize(frames), to_hsize(p.columns)};
    // One detector row per chunk, consecutive frames of it: a sinogram lies in consecutive
    // chunks, written in order, so it is contiguous in the file.
    h5::StorageOptions storage{{1, tdf_chunk_frames(frames, p.columns), to_hsize(p.columns)}, gzip_level,
                               kWriteCacheBytes};
    stacks.destinations[index_of(kind)] = {stacks.datasets.size(), false, 0};
    stacks.datasets.push_back(h5::create_dataset(file, name, H5T_STD_U16LE, dims, storage));
  }
  return stacks;
}

ScanStacks create_dx_stacks(hid_t file, const ScanSimulator& simulator, int gzip_level, hsize_t block) {
  const SimulationParams& p = simulator.params();
  ScanStacks stacks;
  for (const auto& [kind, name] : kExchangeNames) {
    const hsize_t dims[] = {to_hsize(simulator.frames(kind)), to_hsize(p.rows), to_hsize(p.columns)};
    h5::StorageOptions storage{{1, block, to_hsize(p.columns)}, gzip_level, kWriteCacheBytes};
    stacks.destinations[index_of(kind)] = {stacks.datasets.size(), true, 0};
    stacks.datasets.push_back(h5::create_dataset(file, name, H5T_STD_U16LE, dims, storage));
  }
  return stacks;
}

ScanStacks create_nxtomo_stacks(hid_t file, const ScanSimulator& simulator, int gzip_level, hsize_t block) {
  const SimulationParams& p = simulator.params();
  const hsize_t frames = to_hsize(p.darks) + to_hsize(p.flats) + to_hsize(p.projections) + to_hsize(p.flats_after);
  const hsize_t dims[] = {frames, to_hsize(p.rows), to_hsize(p.columns)};
  h5::StorageOptions storage{{1, block, to_hsize(p.columns)}, gzip_level, kWriteCacheBytes};
  ScanStacks stacks;
  stacks.datasets.push_back(
      h5::create_dataset(file, "/entry/instrument/detector/data", H5T_STD_U16LE, dims, storage));
  stacks.destinations[index_of(ImageKind::dark)] = {0, true, 0};
  stacks.destinations[index_of(ImageKind::flat)] = {0, true, to_hsize(p.darks)};
  stacks.destinations[index_of(ImageKind::projection)] = {0, true, to_hsize(p.darks) + to_hsize(p.flats)};
  stacks.destinations[index_of(ImageKind::flat_after)] = {0, true,
                                                          to_hsize(p.darks) + to_hsize(p.flats) + to_hsize(p.projections)};
  return stacks;
}

// Writes a block of rows simulated as (row, frame, column) to its destination, reordering it to
// (frame, row, column) in `scratch` first where the file is projection-major.
void write_rows(const ScanStacks& stacks, ImageKind kind, int first_row, int rows, int frames, int columns,
                std::span<const std::uint16_t> block, std::vector<std::uint16_t>& scratch) {
  const StackDestination& to = stacks.destinations[index_of(kind)];
  const h5::Dataset& dataset = stacks.dataset_of(kind);
  const auto n = static_cast<std::size_t>(columns);
  if (!to.frame_major) {
    const hsize_t start[] = {to_hsize(first_row), to.first_frame, 0};
    const hsize_t count[] = {to_hsize(rows), to_hsize(frames), to_hsize(columns)};
    h5::write_block(dataset, start, count, block);
    return;
  }
  scratch.resize(block.size());
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
    for (std::size_t f = 0; f < static_cast<std::size_t>(frames); ++f)
      std::copy_n(block.data() + (r * static_cast<std::size_t>(frames) + f) * n, n,
                  scratch.data() + (f * static_cast<std::size_t>(rows) + r) * n);
  const hsize_t start[] = {to.first_frame, to_hsize(first_row), 0};
  const hsize_t count[] = {to_hsize(frames), to_hsize(rows), to_hsize(columns)};
  h5::write_block(dataset, start, count, std::span<const std::uint16_t>(scratch));
}

// The NeXus groups of NXtomo, its metadata, image keys, angles and the NXdata links. The
// image stack itself is created by create_nxtomo_stacks.
void write_nxtomo_structure(hid_t file, const ScanSimulator& simulator, const ScanMetadata& meta) {
  const h5::Group entry = h5::create_group(file, "/entry", "NXentry");
  h5::write_string(entry.get(), "definition", "NXtomo");
  const h5::Group instrument = h5::create_group(entry.get(), "instrument", "NXinstrument");
  const h5::Group detector = h5::create_group(instrument.get(), "detector", "NXdetector");
  const h5::Group sample = h5::create_group(entry.get(), "sample", "NXsample");
  h5::write_string(sample.get(), "name", meta.sample_name);
  if (meta.pixel_size_um) h5::write_number(detector.get(), "x_pixel_size", *meta.pixel_size_um, "um");
  if (meta.distance_mm) h5::write_number(detector.get(), "distance", *meta.distance_mm, "mm");
  if (meta.energy_kev) {
    const h5::Group source = h5::create_group(instrument.get(), "source", "NXsource");
    h5::write_number(source.get(), "energy", *meta.energy_kev, "keV");
  }

  // One key and one angle per frame: darks, flats, projections, then the flats after them.
  const std::vector<double> angles = simulator.angles_deg();
  std::vector<std::int32_t> image_key;
  std::vector<double> rotation_angle;
  for (const ImageKind kind : kStackOrder) {
    const int frames = simulator.frames(kind);
    for (int i = 0; i < frames; ++i) {
      image_key.push_back(nxtomo_image_key(kind));
      rotation_angle.push_back(kind == ImageKind::projection   ? angles[static_cast<std::size_t>(i)]
                               : kind == ImageKind::flat_after ? angles.back()
                                                               : angles.front());
    }
  }
  h5::write_array(detector.get(), "image_key", H5T_STD_I32LE, std::span<const std::int32_t>(image_key));
  const h5::Dataset angle_dataset =
      h5::write_array(sample.get(), "rotation_angle", H5T_IEEE_F64LE, std::span<const double>(rotation_angle));
  h5::write_attribute(angle_dataset.get(), "units", "degree");

  const h5::Group data = h5::create_group(entry.get(), "data", "NXdata");
  h5::write_attribute(data.get(), "signal", "data");
  h5::soft_link(data.get(), "data", "/entry/instrument/detector/data");
  h5::soft_link(data.get(), "image_key", "/entry/instrument/detector/image_key");
  h5::soft_link(data.get(), "rotation_angle", "/entry/sample/rotation_angle");
}

void write_scan(const ScanSimulator& simulator, const fs::path& path, const ScanWriteOptions& options) {
  const SimulationParams& p = simulator.params();
  const h5::File file = h5::create_file(path);
  const int block = rows_per_block(p, options.block_bytes);
  if (p.flats_after > 0 && options.layout != Layout::nxtomo)
    fail("--flats-after needs --layout nxtomo: the {} files written here have no place for flats taken after the scan",
         layout_name(options.layout));
  ScanStacks stacks;
  switch (options.layout) {
    case Layout::tdf:
      stacks = create_tdf_stacks(file.get(), simulator, options.gzip_level);
      write_measurement_metadata(file.get(), options.metadata);
      break;
    case Layout::dx: {
      stacks = create_dx_stacks(file.get(), simulator, options.gzip_level, to_hsize(block));
      write_measurement_metadata(file.get(), options.metadata);
      const std::vector<double> theta = simulator.angles_deg();
      h5::write_array(file.get(), "/exchange/theta", H5T_IEEE_F64LE, std::span<const double>(theta));
      break;
    }
    case Layout::nxtomo:
      write_nxtomo_structure(file.get(), simulator, options.metadata);
      stacks = create_nxtomo_stacks(file.get(), simulator, options.gzip_level, to_hsize(block));
      break;
    default:
      fail("--layout {}: the simulator writes only tdf, dx and nxtomo", layout_name(options.layout));
  }

  std::vector<std::uint16_t> counts, scratch;
  for (int first = 0; first < p.rows; first += block) {
    const int rows = std::min(block, p.rows - first);
    for (const ImageKind kind : kStackOrder) {
      const int frames = simulator.frames(kind);
      if (frames == 0) continue;
      counts.resize(static_cast<std::size_t>(rows) * static_cast<std::size_t>(frames) *
                    static_cast<std::size_t>(p.columns));
      simulator.simulate(kind, first, rows, counts, options.threads);
      write_rows(stacks, kind, first, rows, frames, p.columns, counts, scratch);
    }
    spdlog::debug("simulate: rows {}–{} of {} written", first, first + rows - 1, p.rows);
  }
  h5::flush(file);
}

void write_truth_file(const ScanSimulator& simulator, const fs::path& path, const ScanWriteOptions& options) {
  const SimulationParams& p = simulator.params();
  const h5::File file = h5::create_file(path);
  const auto n = static_cast<std::size_t>(simulator.field_width());
  const hsize_t dims[] = {to_hsize(p.rows), n, n};
  const hsize_t chunk_rows = std::clamp<hsize_t>(kChunkBytes / (sizeof(float) * n), 1, n);
  const h5::Dataset phantom = h5::create_dataset(file.get(), "/phantom", H5T_IEEE_F32LE, dims,
                                                 {{1, chunk_rows, n}, options.gzip_level, 0});
  h5::write_attribute(phantom.get(), "units", "1/pixel");
  h5::write_attribute(phantom.get(), "description",
                      fmt::format("attenuation per pixel of each slice (row, N, N); slice pixel (r, j) sits at "
                                  "x = j - N/2, y = N/2 - r; each value is the mean over {0} x {0} points inside "
                                  "the pixel",
                                  p.truth_subsamples));

  const int block = static_cast<int>(std::clamp<std::size_t>(kTruthBlockBytes / (sizeof(float) * n * n), 1,
                                                             static_cast<std::size_t>(p.rows)));
  std::vector<float> slices;
  for (int first = 0; first < p.rows; first += block) {
    const int rows = std::min(block, p.rows - first);
    slices.resize(static_cast<std::size_t>(rows) * n * n);
    simulator.truth(first, rows, slices, options.threads);
    const hsize_t start[] = {to_hsize(first), 0, 0};
    const hsize_t count[] = {to_hsize(rows), n, n};
    h5::write_block(phantom, start, count, std::span<const float>(slices));
  }

  // What tests and benchmarks need to know about the scan without re-deriving it.
  const h5::Group simulation = h5::create_group(file.get(), "/simulation");
  h5::write_number(simulation.get(), "axis", simulator.axis(), "pixel");
  h5::write_number(simulation.get(), "cor_offset", p.cor_offset, "pixel");
  h5::write_number(simulation.get(), "photons", p.photons);
  h5::write_number(simulation.get(), "counts_per_photon", simulator.counts_per_photon());
  h5::write_number(simulation.get(), "span", p.span_deg, "degree");
  h5::write_string(simulation.get(), "layout", layout_name(options.layout));
  const std::uint64_t seed[] = {p.seed};
  h5::write_array(simulation.get(), "seed", H5T_STD_U64LE, std::span<const std::uint64_t>(seed));
  const std::vector<double> angles = simulator.angles_deg();
  h5::write_array(simulation.get(), "angles", H5T_IEEE_F64LE, std::span<const double>(angles));
  std::vector<std::int32_t> columns(simulator.defective_columns().begin(), simulator.defective_columns().end());
  std::vector<double> gains;
  for (const int c : columns) gains.push_back(simulator.defect_gain()[static_cast<std::size_t>(c)]);
  h5::write_array(simulation.get(), "defective_columns", H5T_STD_I32LE, std::span<const std::int32_t>(columns));
  h5::write_array(simulation.get(), "defect_gain", H5T_IEEE_F64LE, std::span<const double>(gains));
  std::vector<double> z(static_cast<std::size_t>(p.rows));
  for (int r = 0; r < p.rows; ++r) z[static_cast<std::size_t>(r)] = simulator.phantom().z_of_row(r);
  h5::write_array(simulation.get(), "z", H5T_IEEE_F64LE, std::span<const double>(z));
  h5::flush(file);
}

}  // namespace

Layout parse_simulated_layout(const std::string& name) {
  const bool known = name == "tdf" || name == "dx" || name == "nxtomo";
  if (!known) fail("--layout '{}' is not a layout the simulator writes: use tdf, dx or nxtomo", name);
  return parse_layout(name);  // one spelling of the names, in scan_reader.cpp
}

fs::path truth_path(const fs::path& scan_path) { return fs::path(scan_path.string() + ".truth.h5"); }

int rows_per_block(const SimulationParams& params, std::size_t block_bytes) {
  const std::size_t row_bytes =
      sizeof(std::uint16_t) * static_cast<std::size_t>(params.projections) * static_cast<std::size_t>(params.columns);
  const std::size_t fit = std::max<std::size_t>(1, block_bytes / std::max<std::size_t>(row_bytes, 1));
  const std::size_t power_of_two = std::size_t{1} << (std::bit_width(fit) - 1);
  return static_cast<int>(std::min<std::size_t>(power_of_two, static_cast<std::size_t>(std::max(params.rows, 1))));
}

void write_simulated_scan(const ScanSimulator& simulator, const fs::path& path, const ScanWriteOptions& options) {
  if (options.gzip_level < 0 || options.gzip_level > 9) fail("--gzip {} is out of range: allowed 0 to 9", options.gzip_level);
  scan::check_output_path(path);
  std::optional<TemporaryFile> truth;
  if (options.write_truth) {
    truth.emplace(truth_path(path));
    write_truth_file(simulator, truth->part(), options);
  } else {
    std::error_code ignored;  // a truth left from an earlier scan of this name would mislead
    fs::remove(truth_path(path), ignored);
  }
  TemporaryFile scan_file(path);
  write_scan(simulator, scan_file.part(), options);
  if (truth) truth->commit();
  scan_file.commit();
}

void write_simulation_truth(const ScanSimulator& simulator, const fs::path& scan_path, const ScanWriteOptions& options) {
  if (options.gzip_level < 0 || options.gzip_level > 9) fail("--gzip {} is out of range: allowed 0 to 9", options.gzip_level);
  scan::check_output_path(scan_path);
  TemporaryFile truth(truth_path(scan_path));
  write_truth_file(simulator, truth.part(), options);
  truth.commit();
}

}  // namespace tomo
