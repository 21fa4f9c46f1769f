// APS Data Exchange: /exchange/data, /exchange/data_white, /exchange/data_dark stored
// projection-major (images, rows, columns), angles in /exchange/theta (degrees).
// Data Exchange has no notion of flats taken after the scan: every flat and dark is "before".
//
// A file written while the scan is acquired (storage/scan_stream_writer.hpp) also holds the
// writer's progress (storage/acquisition_progress.hpp): the scan is the expected one (its count,
// every angle in /exchange/theta), of which only the projections declared written can be read; a
// file not yet marked complete is opened for SWMR reading, to be followed with refresh().
#include <spdlog/spdlog.h>

#include "storage/acquisition_progress.hpp"
#include "storage/scan_readers.hpp"

namespace tomo::scan {
namespace {

// The writer's progress, when the file has one, and the projections' dataset shared with every
// other reader of the scan in this process (FollowedDatasets, scan_readers.hpp). A scan not yet
// complete needs SWMR reading to be followed, and open_read_only may have opened it plainly (a
// writer that closed the file after writing part of it); it is then opened again.
std::optional<Acquisition> open_acquisition(Hdf5Scan& scan, const std::filesystem::path& path,
                                            std::shared_ptr<const FollowedDatasets>& followed) {
  if (!h5::is_dataset(scan.file.get(), acquisition::kProgressPath)) return std::nullopt;
  const AcquisitionState state =
      acquisition::read_progress(h5::NamedDataset(scan.file.get(), path, acquisition::kProgressPath), false);
  if (!state.complete && !h5::is_swmr_read(scan.file.get())) {
    scan.file.reset();  // HDF5 opens a file once per process: close it entirely first
    scan.file = h5::open_swmr_read(path);
  }
  followed = followed_datasets(scan.file.get(), path);
  Acquisition found;
  found.progress = std::shared_ptr<const h5::NamedDataset>(followed, &followed->progress);
  found.state = acquisition::read_progress(*found.progress, false);
  return found;
}

}  // namespace

std::unique_ptr<ScanReader> open_dx(const std::filesystem::path& path) {
  Hdf5Scan scan{.file = h5::open_read_only(path), .info = {}, .stacks = {}, .acquisition = {}};
  h5::QuietErrors quiet;
  scan.info.path = path;
  scan.info.layout = Layout::dx;
  std::shared_ptr<const FollowedDatasets> followed;
  scan.acquisition = open_acquisition(scan, path, followed);
  const hid_t file = scan.file.get();
  if (!h5::link_exists(file, "/exchange/data"))
    fail("{}: no dataset /exchange/data (the projections of a Data Exchange file)", path.string());
  FrameStack& projection_stack = scan.stacks[Frames::projections] =
      whole_stack(file, path, "/exchange/data", AxisOrder::projection_major);
  if (scan.acquisition) {
    projection_stack.dataset = std::shared_ptr<const h5::NamedDataset>(followed, &followed->projections);
    // The dataset may already have grown past what the writer declared: those are not read.
    const int written = scan.acquisition->state.written;
    if (static_cast<int>(projection_stack.images.size()) < written)
      projection_stack.dataset->fail("holds {} projections, but {} declares {} written", projection_stack.images.size(),
                                     acquisition::kProgressPath, written);
    projection_stack.images = all_images(written);
  }
  if (h5::is_dataset(file, "/exchange/data_white"))
    scan.stacks[Frames::flats_before] = whole_stack(file, path, "/exchange/data_white", AxisOrder::projection_major);
  if (h5::is_dataset(file, "/exchange/data_dark"))
    scan.stacks[Frames::darks_before] = whole_stack(file, path, "/exchange/data_dark", AxisOrder::projection_major);

  // A scan being acquired stores the angles of every projection it expects.
  const int projections = scan.acquisition ? scan.acquisition->state.expected
                                           : static_cast<int>(scan.stacks.at(Frames::projections).images.size());
  if (h5::is_dataset(file, "/exchange/theta")) {
    const h5::NamedDataset theta(file, path, "/exchange/theta");
    std::vector<double> angles = read_angles_deg(theta);
    // A theta of another length cannot be matched to the projections; the reconstruction then
    // falls back to evenly spaced angles, which the user is told about.
    if (static_cast<int>(angles.size()) == projections) scan.info.angles_deg = std::move(angles);
    else
      spdlog::warn("{}: /exchange/theta has {} angles for {} projections; angles ignored", path.string(),
                   angles.size(), projections);
  }
  read_metadata(file, path, measurement_metadata_paths(), scan.info);
  return make_hdf5_reader(std::move(scan));
}

}  // namespace tomo::scan
