#pragma once
// Internal to storage/: the readers behind open_scan(), one factory per layout, and the pieces
// the HDF5 layouts share. Users include storage/scan_reader.hpp only.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/hdf5_read.hpp"
#include "storage/scan_reader.hpp"

namespace tomo::scan {

// One factory per layout. Each throws tomo::Error naming the file and the missing or malformed
// dataset when the file does not fit its layout.
std::unique_ptr<ScanReader> open_tdf(const std::filesystem::path& path);
std::unique_ptr<ScanReader> open_dx(const std::filesystem::path& path);
std::unique_ptr<ScanReader> open_nxtomo(const std::filesystem::path& path);
std::unique_ptr<ScanReader> open_tiff_stack(const std::filesystem::path& path_or_pattern);
std::unique_ptr<ScanReader> open_sinogram_tiff(const std::filesystem::path& path);

// For NXtomo detection: true when the file holds an image_key dataset that resolves.
bool has_image_key(hid_t file);

// ASCII lower case, for comparing names and units without regard to case.
std::string lowercase(std::string text);

// "projections", "flats taken before the scan", ...
std::string frames_name(Frames frames);

// Throws tomo::Error (naming `source`, e.g. "tooth.h5: dataset /exchange/data") unless images
// and rows lie inside the scan and `out_size` is exactly rows x images x columns.
void check_read(const ScanInfo& info, const std::string& source, Frames frames, Range images, Range rows,
                std::size_t out_size);

// How a 3-D dataset orders its axes.
enum class AxisOrder {
  sinogram_major,    // (rows, images, columns): TDF; one sinogram is one contiguous block
  projection_major,  // (images, rows, columns): Data Exchange, NXtomo
};

// The frames of one kind (projections, flats before, ...) inside a 3-D dataset.
struct FrameStack {
  std::shared_ptr<const h5::NamedDataset> dataset;  // shared: NXtomo keeps every kind in one stack
  AxisOrder order = AxisOrder::projection_major;
  std::vector<int> images;  // positions along the dataset's image axis, in acquisition order
};

// Opens `path` in `file` as a 3-D numeric stack; throws naming the dataset when it is not one.
std::shared_ptr<const h5::NamedDataset> open_stack(hid_t file, const std::filesystem::path& file_name,
                                                   const std::string& path);
// Number of images along the stack's image axis.
int image_count(const h5::NamedDataset& dataset, AxisOrder order);
// 0, 1, ..., count - 1
std::vector<int> all_images(int count);
// Every image of the 3-D stack at `path` (open_stack's errors when it is not one).
FrameStack whole_stack(hid_t file, const std::filesystem::path& file_name, const std::string& path, AxisOrder order);

// A scan written while it is acquired (storage/acquisition_progress.hpp): the writer's progress
// dataset and the state it held at open or at the last refresh. The projections' FrameStack lists
// only the images declared written; info.projections is the expected count (make_hdf5_reader).
struct Acquisition {
  std::shared_ptr<const h5::NamedDataset> progress;
  AcquisitionState state;
};

// HDF5 opens a file once per process however often it is opened, and in HDF5 1.10.8 H5Drefresh
// through one identifier of a dataset while another identifier of the same dataset is open leaves
// what the refreshed one reads wrong: two readers of one growing scan in one process, the second
// merely open, read other values than the file holds (measured: 549756 of 552960 counts wrong;
// one reader alone reads every count right). So every reader in a process of a scan written while
// acquired shares one identifier of its progress and projection datasets, and refreshes, reads of
// its projections and the opening of scans hold one lock (HDF5's own lock makes single calls
// atomic, not a refresh between another thread's selection and its read).
struct FollowedDatasets {
  FollowedDatasets(hid_t file, const std::filesystem::path& path);
  h5::NamedDataset progress;     // /tomoedge/acquisition
  h5::NamedDataset projections;  // /exchange/data
};
// The datasets of the scan being acquired at `path` (open as `file`), shared with every other
// reader of the same file (device and inode) in this process; call with acquisition_mutex() held.
std::shared_ptr<const FollowedDatasets> followed_datasets(hid_t file, const std::filesystem::path& path);
// The lock described above: open_scan holds it while it opens, a reader of a scan being acquired
// while it refreshes or reads projections.
std::mutex& acquisition_mutex();

// What an HDF5 layout found: the open file, the stacks of each kind, and the metadata
// (sample, units, angles) already in `info`. make_hdf5_reader fills in the counts and storage.
struct Hdf5Scan {
  h5::File file;
  ScanInfo info;
  std::map<Frames, FrameStack> stacks;  // projections required; the others optional
  std::optional<Acquisition> acquisition;  // a scan being acquired, or one that was
};

// Checks that flats and darks have the projections' (rows, columns) -- else a tomo::Error
// naming both datasets and shapes -- and returns the reader over the stacks.
std::unique_ptr<ScanReader> make_hdf5_reader(Hdf5Scan scan);

// Where a layout keeps its optional metadata; the first path present wins.
struct MetadataPaths {
  std::vector<std::string> sample;      // text
  std::vector<std::string> pixel_size;  // read as micrometres
  std::vector<std::string> distance;    // sample-detector distance, read as millimetres
  std::vector<std::string> energy;      // read as keV
};
// The /measurement/... paths that Data Exchange and TDF share.
MetadataPaths measurement_metadata_paths();
// Reads what is present into `info`, converting by each dataset's `units` attribute. Metadata
// never stops a scan from opening: a value that cannot be read or converted is logged and left out.
void read_metadata(hid_t file, const std::filesystem::path& file_name, const MetadataPaths& paths,
                   ScanInfo& info);
// Angles in degrees from a 1-D dataset whose `units` says degrees (the default) or radians.
std::vector<double> read_angles_deg(const h5::NamedDataset& angles);

}  // namespace tomo::scan
