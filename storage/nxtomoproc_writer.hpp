#pragma once
// One reconstructed volume in an HDF5 file laid out as NeXus NXtomoproc:
//   /entry                      NXentry, definition = "NXtomoproc"
//   /entry/data/data            (slices, N, N) the volume, one chunk per slice
//   /entry/data/z               detector row of each slice
//   /entry/reconstruction       NXprocess: program, version, date
//   /entry/reconstruction/parameters  NXparameters: raw_file, recon_params (JSON)
// so any volume can be reproduced from its own file; Fiji (HDF5 plugin) and napari open it.
#include <filesystem>
#include <span>

#include "storage/hdf5_handle.hpp"
#include "storage/tiff_image.hpp"

namespace tomo {

struct Provenance;

class NxTomoProcFile {
 public:
  // Slices of height × width (rows × columns of the image).
  NxTomoProcFile(const std::filesystem::path& path, int first_row, int rows, int width, int height, PixelType type,
                 float low, float high, const Provenance& provenance);
  void write(int row, std::span<const float> slice);
  // Flushes and closes the file; further writes are an error.
  void close();

 private:
  std::filesystem::path path_;
  int first_row_, rows_, width_, height_;
  PixelType type_;
  float low_, high_;
  h5::File file_;
  h5::Dataset volume_;
};

}  // namespace tomo
