#include "storage/scan_stream_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "kernels/error.hpp"
#include "storage/acquisition_progress.hpp"
#include "storage/hdf5_write.hpp"
#include "storage/scan_writers.hpp"

namespace tomo {
namespace fs = std::filesystem;
namespace {

// HDF5 caps a chunk at 4 GiB, and a chunk here is one whole image.
constexpr std::size_t kMaxChunkBytes = (std::size_t{1} << 32) - 1;

hsize_t to_hsize(int value) { return static_cast<hsize_t>(value); }

void check_shape(const StreamingScan& scan) {
  if (scan.projections < 1) fail("a scan being acquired needs at least 1 expected projection, not {}", scan.projections);
  if (scan.rows < 1 || scan.columns < 1)
    fail("a scan being acquired needs images of at least 1 x 1 pixels, not {} rows x {} columns", scan.rows,
         scan.columns);
  if (scan.flats < 0 || scan.darks < 0) fail("{} flats and {} darks: counts cannot be negative", scan.flats, scan.darks);
  if (static_cast<int>(scan.angles_deg.size()) != scan.projections)
    fail("{} angles for {} expected projections: a scan being acquired stores one angle per projection up front",
         scan.angles_deg.size(), scan.projections);
  if (scan.gzip_level < 0 || scan.gzip_level > 9) fail("--gzip {} is out of range: allowed 0 to 9", scan.gzip_level);
  if (sizeof(std::uint16_t) * static_cast<std::size_t>(scan.rows) * static_cast<std::size_t>(scan.columns) > kMaxChunkBytes)
    fail("images of {} rows x {} columns exceed HDF5's 4 GiB chunk (one image per chunk)", scan.rows, scan.columns);
}

// Which images of a fixed stack (darks, flats) have been written.
struct ReferenceStack {
  h5::Dataset dataset;
  std::vector<bool> written;
  const char* name = "";  // "darks", "flats"
};

}  // namespace

struct StreamingScanWriter::State {
  State(fs::path final_path, StreamingScan shape) : path(std::move(final_path)), scan(std::move(shape)), part(path) {}

  fs::path path;
  StreamingScan scan;
  scan::TemporaryFile part;  // removes PATH.part unless start() renamed it; after the handles below close
  h5::File file;             // declared before the datasets, so that they close first
  h5::Dataset projections;
  h5::Dataset progress;
  ReferenceStack darks, flats;
  int written = 0;
  bool started = false;
  bool finished = false;

  std::size_t image_size() const { return static_cast<std::size_t>(scan.rows) * static_cast<std::size_t>(scan.columns); }

  // Images in a block of `values` counts; throws unless it is whole images.
  int images_in(std::span<const std::uint16_t> values, const char* what) const {
    if (values.size() % image_size() != 0)
      fail("{}: {} values of {} are not whole images of {} rows x {} columns", path.string(), values.size(), what,
           scan.rows, scan.columns);
    return static_cast<int>(values.size() / image_size());
  }

  void write_progress(bool complete) {
    const std::array<std::int64_t, acquisition::kValueCount> values{written, scan.projections, complete ? 1 : 0};
    const hsize_t start[] = {0};
    const hsize_t count[] = {acquisition::kValueCount};
    h5::write_block(progress, start, count, std::span<const std::int64_t>(values));
    h5::flush(progress);
  }

