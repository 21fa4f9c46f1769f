#pragma once
// Where reconstructed slices go: a TIFF stack (PREFIX_NNNN.tif, NNNN the detector row) or one
// HDF5 volume laid out as NeXus NXtomoproc. Nothing is ever visible under its final name until
// it is complete: each file is written under a temporary name and renamed.
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/tiff_image.hpp"

namespace tomo {

enum class OutputFormat { tiff, hdf5 };
OutputFormat parse_output_format(const std::string& name);  // "tiff" | "hdf5"

struct OutputSpec {
  std::filesystem::path folder;
  std::string prefix = "slice";
  OutputFormat format = OutputFormat::tiff;
  PixelType type = PixelType::float32;
  float low = 0, high = 1;  // grey-level range for integer types
};

// What makes a volume reproducible from its own file (NXtomoproc's reconstruction group).
struct Provenance {
  std::string raw_file;
  std::string parameters_json;
  std::string version;
};

class SliceWriter {
 public:
  virtual ~SliceWriter() = default;
  // Writes the height × width slice of detector row `row` (one of the rows the writer was made for).
  virtual void write(int row, std::span<const float> slice) = 0;
  // Makes the output visible under its final names. Without finish(), an HDF5 volume is removed.
  virtual void finish() = 0;
  // The final path of a row's slice (the volume file for HDF5).
  virtual std::filesystem::path path_of(int row) const = 0;
  // Removes the output of every row it was made for, under final or temporary names, written
  // by it or by an earlier run of the job (a cancelled job leaves nothing behind).
  virtual void discard() = 0;
};

// A TIFF stack's file for detector row `row`: FOLDER/PREFIX_NNNN.tif.
std::filesystem::path tiff_slice_path(const std::filesystem::path& folder, const std::string& prefix, int row);

// Removes the TIFF slices of rows [first_row, first_row + rows), finished or half-written; a file
// that cannot be removed is a warning, not a failure of what is already failing or cancelled.
void remove_tiff_slices(const std::filesystem::path& folder, const std::string& prefix, int first_row, int rows);

// Creates the output folder if needed and checks it is writable (tomo::Error otherwise).
// `first_row`, `rows`: the detector rows that will be written; slices of height × width.
std::unique_ptr<SliceWriter> make_slice_writer(const OutputSpec& spec, int first_row, int rows, int width, int height,
                                               const Provenance& provenance);

// Writes `path` by calling write_to(temporary path), then renaming: a crash or an exception
// never leaves a half-written file under `path`.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write_to);

}  // namespace tomo
