#pragma once
// Writes a scan while it is acquired, so that another process can follow it and reconstruct as
// it grows (docs/formats.md, "A scan being acquired"). The file is APS Data Exchange, as
// storage/scan_writer.hpp writes it, in the newest HDF5 format:
//
//   /exchange/data        (P, R, N) uint16, projection-major, one projection per chunk, its first
//                         dimension UNLIMITED: 0 projections at first, growing with append()
//   /exchange/data_white  (F, R, N) uint16, /exchange/data_dark (D, R, N) uint16
//   /exchange/theta       (P) float64 degrees: the angle of every expected projection, up front
//   /measurement/...      sample name, pixel size, distance, energy (as scan_writer.cpp)
//   /tomoedge/acquisition int64 [3] = {projections written, projections expected, complete 0/1}
//
// The order of work: create the file as FILE.part, write the darks and flats, the angles, the
// metadata and the progress {0, P, 0}; start() switches it to SWMR writing and renames it to FILE
// (so a file under its final name can always be opened by a follower); append() grows
// /exchange/data, writes and flushes the projections, and only then rewrites and flushes the
// progress; finish() marks it complete. A reader trusts the progress, never the dataset's extent,
// which HDF5 may show a reader before the data. HDF5 1.10's SWMR allows no new objects or
// attributes once started, hence a progress dataset rather than an attribute.
//
// A writer destroyed without finish() -- an exception, an aborted acquisition -- closes the file
// with the projections it declared and leaves it incomplete; so does a writer process that is
// killed (the file then stays marked as open by a SWMR writer: readers open it for SWMR reading,
// which tomoedge does by itself; other tools need `h5clear -s FILE` first).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "storage/scan_writer.hpp"

namespace tomo {

// What a scan being acquired will hold.
struct StreamingScan {
  int projections = 0;  // expected
  int rows = 0;
  int columns = 0;
  int flats = 0;
  int darks = 0;
  std::vector<double> angles_deg;  // one per expected projection, degrees
  ScanMetadata metadata;
  int gzip_level = 0;  // 0–9, for every image stack (HDF5 1.10 SWMR reads filtered chunks)
};

class StreamingScanWriter {
 public:
  // Creates PATH.part with every dataset (checks the shape and the output path first). Throws
  // tomo::Error naming --out or the file and dataset.
  StreamingScanWriter(std::filesystem::path path, StreamingScan scan);
  // Closes the file; before start() it removes PATH.part, after it the scan stays as far as it
  // got, incomplete unless finish() was called.
  ~StreamingScanWriter();
  StreamingScanWriter(const StreamingScanWriter&) = delete;
  StreamingScanWriter& operator=(const StreamingScanWriter&) = delete;

  // Before start(): darks (or flats) [first, first + k), laid out (k, rows, columns), k =
  // images.size() / (rows × columns).
  void write_darks(int first, std::span<const std::uint16_t> images);
  void write_flats(int first, std::span<const std::uint16_t> images);
  // Once every dark and flat is written: switches the file to SWMR writing and renames it to its
  // final name. From here a follower can open it.
  void start();
  // After start(): the next k projections, laid out (k, rows, columns); at most the expected
  // count in all. Returns once their data and then the progress declaring them are flushed.
  void append(std::span<const std::uint16_t> projections);
  // Once every expected projection is appended: marks the scan complete and closes the file.
  void finish();

  const std::filesystem::path& path() const;
  int written() const;   // projections appended (and declared) so far
  int expected() const;  // StreamingScan::projections
  bool started() const;
  bool finished() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tomo
