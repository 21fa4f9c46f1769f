#include "storage/nxtomoproc_writer.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

#include <fmt/chrono.h>

#include "kernels/error.hpp"
#include "kernels/intensity_scaling.hpp"
#include "storage/hdf5_write.hpp"
#include "storage/slice_writer.hpp"

namespace tomo {

namespace {

// Stored little-endian whatever the machine, as Fiji and napari expect.
hid_t file_type(PixelType type) {
  switch (type) {
    case PixelType::float32: return H5T_IEEE_F32LE;
    case PixelType::uint16: return H5T_STD_U16LE;
    case PixelType::uint8: return H5T_STD_U8LE;
  }
  return H5T_IEEE_F32LE;
}

std::string iso_date_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

}  // namespace

NxTomoProcFile::NxTomoProcFile(const std::filesystem::path& path, int first_row, int rows, int width, int height,
                               PixelType type, float low, float high, const Provenance& provenance)
    : path_(path), first_row_(first_row), rows_(rows), width_(width), height_(height), type_(type), low_(low), high_(high) {
  file_ = h5::create_file(path_);
  auto entry = h5::create_group(file_.get(), "/entry", "NXentry");
  h5::write_string(entry.get(), "definition", "NXtomoproc");
  h5::write_string(entry.get(), "title", provenance.raw_file);
  auto data = h5::create_group(file_.get(), "/entry/data", "NXdata");
  h5::write_attribute(data.get(), "signal", "data");

  const hsize_t shape[] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(height), static_cast<hsize_t>(width)};
  volume_ = h5::create_dataset(file_.get(), "/entry/data/data", file_type(type), shape,
                               {.chunk = {1, static_cast<hsize_t>(height), static_cast<hsize_t>(width)}});
  std::vector<std::int32_t> z(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) z[static_cast<std::size_t>(i)] = first_row + i;
  h5::write_array<std::int32_t>(file_.get(), "/entry/data/z", H5T_STD_I32LE, z);

  auto process = h5::create_group(file_.get(), "/entry/reconstruction", "NXprocess");
  h5::write_string(process.get(), "program", "tomoedge");
  h5::write_string(process.get(), "version", provenance.version);
  h5::write_string(process.get(), "date", iso_date_now());
  auto parameters = h5::create_group(file_.get(), "/entry/reconstruction/parameters", "NXparameters");
  h5::write_string(parameters.get(), "raw_file", provenance.raw_file);
  h5::write_string(parameters.get(), "recon_params", provenance.parameters_json);
}

void NxTomoProcFile::write(int row, std::span<const float> slice) {
  const int index = row - first_row_;
  if (!volume_ || index < 0 || index >= rows_ || slice.size() != static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_))
    fail("{}: cannot write slice of row {} (volume holds rows {} to {})", path_.string(), row, first_row_, first_row_ + rows_ - 1);
  const hsize_t start[] = {static_cast<hsize_t>(index), 0, 0};
  const hsize_t count[] = {1, static_cast<hsize_t>(height_), static_cast<hsize_t>(width_)};
  if (type_ == PixelType::float32) {
    h5::write_block<float>(volume_, start, count, slice);
    return;
  }
  auto convert = [&]<class T>(T) {
    std::vector<T> grey(slice.size());
    for (std::size_t i = 0; i < slice.size(); ++i) grey[i] = to_grey_level<T>(slice[i], low_, high_);
    h5::write_block<T>(volume_, start, count, grey);
  };
  if (type_ == PixelType::uint16) convert(std::uint16_t{});
  else convert(std::uint8_t{});
}

void NxTomoProcFile::close() {
  volume_.reset();
  if (file_) h5::flush(file_);
  file_.reset();
}

}  // namespace tomo
