#pragma once
// One reader interface over the scan layouts beamlines write (Elettra TDF, APS Data Exchange,
// NeXus NXtomo, TIFF stacks, single sinogram images). Every reader hands out float32 blocks
// in one order, sinogram-major (row, image, column), whatever the file's own order, and reads
// only the hyperslab asked for — never the whole file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tomo {

enum class Layout { tdf, dx, nxtomo, tiff_stack, sinogram_tiff };

// "tdf", "dx", "nxtomo", "tiff-stack", "sinogram-tiff"
std::string to_string(Layout layout);
// Throws tomo::Error listing the accepted names for an unknown one.
Layout parse_layout(const std::string& name);

// Which stack of images a read refers to. Flats and darks taken before the projections are
// kept apart from those taken after (for later interpolation between them); a file that does
// not tell them apart reports all of them as "before".
enum class Frames { projections, flats_before, flats_after, darks_before, darks_after };

// Half-open index range [begin, end).
struct Range {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
  bool operator==(const Range&) const = default;
};

// What a user sees in STP3's "quick summary" and `tomoedge info`.
struct ScanInfo {
  std::filesystem::path path;
  Layout layout = Layout::tdf;
  int projections = 0;
  int rows = 0;     // detector rows = sinograms = slices
  int columns = 0;  // detector width
  int flats_before = 0, flats_after = 0;
  int darks_before = 0, darks_after = 0;
  std::string dtype;        // "uint16", "float32", ...
  std::string chunking;     // "(1, 1, 2048)" or "contiguous"
  std::string compression;  // "none", "gzip", "lz4", ...
  // One angle per projection, in degrees, when the file stores them; empty otherwise.
  std::vector<double> angles_deg;
  std::optional<double> pixel_size_um;
  std::optional<double> distance_mm;
  std::optional<double> energy_kev;
  std::string sample;

  int flats() const { return flats_before + flats_after; }
  int darks() const { return darks_before + darks_after; }
  int count(Frames frames) const;
};

// How far the acquisition of a scan has got. A finished file: every projection written, complete.
struct AcquisitionState {
  int written = 0;
  int expected = 0;
  bool complete = true;
};

class ScanReader {
 public:
  virtual ~ScanReader() = default;
  virtual const ScanInfo& info() const = 0;
  // Reads images [images.begin, images.end) of the given stack, detector rows `rows`, all
  // columns, into `out`, laid out (row, image, column): out.size() must be
  // rows.size() * images.size() * columns. Values are converted to float32 as stored (raw
  // counts); nothing is corrected here. Throws tomo::Error naming the file and dataset.
  virtual void read(Frames frames, Range images, Range rows, std::span<float> out) = 0;
  // Looks again at a scan being acquired and says how far it has got; a finished file is complete.
  virtual AcquisitionState refresh() { return {info().projections, info().projections, true}; }
};

// Throws tomo::Error naming the scan when it is still being acquired (a batch reconstruction of
// it would miss projections; `recon --follow` reconstructs it as it grows).
void require_complete(ScanReader& scan);

// Opens a scan, detecting its layout from the file (or folder) unless one is forced.
// Throws tomo::Error when the file is missing, unreadable or of no known layout.
std::unique_ptr<ScanReader> open_scan(const std::filesystem::path& path,
                                      std::optional<Layout> layout = std::nullopt);

}  // namespace tomo
