#pragma once
// Internal to storage/: the pieces the scan writers share (storage/scan_writer.hpp writes a whole
// simulated scan, storage/scan_stream_writer.hpp one that grows while it is acquired). Users
// include those headers only.
#include <hdf5.h>

#include <filesystem>

#include "storage/scan_writer.hpp"

namespace tomo::scan {

// A file written under FILE.part and renamed to FILE by commit(); removed if never committed, so
// that a file under its final name is never a half-written one (or, for a scan being acquired,
// one a reader cannot open yet).
class TemporaryFile {
 public:
  explicit TemporaryFile(std::filesystem::path final_path);
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile();

  const std::filesystem::path& part() const { return part_path_; }
  bool committed() const { return committed_; }
  // Renames FILE.part to FILE (replacing any FILE). Throws tomo::Error naming both on failure.
  void commit();

 private:
  std::filesystem::path final_path_;
  std::filesystem::path part_path_;
  bool committed_ = false;
};

// Throws tomo::Error naming --out unless `path` is a file name in a folder that exists and can
// be written.
void check_output_path(const std::filesystem::path& path);

// /measurement/sample/name, instrument/detector/pixel_size [um], instrument/detector/distance
// [mm], instrument/monochromator/energy [keV], as TDF and Data Exchange keep them; only the
// values given are written.
void write_measurement_metadata(hid_t file, const ScanMetadata& meta);

}  // namespace tomo::scan
