#pragma once
// Small helpers for writing HDF5 files with the C API: files, groups, chunked (optionally
// gzip-compressed) datasets, hyperslab writes, strings, numbers with `units`, attributes such as
// NeXus `NX_class`, and soft links. Every identifier is owned by an RAII handle
// (storage/hdf5_handle.hpp), every return code is checked, and a failure throws tomo::Error
// naming the file and the object's path, with HDF5's own innermost reason appended. HDF5's
// automatic printing of its error stack is silenced while these helpers run.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/hdf5_errors.hpp"
#include "storage/hdf5_handle.hpp"

namespace tomo::h5 {

// The HDF5 memory type of a C++ element type.
template <class T>
hid_t native_type();
template <>
inline hid_t native_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <>
inline hid_t native_type<std::uint16_t>() { return H5T_NATIVE_UINT16; }
template <>
inline hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <>
inline hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <>
inline hid_t native_type<std::uint64_t>() { return H5T_NATIVE_UINT64; }
template <>
inline hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <>
inline hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

// How a dataset is stored.
struct StorageOptions {
  std::vector<hsize_t> chunk;          // chunk shape; empty: contiguous (no compression then)
  int gzip_level = 0;                  // 0: none, 1–9: deflate after byte shuffling
  std::size_t chunk_cache_bytes = 0;   // 0: HDF5's default cache (1 MiB per dataset)
};

// Creates (or truncates) an HDF5 file.
File create_file(const std::filesystem::path& path);
// Creates (or truncates) an HDF5 file in the newest file format (libver bounds "latest"), which
// SWMR needs: its superblock can mark the file as written by one process and read by others.
// Older HDF5 libraries (before 1.10) cannot read such a file.
File create_swmr_capable_file(const std::filesystem::path& path);
// Switches a file made by create_swmr_capable_file to single-writer/multiple-reader mode: from
// here, readers in other processes can open it (H5F_ACC_SWMR_READ) while it is written. HDF5
// 1.10 allows no new objects and no new or changed attributes after this; datasets may grow,
// their data be written. Objects open at the time stay open; open attributes make it fail.
void start_swmr_write(const File& file);
// Writes everything cached for the file to disk, so that a failure (a full disk) shows here
// rather than silently when the handle closes.
void flush(const File& file);
// Writes the dataset's cached data and metadata (its extent, its chunk index) to disk: in SWMR
// mode, what a reader in another process then sees after refreshing the dataset.
void flush(const Dataset& dataset);

// Creates a group at `path` (relative to `parent`, or absolute), with any missing parents;
// sets the NeXus NX_class attribute when `nx_class` is not empty.
Group create_group(hid_t parent, const std::string& path, std::string_view nx_class = {});

// Creates a dataset of `file_type` (e.g. H5T_STD_U16LE) and shape `dims`, with any missing
// parent groups. Throws when the chunk shape does not match the rank or a chunk is empty.
Dataset create_dataset(hid_t parent, const std::string& path, hid_t file_type, std::span<const hsize_t> dims,
                       const StorageOptions& options = {});

// A dataset that can grow: shape `dims` now, at most `max_dims` (H5S_UNLIMITED: no limit along
// that axis). It needs chunks (options.chunk); a chunk may exceed the current shape.
Dataset create_dataset(hid_t parent, const std::string& path, hid_t file_type, std::span<const hsize_t> dims,
                       std::span<const hsize_t> max_dims, const StorageOptions& options);

// A small dataset stored inside its object header (compact layout, at most 64 KiB): its values
// are metadata to HDF5, so a SWMR reader's refresh of the dataset re-reads them with the
// checksums that guard against a half-written update.
Dataset create_compact_dataset(hid_t parent, const std::string& path, hid_t file_type, std::span<const hsize_t> dims);

// Changes the shape of a dataset made by the growing create_dataset (within its max_dims).
void set_extent(const Dataset& dataset, std::span<const hsize_t> dims);

// Writes `count` elements of `memory_type` from `data` into the block [start, start + count)
// of the dataset; `data` is laid out row-major in the block's shape.
void write_block(const Dataset& dataset, std::span<const hsize_t> start, std::span<const hsize_t> count,
                 hid_t memory_type, const void* data, std::size_t elements);

template <class T>
void write_block(const Dataset& dataset, std::span<const hsize_t> start, std::span<const hsize_t> count,
                 std::span<const T> data) {
  write_block(dataset, start, count, native_type<T>(), data.data(), data.size());
}

// Writes a whole 1-D dataset of `values` (possibly empty) and returns it, e.g. for attributes.
template <class T>
Dataset write_array(hid_t parent, const std::string& path, hid_t file_type, std::span<const T> values) {
  const hsize_t dims[] = {values.size()};
  Dataset dataset = create_dataset(parent, path, file_type, dims);
  const hsize_t start[] = {0};
  write_block(dataset, start, dims, values);
  return dataset;
}

// A scalar string dataset: fixed length, null-terminated, ASCII when the value is (UTF-8
// otherwise), so that a plain H5Dread with a C-string memory type of H5Tget_size bytes reads it
// (HDF5 does not convert between the two character sets).
void write_string(hid_t parent, const std::string& path, std::string_view value);
// A scalar float64 dataset, with a `units` attribute when `units` is not empty.
void write_number(hid_t parent, const std::string& path, double value, std::string_view units = {});

// String and float64 attributes on an object (group or dataset).
void write_attribute(hid_t object, const std::string& name, std::string_view value);
void write_attribute(hid_t object, const std::string& name, double value);

// A soft link `name` in `group` that points at the absolute path `target`.
void soft_link(hid_t group, const std::string& name, const std::string& target);

// "FILE:/path/of/object" for messages.
std::string describe(hid_t object, std::string_view child = {});

}  // namespace tomo::h5