  void write_references(ReferenceStack& stack, int first, std::span<const std::uint16_t> images) {
    if (started) fail("{}: {} are written before start(), which switches the file to SWMR writing", path.string(), stack.name);
    const int count = images_in(images, stack.name);
    const int total = static_cast<int>(stack.written.size());
    if (first < 0 || first + count > total)
      fail("{}: cannot write {} [{}, {}): the scan has {} of them", path.string(), stack.name, first, first + count, total);
    const hsize_t start[] = {to_hsize(first), 0, 0};
    const hsize_t block[] = {to_hsize(count), to_hsize(scan.rows), to_hsize(scan.columns)};
    h5::write_block(stack.dataset, start, block, images);
    std::fill_n(stack.written.begin() + first, count, true);
  }
};

StreamingScanWriter::StreamingScanWriter(fs::path path, StreamingScan scan) {
  check_shape(scan);
  scan::check_output_path(path);
  state_ = std::make_unique<State>(std::move(path), std::move(scan));
  State& s = *state_;
  const StreamingScan& shape = s.scan;
  s.file = h5::create_swmr_capable_file(s.part.part());
  const hid_t file = s.file.get();
  const hsize_t image[] = {to_hsize(shape.rows), to_hsize(shape.columns)};
  // One image per chunk: a projection is written, flushed and read whole, and a reader never
  // meets a chunk the writer is still filling.
  const h5::StorageOptions storage{{1, image[0], image[1]}, shape.gzip_level, 0};

  const hsize_t projections_now[] = {0, image[0], image[1]};
  const hsize_t projections_max[] = {H5S_UNLIMITED, image[0], image[1]};
  s.projections = h5::create_dataset(file, "/exchange/data", H5T_STD_U16LE, projections_now, projections_max, storage);
  h5::write_attribute(s.projections.get(), "axes", "theta:y:x");
  const auto reference = [&](ReferenceStack& stack, const char* dataset_path, int count, const char* name) {
    const hsize_t dims[] = {to_hsize(count), image[0], image[1]};
    stack.dataset = h5::create_dataset(file, dataset_path, H5T_STD_U16LE, dims, storage);
    stack.written.assign(static_cast<std::size_t>(count), false);
    stack.name = name;
  };
  reference(s.flats, "/exchange/data_white", shape.flats, "flats");
  reference(s.darks, "/exchange/data_dark", shape.darks, "darks");
  const h5::Dataset theta =
      h5::write_array(file, "/exchange/theta", H5T_IEEE_F64LE, std::span<const double>(shape.angles_deg));
  h5::write_attribute(theta.get(), "units", "degrees");
  scan::write_measurement_metadata(file, shape.metadata);

  const hsize_t progress_dims[] = {acquisition::kValueCount};
  s.progress = h5::create_compact_dataset(file, acquisition::kProgressPath, H5T_STD_I64LE, progress_dims);
  h5::write_attribute(s.progress.get(), "description",
                      "projections written, projections expected, complete (0 or 1): a reader reads no projection "
                      "beyond the number written; the writer updates it after their data is flushed");
  s.write_progress(false);
}

StreamingScanWriter::~StreamingScanWriter() {
  if (state_ && state_->started && !state_->finished)
    spdlog::warn("{}: closed with {} of {} projections written; the scan stays incomplete", state_->path.string(),
                 state_->written, state_->scan.projections);
}

void StreamingScanWriter::write_darks(int first, std::span<const std::uint16_t> images) {
  state_->write_references(state_->darks, first, images);
}

void StreamingScanWriter::write_flats(int first, std::span<const std::uint16_t> images) {
  state_->write_references(state_->flats, first, images);
}

void StreamingScanWriter::start() {
  State& s = *state_;
  if (s.started) fail("{}: start() called twice", s.path.string());
  for (const ReferenceStack* stack : {&s.darks, &s.flats}) {
    const auto missing = std::find(stack->written.begin(), stack->written.end(), false);
    if (missing != stack->written.end())
      fail("{}: {} {} of {} not written before start(): no image can be added to a stack once SWMR writing starts",
           s.path.string(), stack->name, missing - stack->written.begin(), stack->written.size());
  }
  h5::flush(s.file);
  h5::start_swmr_write(s.file);
  // Only now: before SWMR writing starts, HDF5 locks the file and a follower could not open it.
  s.part.commit();
  s.started = true;
  spdlog::debug("{}: acquisition started, {} projections expected", s.path.string(), s.scan.projections);
}

void StreamingScanWriter::append(std::span<const std::uint16_t> projections) {
  State& s = *state_;
  if (!s.started || s.finished)
    fail("{}: projections are appended after start() and before finish()", s.path.string());
  const int count = s.images_in(projections, "projections");
  const int total = s.written + count;
  if (total > s.scan.projections)
    fail("{}: cannot append projections [{}, {}): the scan expects {}", s.path.string(), s.written, total,
         s.scan.projections);
  if (count == 0) return;
  try {
    const hsize_t extent[] = {to_hsize(total), to_hsize(s.scan.rows), to_hsize(s.scan.columns)};
    h5::set_extent(s.projections, extent);
    const hsize_t start[] = {to_hsize(s.written), 0, 0};
    const hsize_t block[] = {to_hsize(count), extent[1], extent[2]};
    h5::write_block(s.projections, start, block, projections);
    h5::flush(s.projections);
    // The data is in the file: only now may a reader learn of it.
    const int before = std::exchange(s.written, total);
    try {
      s.write_progress(false);
    } catch (...) {
      s.written = before;
      throw;
    }
  } catch (const Error& error) {
    fail("{}: appending projections [{}, {}) failed: {}", s.path.string(), total - count, total, error.what());
  }
}

void StreamingScanWriter::finish() {
  State& s = *state_;
  if (!s.started || s.finished) fail("{}: finish() needs start() first, and once only", s.path.string());
  if (s.written != s.scan.projections)
    fail("{}: cannot mark the scan complete with {} of {} projections written", s.path.string(), s.written,
         s.scan.projections);
  s.write_progress(true);
  h5::flush(s.file);
  s.progress.reset();
  s.projections.reset();
  s.darks.dataset.reset();
  s.flats.dataset.reset();
  s.file.reset();
  s.finished = true;
}

const fs::path& StreamingScanWriter::path() const { return state_->path; }
int StreamingScanWriter::written() const { return state_->written; }
int StreamingScanWriter::expected() const { return state_->scan.projections; }
bool StreamingScanWriter::started() const { return state_->started; }
bool StreamingScanWriter::finished() const { return state_->finished; }

}  // namespace tomo
