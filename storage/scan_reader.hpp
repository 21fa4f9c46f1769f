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

// How far the acquisition of a scan has got. A Data Exchange file written while the scan is
// acquired (storage/scan_stream_writer.hpp, docs/formats.md "A scan being acquired") grows
// projection by projection; every other file is complete from the start.
struct AcquisitionState {
  int written = 0;        // projections the writer has declared written: the ones a reader may read
  int expected = 0;       // projections the scan will hold when complete
  bool complete = true;   // the writer marked the scan complete (then written == expected)
};

class ScanReader {
 public:
  virtual ~ScanReader() = default;
  // For a scan being acquired, info() describes the scan it will be: projections is the expected
  // count and angles_deg every expected angle (the file stores them up front), so a plan made
  // from it covers the whole scan, as it will for the completed file, which is an ordinary Data
  // Exchange file. How many of those projections can be read so far is refresh().written; read()
  // refuses the others, so code unaware of the acquisition fails rather than treating part of a
  // scan as all of it.
  virtual const ScanInfo& info() const = 0;
  // Reads images [images.begin, images.end) of the given stack, detector rows `rows`, all
  // columns, into `out`, laid out (row, image, column): out.size() must be
  // rows.size() * images.size() * columns. Values are converted to float32 as stored (raw
  // counts); nothing is corrected here. Throws tomo::Error naming the file and dataset -- also
  // for projections of a scan being acquired beyond those declared written.
  virtual void read(Frames frames, Range images, Range rows, std::span<float> out) = 0;
  // Follows a scan being acquired: re-reads the writer's progress, then the projections' extent,
  // and from then on read() takes projections [0, written); returns the state. info() does not
  // change. Not thread-safe with read(): call it between reads, from the thread that reads.
  // Every other file: {info().projections, info().projections, true}.
  virtual AcquisitionState refresh();
};

// Throws tomo::Error "FILE is still being acquired (N of M projections written): use recon
// --follow ..." unless refresh() says the scan is complete: a batch reconstruction reads every
// projection once, and must not reconstruct a partial scan as if it were whole.
void require_complete(ScanReader& scan);

// Opens a scan, detecting its layout from the file (or folder) unless one is forced.
// Throws tomo::Error when the file is missing, unreadable or of no known layout. A Data Exchange
// file still being acquired opens too (for SWMR reading, to follow it with refresh()); batch
// processing calls require_complete() after opening.
std::unique_ptr<ScanReader> open_scan(const std::filesystem::path& path,
                                      std::optional<Layout> layout = std::nullopt);

}  // namespace tomo
