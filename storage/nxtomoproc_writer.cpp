#include "storage/nxtomoproc_writer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include <fmt/chrono.h>

#include "kernels/error.hpp"
#include "kernels/intensity_scaling.hpp"
#include "storage/slice_writer.hpp"

namespace tomo {

namespace {

namespace h5w {
// Small writers with the file's path in every error message. Every herr_t is checked.

void check(herr_t status, const std::filesystem::path& file, const std::string& what) {
  if (status < 0) fail("{}: could not write {} (disk full or not writable?)", file.string(), what);
}

h5::File create_file(const std::filesystem::path& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become tomo::Error, not a stack dump
  h5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!file) fail("{}: cannot create the HDF5 file", path.string());
  return file;
}

void write_string_attribute(hid_t object, const std::filesystem::path& file, const char* name, const std::string& value) {
  h5::Datatype type(H5Tcopy(H5T_C_S1));
  check(H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1)), file, name);
  h5::Dataspace space(H5Screate(H5S_SCALAR));
  h5::Attribute attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute) fail("{}: could not create attribute {}", file.string(), name);
  check(H5Awrite(attribute.get(), type.get(), value.c_str()), file, name);
}

void write_string(hid_t group, const std::filesystem::path& file, const char* name, const std::string& value) {
  h5::Datatype type(H5Tcopy(H5T_C_S1));
  check(H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1)), file, name);
  h5::Dataspace space(H5Screate(H5S_SCALAR));
  h5::Dataset dataset(H5Dcreate2(group, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset) fail("{}: could not create dataset {}", file.string(), name);
  check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.c_str()), file, name);
}

h5::Group create_group(hid_t file_id, const std::filesystem::path& file, const char* name, const char* nx_class) {
  h5::Group group(H5Gcreate2(file_id, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!group) fail("{}: could not create group {}", file.string(), name);
  write_string_attribute(group.get(), file, "NX_class", nx_class);
  return group;
}

h5::Dataset create_dataset(hid_t file_id, const std::filesystem::path& file, const char* name, hid_t type,
                           const std::array<hsize_t, 3>& shape, const std::array<hsize_t, 3>& chunk) {
  h5::Dataspace space(H5Screate_simple(3, shape.data(), nullptr));
  h5::PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
  check(H5Pset_chunk(create.get(), 3, chunk.data()), file, name);
  h5::Dataset dataset(H5Dcreate2(file_id, name, type, space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT));
  if (!dataset) fail("{}: could not create dataset {}", file.string(), name);
  return dataset;
}

void write_vector(hid_t file_id, const std::filesystem::path& file, const char* name, const std::vector<std::int32_t>& values) {
  const hsize_t size = values.size();
  h5::Dataspace space(H5Screate_simple(1, &size, nullptr));
  h5::Dataset dataset(H5Dcreate2(file_id, name, H5T_NATIVE_INT32, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset) fail("{}: could not create dataset {}", file.string(), name);
  check(H5Dwrite(dataset.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), file, name);
}

void write_block(hid_t dataset, const std::filesystem::path& file, const char* name, hid_t type,
                 const std::array<hsize_t, 3>& start, const std::array<hsize_t, 3>& count, const void* data) {
  h5::Dataspace file_space(H5Dget_space(dataset));
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), file, name);
  h5::Dataspace memory_space(H5Screate_simple(3, count.data(), nullptr));
  check(H5Dwrite(dataset, type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), file, name);
}

}  // namespace h5w

hid_t memory_type(PixelType type) {
  switch (type) {
    case PixelType::float32: return H5T_NATIVE_FLOAT;
    case PixelType::uint16: return H5T_NATIVE_UINT16;
    case PixelType::uint8: return H5T_NATIVE_UINT8;
  }
  return H5T_NATIVE_FLOAT;
}

std::string iso_date_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

}  // namespace

NxTomoProcFile::NxTomoProcFile(const std::filesystem::path& path, int first_row, int rows, int n, PixelType type,
                               float low, float high, const Provenance& provenance)
    : path_(path), first_row_(first_row), rows_(rows), n_(n), type_(type), low_(low), high_(high) {
  file_ = h5w::create_file(path_);
  auto entry = h5w::create_group(file_.get(), path_, "/entry", "NXentry");
  h5w::write_string(entry.get(), path_, "definition", "NXtomoproc");
  h5w::write_string(entry.get(), path_, "title", provenance.raw_file);
  auto data = h5w::create_group(file_.get(), path_, "/entry/data", "NXdata");
  h5w::write_string_attribute(data.get(), path_, "signal", "data");

  const std::array<hsize_t, 3> shape{static_cast<hsize_t>(rows), static_cast<hsize_t>(n), static_cast<hsize_t>(n)};
  volume_ = h5w::create_dataset(file_.get(), path_, "/entry/data/data", memory_type(type), shape,
                                {1, static_cast<hsize_t>(n), static_cast<hsize_t>(n)});
  std::vector<std::int32_t> z(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) z[static_cast<std::size_t>(i)] = first_row + i;
  h5w::write_vector(file_.get(), path_, "/entry/data/z", z);

  auto process = h5w::create_group(file_.get(), path_, "/entry/reconstruction", "NXprocess");
  h5w::write_string(process.get(), path_, "program", "tomoedge");
  h5w::write_string(process.get(), path_, "version", provenance.version);
  h5w::write_string(process.get(), path_, "date", iso_date_now());
  auto parameters = h5w::create_group(file_.get(), path_, "/entry/reconstruction/parameters", "NXparameters");
  h5w::write_string(parameters.get(), path_, "raw_file", provenance.raw_file);
  h5w::write_string(parameters.get(), path_, "recon_params", provenance.parameters_json);
}

void NxTomoProcFile::write(int row, std::span<const float> slice) {
  const int index = row - first_row_;
  if (!volume_ || index < 0 || index >= rows_ || slice.size() != static_cast<std::size_t>(n_) * static_cast<std::size_t>(n_))
    fail("{}: cannot write slice of row {} (volume holds rows {} to {})", path_.string(), row, first_row_, first_row_ + rows_ - 1);
  const std::array<hsize_t, 3> start{static_cast<hsize_t>(index), 0, 0};
  const std::array<hsize_t, 3> count{1, static_cast<hsize_t>(n_), static_cast<hsize_t>(n_)};
  if (type_ == PixelType::float32) {
    h5w::write_block(volume_.get(), path_, "/entry/data/data", H5T_NATIVE_FLOAT, start, count, slice.data());
    return;
  }
  auto convert = [&]<class T>(T) {
    std::vector<T> grey(slice.size());
    for (std::size_t i = 0; i < slice.size(); ++i) grey[i] = to_grey_level<T>(slice[i], low_, high_);
    h5w::write_block(volume_.get(), path_, "/entry/data/data", memory_type(type_), start, count, grey.data());
  };
  if (type_ == PixelType::uint16) convert(std::uint16_t{});
  else convert(std::uint8_t{});
}

void NxTomoProcFile::close() {
  volume_.reset();
  if (file_ && H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) fail("{}: could not flush the volume (disk full?)", path_.string());
  file_.reset();
}

}  // namespace tomo
