// APS Data Exchange: /exchange/data, /exchange/data_white, /exchange/data_dark stored
// projection-major (images, rows, columns), angles in /exchange/theta (degrees).
// Data Exchange has no notion of flats taken after the scan: every flat and dark is "before".
#include <spdlog/spdlog.h>

#include "storage/scan_readers.hpp"

namespace tomo::scan {

std::unique_ptr<ScanReader> open_dx(const std::filesystem::path& path) {
  Hdf5Scan scan{.file = h5::open_read_only(path), .info = {}, .stacks = {}};
  h5::QuietErrors quiet;
  scan.info.path = path;
  scan.info.layout = Layout::dx;
  const hid_t file = scan.file.get();
  if (!h5::link_exists(file, "/exchange/data"))
    fail("{}: no dataset /exchange/data (the projections of a Data Exchange file)", path.string());
  scan.stacks[Frames::projections] = whole_stack(file, path, "/exchange/data", AxisOrder::projection_major);
  if (h5::is_dataset(file, "/exchange/data_white"))
    scan.stacks[Frames::flats_before] = whole_stack(file, path, "/exchange/data_white", AxisOrder::projection_major);
  if (h5::is_dataset(file, "/exchange/data_dark"))
    scan.stacks[Frames::darks_before] = whole_stack(file, path, "/exchange/data_dark", AxisOrder::projection_major);

  const int projections = static_cast<int>(scan.stacks.at(Frames::projections).images.size());
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
