// The scan readers: every real scan in shared/data/real read with the right shape, counts, dtype,
// angles and pixel values (values looked up independently with h5dump and a byte-level TIFF
// parse); small TDF (old and new names), Data Exchange and NXtomo files of one synthetic scan,
// written here with plain HDF5 calls, read identically; and every kind of bad input gives a
// tomo::Error naming the file and dataset, with nothing printed by HDF5.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <tiffio.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/error.hpp"
#include "storage/hdf5_handle.hpp"
#include "storage/scan_reader.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using tomo::Frames;
using tomo::Layout;
using tomo::Range;
using tomo::ScanReader;

const fs::path real_data = TOMO_REAL_DATA_DIR;
const fs::path tooth = real_data / "tomopy_tooth" / "tooth.h5";
const fs::path k11 = real_data / "httomo_k11_diad" / "k11-18014.nxs";
const fs::path savu = real_data / "savu_24737_tiff" / "image_test";
const fs::path neutron = real_data / "sarepy_neutron_360" / "sinogram_360_neutron_image.tif";

fs::path scratch_dir() { return tomo::test::scratch_dir("readers"); }

std::vector<float> read_block(ScanReader& scan, Frames frames, Range images, Range rows) {
  std::vector<float> out(static_cast<std::size_t>(images.size() * rows.size() * scan.info().columns));
  scan.read(frames, images, rows, out);
  return out;
}

std::vector<float> read_all(ScanReader& scan, Frames frames) {
  return read_block(scan, frames, {0, scan.info().count(frames)}, {0, scan.info().rows});
}

// Value at (row, image, column) of a block read as (rows x images x columns).
float at(const std::vector<float>& block, int images, int columns, int row, int image, int column) {
  return block[static_cast<std::size_t>((row * images + image) * columns + column)];
}

// Reads of sub-ranges of images and rows give exactly the matching part of a full read.
void expect_ranges_agree(ScanReader& scan, Frames frames) {
  const auto& info = scan.info();
  const int images = info.count(frames);
  const std::vector<float> full = read_all(scan, frames);
  const std::vector<std::pair<Range, Range>> blocks{
      {{0, images}, {0, 1}}, {{images / 3, images}, {info.rows / 2, info.rows}}, {{1, images / 2 + 1}, {0, info.rows}}};
  for (const auto& [image_range, row_range] : blocks) {
    if (image_range.size() <= 0 || row_range.size() <= 0) continue;
    const std::vector<float> part = read_block(scan, frames, image_range, row_range);
    bool same = true;
    for (int r = 0; r < row_range.size() && same; ++r)
      for (int i = 0; i < image_range.size() && same; ++i)
        for (int c = 0; c < info.columns && same; ++c)
          same = at(part, image_range.size(), info.columns, r, i, c) ==
                 at(full, images, info.columns, row_range.begin + r, image_range.begin + i, c);
    EXPECT_TRUE(same) << info.path << " images [" << image_range.begin << ", " << image_range.end << ") rows ["
                      << row_range.begin << ", " << row_range.end << ")";
  }
}

// Runs `action`, expects a tomo::Error whose message contains every one of `parts`, and
// expects nothing on stderr (HDF5 must not dump its error stack).
void expect_error(const std::function<void()>& action, const std::vector<std::string>& parts) {
  testing::internal::CaptureStderr();
  std::string message;
  try {
    action();
  } catch (const tomo::Error& error) {
    message = error.what();
  }
  const std::string printed = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(message.empty()) << "no tomo::Error thrown";
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
  EXPECT_EQ(printed, "") << "printed on stderr";
}

// ---- a small synthetic scan, and HDF5 files holding it --------------------------------------

constexpr int n_projections = 7, n_rows = 5, n_columns = 6;
constexpr int n_flats_before = 3, n_flats_after = 2, n_darks_before = 2, n_darks_after = 1;

// Distinct per kind of frame, image, row and column, so that any mix-up shows.
std::uint16_t pixel(Frames kind, int image, int row, int column) {
  const int base = kind == Frames::projections    ? 1000
                   : kind == Frames::flats_before ? 20000
                   : kind == Frames::flats_after  ? 30000
                   : kind == Frames::darks_before ? 100
                                                  : 300;
  return static_cast<std::uint16_t>(base + 100 * image + 10 * row + column);
}

int synthetic_count(Frames kind) {
  switch (kind) {
    case Frames::projections: return n_projections;
    case Frames::flats_before: return n_flats_before;
    case Frames::flats_after: return n_flats_after;
    case Frames::darks_before: return n_darks_before;
    case Frames::darks_after: return n_darks_after;
  }
  return 0;
}

// The images of one or more kinds, one after the other, as (images, rows, columns) or
// (rows, images, columns).
std::vector<std::uint16_t> stack(const std::vector<Frames>& kinds, bool sinogram_major) {
  std::vector<std::pair<Frames, int>> images;
  for (Frames kind : kinds)
    for (int i = 0; i < synthetic_count(kind); ++i) images.emplace_back(kind, i);
  std::vector<std::uint16_t> values;
  const int n = static_cast<int>(images.size());
  for (int a = 0; a < (sinogram_major ? n_rows : n); ++a)
    for (int b = 0; b < (sinogram_major ? n : n_rows); ++b)
      for (int c = 0; c < n_columns; ++c) {
        const auto [kind, image] = images[static_cast<std::size_t>(sinogram_major ? b : a)];
        values.push_back(pixel(kind, image, sinogram_major ? a : b, c));
      }
  return values;
}

std::vector<float> expected_read(Frames kind) {
  const std::vector<std::uint16_t> values = stack({kind}, true);
  return {values.begin(), values.end()};
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("HDF5 call failed in the test: " + what);
}

tomo::h5::File create_file(const fs::path& path) {
  tomo::h5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!file) throw std::runtime_error("cannot create " + path.string());
  return file;
}

tomo::h5::PropertyList intermediate_groups() {
  tomo::h5::PropertyList links(H5Pcreate(H5P_LINK_CREATE));
  check(H5Pset_create_intermediate_group(links.get(), 1), "intermediate groups");
  return links;
}

struct Storage {
  std::vector<hsize_t> chunk;  // empty: contiguous
  int gzip = 0;                // deflate level after shuffling; 0: none
  int filter = 0;              // another registered filter id (e.g. 32004 lz4); 0: none
};

void write_array(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type, const std::vector<hsize_t>& dims,
                 const void* data, const Storage& storage = {}) {
  const tomo::h5::Dataspace space(dims.empty() ? H5Screate(H5S_SCALAR)
                                               : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  const tomo::h5::PropertyList creation(H5Pcreate(H5P_DATASET_CREATE));
  if (!storage.chunk.empty())
    check(H5Pset_chunk(creation.get(), static_cast<int>(storage.chunk.size()), storage.chunk.data()), "chunk");
  if (storage.gzip > 0) {
    check(H5Pset_shuffle(creation.get()), "shuffle");
    check(H5Pset_deflate(creation.get(), static_cast<unsigned>(storage.gzip)), "deflate");
  }
  if (storage.filter > 0)
    check(H5Pset_filter(creation.get(), static_cast<H5Z_filter_t>(storage.filter), H5Z_FLAG_MANDATORY, 0, nullptr),
          "filter");
  const tomo::h5::Dataset dataset(
      H5Dcreate2(file, path.c_str(), file_type, space.get(), intermediate_groups().get(), creation.get(), H5P_DEFAULT));
  if (!dataset) throw std::runtime_error("cannot create dataset " + path);
  check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write " + path);
}

void write_u16(hid_t file, const std::string& path, const std::vector<hsize_t>& dims,
               const std::vector<std::uint16_t>& values, const Storage& storage = {}) {
  write_array(file, path, H5T_STD_U16LE, H5T_NATIVE_UINT16, dims, values.data(), storage);
}

void write_doubles(hid_t file, const std::string& path, const std::vector<double>& values) {
  write_array(file, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {values.size()}, values.data());
}

void write_ints(hid_t file, const std::string& path, const std::vector<int>& values) {
  write_array(file, path, H5T_STD_I32LE, H5T_NATIVE_INT, {values.size()}, values.data());
}

void write_string_attribute(hid_t file, const std::string& object_path, const std::string& name,
                            const std::string& value) {
  const tomo::h5::Handle<H5Oclose> object(H5Oopen(file, object_path.c_str(), H5P_DEFAULT));
  const tomo::h5::Datatype type(H5Tcopy(H5T_C_S1));
  check(H5Tset_size(type.get(), value.size() + 1), "string size");
  const tomo::h5::Dataspace scalar(H5Screate(H5S_SCALAR));
  const tomo::h5::Attribute attribute(
      H5Acreate2(object.get(), name.c_str(), type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT));
  check(H5Awrite(attribute.get(), type.get(), value.c_str()), "attribute " + name);
}

// A scalar variable-length string dataset, as h5py writes text.
void write_text(hid_t file, const std::string& path, const std::string& value) {
  const tomo::h5::Datatype type(H5Tcopy(H5T_C_S1));
  check(H5Tset_size(type.get(), H5T_VARIABLE), "vlen string");
  const tomo::h5::Dataspace scalar(H5Screate(H5S_SCALAR));
  const tomo::h5::Dataset dataset(
      H5Dcreate2(file, path.c_str(), type.get(), scalar.get(), intermediate_groups().get(), H5P_DEFAULT, H5P_DEFAULT));
  const char* text = value.c_str();
  check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), "text " + path);
}

void write_number(hid_t file, const std::string& path, double value, const std::string& units) {
  write_array(file, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &value);
  write_string_attribute(file, path, "units", units);
}

void write_measurement_metadata(hid_t file) {
  write_text(file, "/measurement/sample/name", "synthetic bone");
  write_number(file, "/measurement/instrument/detector/pixel_size", 6.5, "um");
  write_number(file, "/measurement/instrument/detector/distance", 150, "mm");
  write_number(file, "/measurement/instrument/monochromator/energy", 21, "keV");
}

std::vector<hsize_t> sinogram_dims(int images) { return {n_rows, static_cast<hsize_t>(images), n_columns}; }
std::vector<hsize_t> projection_dims(int images) { return {static_cast<hsize_t>(images), n_rows, n_columns}; }

// Older TDF names: /tomo, /flat, /dark and separate after-scan datasets, one row per chunk.
void write_tdf_old(const fs::path& path, const std::string& after_suffix) {
  const auto file = create_file(path);
  const Storage row_chunks{.chunk = {1, 1, n_columns}};
  write_u16(file.get(), "/tomo", sinogram_dims(n_projections), stack({Frames::projections}, true), row_chunks);
  write_u16(file.get(), "/flat", sinogram_dims(n_flats_before), stack({Frames::flats_before}, true), row_chunks);
  write_u16(file.get(), "/flat" + after_suffix, sinogram_dims(n_flats_after), stack({Frames::flats_after}, true), row_chunks);
  write_u16(file.get(), "/dark", sinogram_dims(n_darks_before), stack({Frames::darks_before}, true), row_chunks);
  write_u16(file.get(), "/dark" + after_suffix, sinogram_dims(n_darks_after), stack({Frames::darks_after}, true), row_chunks);
  write_measurement_metadata(file.get());
}

// A /provenance/detector_output table as a compound of (file name, timestamp) text columns.
void write_detector_output(hid_t file, const std::vector<std::pair<std::string, std::string>>& rows) {
  struct Row {
    const char* name;
    const char* time;
  };
  std::vector<Row> table;
  for (const auto& [name, time] : rows) table.push_back({name.c_str(), time.c_str()});
  const tomo::h5::Datatype text(H5Tcopy(H5T_C_S1));
  check(H5Tset_size(text.get(), H5T_VARIABLE), "vlen");
  const tomo::h5::Datatype row(H5Tcreate(H5T_COMPOUND, sizeof(Row)));
  check(H5Tinsert(row.get(), "filename", HOFFSET(Row, name), text.get()), "member");
  check(H5Tinsert(row.get(), "timestamp", HOFFSET(Row, time), text.get()), "member");
  const hsize_t dims[] = {table.size()};
  const tomo::h5::Dataspace space(H5Screate_simple(1, dims, nullptr));
  const tomo::h5::Dataset dataset(H5Dcreate2(file, "/provenance/detector_output", row.get(), space.get(),
                                             intermediate_groups().get(), H5P_DEFAULT, H5P_DEFAULT));
  check(H5Dwrite(dataset.get(), row.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, table.data()), "table");
  write_string_attribute(file, "/provenance/detector_output", "tomo_prefix", "tomo_");
  write_string_attribute(file, "/provenance/detector_output", "flat_prefix", "flat_");
  write_string_attribute(file, "/provenance/detector_output", "dark_prefix", "dark_");
  write_string_attribute(file, "/provenance/detector_output", "first_index", "1");
}

// Newer TDF names (under `group`: "/exchange" or "" for the root) with all flats in one stack and
// the provenance table saying which were taken after the last projection. The acquisition
// crosses midnight, so that only a date-aware comparison gets the order right.
void write_tdf_new(const fs::path& path, const std::string& group, bool with_table) {
  const auto file = create_file(path);
  const Storage row_chunks{.chunk = {1, 1, n_columns}};
  write_u16(file.get(), group + "/data", sinogram_dims(n_projections), stack({Frames::projections}, true), row_chunks);
  write_u16(file.get(), group + "/data_white", sinogram_dims(n_flats_before + n_flats_after),
            stack({Frames::flats_before, Frames::flats_after}, true), row_chunks);
  write_u16(file.get(), group + "/data_dark", sinogram_dims(n_darks_before + n_darks_after),
            stack({Frames::darks_before, Frames::darks_after}, true), row_chunks);
  if (!with_table) return;
  std::vector<std::pair<std::string, std::string>> rows;
  int second = 0;
  const auto add = [&](const std::string& prefix, int count, int first_index) {
    for (int i = 0; i < count; ++i, second += 7)
      rows.emplace_back(fmt::format("{}{:04}.tif", prefix, first_index + i),
                        second < 60 ? fmt::format("2021-03-31 23:59:{:02}.250", second)
                                    : fmt::format("2021-04-01 00:{:02}:{:02}", (second - 60) / 60, (second - 60) % 60));
  };
  add("flat_", n_flats_before, 1);
  add("dark_", n_darks_before, 1);
  add("tomo_", n_projections, 1);
  add("flat_", n_flats_after, 1 + n_flats_before);
  add("dark_", n_darks_after, 1 + n_darks_before);
  write_detector_output(file.get(), rows);
}

// Data Exchange: projection-major, every flat and dark "before", theta in degrees.
void write_dx(const fs::path& path, const Storage& storage = {}) {
  const auto file = create_file(path);
  write_u16(file.get(), "/exchange/data", projection_dims(n_projections), stack({Frames::projections}, false), storage);
  write_u16(file.get(), "/exchange/data_white", projection_dims(n_flats_before + n_flats_after),
            stack({Frames::flats_before, Frames::flats_after}, false), storage);
  write_u16(file.get(), "/exchange/data_dark", projection_dims(n_darks_before + n_darks_after),
            stack({Frames::darks_before, Frames::darks_after}, false), storage);
  std::vector<double> theta;
  for (int i = 0; i < n_projections; ++i) theta.push_back(30.0 * i);
  write_doubles(file.get(), "/exchange/theta", theta);
  write_string_attribute(file.get(), "/exchange/theta", "units", "degrees");
  write_measurement_metadata(file.get());
}

// NXtomo: flats, darks, projections, flats, darks in one stack with image_key, angles per
// frame in radians, metadata in SI units, /entry/data linking back (as NXtomo requires).
void write_nxtomo(const fs::path& path, const Storage& storage = {}) {
  const auto file = create_file(path);
  const std::vector<Frames> order{Frames::flats_before, Frames::darks_before, Frames::projections, Frames::flats_after,
                                  Frames::darks_after};
  std::vector<int> keys;
  std::vector<double> angles;
  for (Frames kind : order)
    for (int i = 0; i < synthetic_count(kind); ++i) {
      keys.push_back(kind == Frames::projections ? 0 : (kind == Frames::flats_before || kind == Frames::flats_after) ? 1 : 2);
      angles.push_back(kind == Frames::projections ? (30.0 * i) * std::numbers::pi / 180 : 0.0);
    }
  write_u16(file.get(), "/entry/instrument/detector/data", projection_dims(static_cast<int>(keys.size())),
            stack(order, false), storage);
  write_ints(file.get(), "/entry/instrument/detector/image_key", keys);
  write_doubles(file.get(), "/entry/sample/rotation_angle", angles);
  write_string_attribute(file.get(), "/entry/sample/rotation_angle", "units", "rad");
  const tomo::h5::PropertyList links = intermediate_groups();
  check(H5Lcreate_soft("/entry/instrument/detector/data", file.get(), "/entry/data/data", links.get(), H5P_DEFAULT),
        "soft link");
  write_text(file.get(), "/entry/sample/name", "synthetic bone");
  write_number(file.get(), "/entry/instrument/detector/x_pixel_size", 6.5e-6, "m");
  write_number(file.get(), "/entry/instrument/detector/distance", 0.15, "m");
  write_number(file.get(), "/entry/instrument/source/energy", 21000, "eV");
}

void expect_synthetic_geometry(const tomo::ScanInfo& info) {
  EXPECT_EQ(info.projections, n_projections);
  EXPECT_EQ(info.rows, n_rows);
  EXPECT_EQ(info.columns, n_columns);
  EXPECT_EQ(info.dtype, "uint16");
  EXPECT_EQ(info.sample, "synthetic bone");
  ASSERT_TRUE(info.pixel_size_um && info.distance_mm && info.energy_kev);
  EXPECT_NEAR(*info.pixel_size_um, 6.5, 1e-9);
  EXPECT_NEAR(*info.distance_mm, 150, 1e-9);
  EXPECT_NEAR(*info.energy_kev, 21, 1e-9);
}

// Every kind of frame reads back as written, before and after kept apart.
void expect_all_frames_as_written(ScanReader& scan) {
  for (Frames kind : {Frames::projections, Frames::flats_before, Frames::flats_after, Frames::darks_before,
                      Frames::darks_after}) {
    ASSERT_EQ(scan.info().count(kind), synthetic_count(kind)) << static_cast<int>(kind);
    EXPECT_EQ(read_all(scan, kind), expected_read(kind)) << static_cast<int>(kind);
    expect_ranges_agree(scan, kind);
  }
}

// ---- TDF ------------------------------------------------------------------------------------

TEST(TdfReader, OlderNamesWithAfterDatasets) {
  const fs::path dir = scratch_dir();
  for (const std::string suffix : {"_after", "_post"}) {
    const fs::path path = dir / ("old" + suffix + ".tdf");
    write_tdf_old(path, suffix);
    const auto scan = tomo::open_scan(path);
    EXPECT_EQ(scan->info().layout, Layout::tdf);
    EXPECT_EQ(scan->info().chunking, "(1, 1, 6)");
    EXPECT_EQ(scan->info().compression, "none");
    EXPECT_TRUE(scan->info().angles_deg.empty());
    expect_synthetic_geometry(scan->info());
    expect_all_frames_as_written(*scan);
  }
}

TEST(TdfReader, NewerNamesSplitByProvenanceTimestamps) {
  const fs::path dir = scratch_dir();
  for (const std::string group : {"/exchange", ""}) {
    const fs::path path = dir / ("new" + (group.empty() ? std::string("_root") : std::string("_exchange")) + ".tdf");
    write_tdf_new(path, group, true);
    const auto scan = tomo::open_scan(path);
    EXPECT_EQ(scan->info().layout, Layout::tdf);
    expect_all_frames_as_written(*scan);
  }
}

TEST(TdfReader, RootDataNamesAreDetectedAsTdfWithoutTheExtension) {
  const fs::path path = scratch_dir() / "new_root.h5";
  write_tdf_new(path, "", true);
  EXPECT_EQ(tomo::open_scan(path)->info().layout, Layout::tdf);
}

TEST(TdfReader, WithoutOrWithAnUnreadableTableAllFlatsAreBefore) {
  const fs::path dir = scratch_dir();
  write_tdf_new(dir / "no_table.tdf", "/exchange", false);
  write_tdf_new(dir / "bad_table.tdf", "/exchange", false);
  {
    const auto file = tomo::h5::File(H5Fopen((dir / "bad_table.tdf").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    write_ints(file.get(), "/provenance/detector_output", {1, 2, 3});  // not a table of names and times
  }
  for (const char* name : {"no_table.tdf", "bad_table.tdf"}) {
    const auto scan = tomo::open_scan(dir / name);
    EXPECT_EQ(scan->info().flats_before, n_flats_before + n_flats_after) << name;
    EXPECT_EQ(scan->info().flats_after, 0) << name;
    EXPECT_EQ(scan->info().darks_before, n_darks_before + n_darks_after) << name;
    const std::vector<std::uint16_t> all = stack({Frames::flats_before, Frames::flats_after}, true);
    EXPECT_EQ(read_all(*scan, Frames::flats_before), std::vector<float>(all.begin(), all.end())) << name;
  }
}

TEST(TdfReader, AxesAttributeMarksASinogramMajorExchangeFile) {
  const fs::path path = scratch_dir() / "sinogram_major.h5";
  write_tdf_new(path, "/exchange", false);
  {
    const auto file = tomo::h5::File(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    write_string_attribute(file.get(), "/exchange/data", "axes", "y:theta:x");
  }
  const auto scan = tomo::open_scan(path);
  EXPECT_EQ(scan->info().layout, Layout::tdf);
  EXPECT_EQ(scan->info().projections, n_projections);
}

TEST(TdfReader, FlatShapesMarkASinogramMajorExchangeFileWithoutAxes) {
  const fs::path path = scratch_dir() / "no_axes.h5";
  write_tdf_new(path, "/exchange", false);  // flats (5, 5, 6) only fit as (rows, images, columns)
  const auto scan = tomo::open_scan(path);
  EXPECT_EQ(scan->info().layout, Layout::tdf);
  EXPECT_EQ(scan->info().projections, n_projections);
}

// ---- Data Exchange and NXtomo read the same scan identically --------------------------------

TEST(DxReader, ReadsTheSameScanAsTdf) {
  const fs::path dir = scratch_dir();
  write_tdf_old(dir / "scan.tdf", "_after");
  write_dx(dir / "scan.h5");
  const auto tdf = tomo::open_scan(dir / "scan.tdf");
  const auto dx = tomo::open_scan(dir / "scan.h5");
  EXPECT_EQ(dx->info().layout, Layout::dx);
  expect_synthetic_geometry(dx->info());
  EXPECT_EQ(read_all(*dx, Frames::projections), read_all(*tdf, Frames::projections));
  expect_ranges_agree(*dx, Frames::projections);
  // Data Exchange keeps no before/after: the first flats are the TDF "before" ones, the rest "after".
  EXPECT_EQ(dx->info().flats_before, n_flats_before + n_flats_after);
  EXPECT_EQ(dx->info().flats_after, 0);
  EXPECT_EQ(read_block(*dx, Frames::flats_before, {0, n_flats_before}, {0, n_rows}), read_all(*tdf, Frames::flats_before));
  EXPECT_EQ(read_block(*dx, Frames::flats_before, {n_flats_before, n_flats_before + n_flats_after}, {0, n_rows}),
            read_all(*tdf, Frames::flats_after));
  EXPECT_EQ(read_block(*dx, Frames::darks_before, {0, n_darks_before}, {0, n_rows}), read_all(*tdf, Frames::darks_before));
  ASSERT_EQ(dx->info().angles_deg.size(), static_cast<std::size_t>(n_projections));
  EXPECT_DOUBLE_EQ(dx->info().angles_deg[6], 180.0);
}

TEST(NxtomoReader, ReadsTheSameScanAsTdfWithBeforeAndAfter) {
  const fs::path dir = scratch_dir();
  write_tdf_old(dir / "scan.tdf", "_post");
  write_nxtomo(dir / "scan.nxs");
  const auto tdf = tomo::open_scan(dir / "scan.tdf");
  const auto nx = tomo::open_scan(dir / "scan.nxs");
  EXPECT_EQ(nx->info().layout, Layout::nxtomo);
  expect_synthetic_geometry(nx->info());  // converted from m, m and eV
  expect_all_frames_as_written(*nx);
  for (Frames kind : {Frames::projections, Frames::flats_before, Frames::flats_after, Frames::darks_before,
                      Frames::darks_after})
    EXPECT_EQ(read_all(*nx, kind), read_all(*tdf, kind)) << static_cast<int>(kind);
  // Only the projections' angles, converted from radians.
  ASSERT_EQ(nx->info().angles_deg.size(), static_cast<std::size_t>(n_projections));
  for (int i = 0; i < n_projections; ++i) EXPECT_NEAR(nx->info().angles_deg[static_cast<std::size_t>(i)], 30.0 * i, 1e-9);
}

TEST(NxtomoReader, FindsFramesBesideAKeyAwayFromTheStandardPaths) {
  const fs::path path = scratch_dir() / "moved.nxs";
  write_nxtomo(path);
  {
    const auto file = tomo::h5::File(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    const auto links = intermediate_groups();
    // Move the stack and key elsewhere and leave a dangling external link where data used to be.
    check(H5Lmove(file.get(), "/entry/instrument/detector", file.get(), "/entry/instrument/camera", links.get(),
                  H5P_DEFAULT),
          "move");
    check(H5Ldelete(file.get(), "/entry/data/data", H5P_DEFAULT), "delete");
    check(H5Lcreate_external("missing.h5", "/entry/detector", file.get(), "/entry/data/data", links.get(), H5P_DEFAULT),
          "external");
  }
  const auto scan = tomo::open_scan(path);
  EXPECT_EQ(scan->info().layout, Layout::nxtomo);
  expect_all_frames_as_written(*scan);
}

TEST(ScanReaders, GzipChunkedDatasetsRead) {
  const fs::path dir = scratch_dir();
  const Storage gzip{.chunk = {1, n_rows, n_columns}, .gzip = 4};
  write_dx(dir / "gzip_dx.h5", gzip);
  write_nxtomo(dir / "gzip_nx.nxs", gzip);
  const auto dx = tomo::open_scan(dir / "gzip_dx.h5");
  EXPECT_EQ(dx->info().compression, "shuffle+gzip");
  EXPECT_EQ(dx->info().chunking, "(1, 5, 6)");
  EXPECT_EQ(read_all(*dx, Frames::projections), expected_read(Frames::projections));
  const auto nx = tomo::open_scan(dir / "gzip_nx.nxs");
  EXPECT_EQ(nx->info().compression, "shuffle+gzip");
  expect_all_frames_as_written(*nx);
}

TEST(ScanReaders, Lz4PluginDatasetsRead) {
  constexpr int lz4 = 32004;  // Debian's hdf5-filter-plugin; loaded on demand from HDF5's plugin folder
  const fs::path path = scratch_dir() / "lz4.h5";
  try {
    write_dx(path, Storage{.chunk = {1, n_rows, n_columns}, .gzip = 0, .filter = lz4});
  } catch (const std::runtime_error&) {
    GTEST_SKIP() << "the LZ4 filter plugin is not installed";
  }
  const auto scan = tomo::open_scan(path);
  EXPECT_EQ(scan->info().compression, "lz4");
  EXPECT_EQ(read_all(*scan, Frames::projections), expected_read(Frames::projections));
}

// ---- TIFF stacks ----------------------------------------------------------------------------

void write_tiff_u8(const fs::path& path, int width, int height, std::uint8_t value) {
  TIFF* tiff = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(tiff, nullptr);
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(width));
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(height));
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, 1);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(width));
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) row[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(value + r + c);
    EXPECT_GE(TIFFWriteScanline(tiff, row.data(), static_cast<std::uint32_t>(r), 0), 0);
  }
  TIFFClose(tiff);
}

TEST(TiffReaders, StackInNaturalOrderWithWhiteAndDarkBeside) {
  const fs::path dir = scratch_dir() / "stack";
  fs::create_directories(dir);
  write_tiff_u8(dir / "proj_10.tif", 4, 3, 30);
  write_tiff_u8(dir / "proj_2.tif", 4, 3, 20);
  write_tiff_u8(dir / "proj_1.tif", 4, 3, 10);
  write_tiff_u8(dir / "white_1.tif", 4, 3, 200);
  write_tiff_u8(dir / "dark_1.tif", 4, 3, 1);
  for (const fs::path& input : {dir, dir / "proj_*.tif"}) {
    const auto scan = tomo::open_scan(input);
    const auto& info = scan->info();
    EXPECT_EQ(info.layout, Layout::tiff_stack);
    EXPECT_EQ(info.projections, 3);
    EXPECT_EQ(info.rows, 3);
    EXPECT_EQ(info.columns, 4);
    EXPECT_EQ(info.flats_before, 1);
    EXPECT_EQ(info.darks_before, 1);
    EXPECT_EQ(info.dtype, "uint8");
    const std::vector<float> row1 = read_block(*scan, Frames::projections, {0, 3}, {1, 2});
    EXPECT_EQ(row1[0], 11);  // proj_1, row 1, column 0
    EXPECT_EQ(row1[4], 21);  // proj_2
    EXPECT_EQ(row1[8], 31);  // proj_10 last despite sorting first by plain name order
    EXPECT_EQ(read_block(*scan, Frames::flats_before, {0, 1}, {2, 3})[3], 205);
    EXPECT_EQ(read_block(*scan, Frames::darks_before, {0, 1}, {0, 1})[0], 1);
    expect_ranges_agree(*scan, Frames::projections);
  }
}

TEST(TiffReaders, DarkOfAnotherSizeIsAnError) {
  const fs::path dir = scratch_dir();
  write_tiff_u8(dir / "proj_1.tif", 4, 3, 10);
  write_tiff_u8(dir / "dark_1.tif", 5, 3, 1);
  expect_error([&] { tomo::open_scan(dir); }, {"dark_1.tif", "3 rows x 5 columns", "proj_1.tif"});
}

TEST(TiffReaders, PatternMatchingNothingIsAnError) {
  const fs::path dir = scratch_dir();
  write_tiff_u8(dir / "proj_1.tif", 4, 3, 10);
  expect_error([&] { tomo::open_scan(dir / "raw_*.tiff"); }, {"raw_*.tiff", "no TIFF projections"});
}

// ---- real scans -----------------------------------------------------------------------------

TEST(RealScanReaders, ToothDataExchange) {
  const auto scan = tomo::open_scan(tooth);
  const auto& info = scan->info();
  EXPECT_EQ(info.layout, Layout::dx);
  EXPECT_EQ(info.projections, 181);
  EXPECT_EQ(info.rows, 2);
  EXPECT_EQ(info.columns, 640);
  EXPECT_EQ(info.flats_before, 10);
  EXPECT_EQ(info.flats_after, 0);
  EXPECT_EQ(info.darks_before, 10);
  EXPECT_EQ(info.dtype, "float32");
  EXPECT_EQ(info.chunking, "contiguous");
  EXPECT_EQ(info.compression, "none");
  EXPECT_EQ(info.sample, "Tooth");
  ASSERT_EQ(info.angles_deg.size(), 181u);
  EXPECT_EQ(info.angles_deg.front(), 0.0);
  EXPECT_NEAR(info.angles_deg.back(), 179.00552486187846, 1e-12);
  EXPECT_FALSE(info.pixel_size_um.has_value());

  // Values from h5dump -m %.9g -d /exchange/data -s "0,0,0" -c "1,1,4" (and the like).
  const std::vector<float> first = read_block(*scan, Frames::projections, {0, 1}, {0, 1});
  EXPECT_EQ(first[0], 26963.25f);
  EXPECT_EQ(first[1], 28432.75f);
  EXPECT_EQ(first[2], 27741.0f);
  EXPECT_EQ(first[3], 26425.0f);
  const std::vector<float> both = read_block(*scan, Frames::projections, {90, 181}, {1, 2});
  EXPECT_EQ(at(both, 91, 640, 0, 0, 300), 11719.0f);     // projection 90, row 1, column 300
  EXPECT_EQ(at(both, 91, 640, 0, 0, 301), 12082.75f);
  EXPECT_EQ(at(both, 91, 640, 0, 90, 636), 27438.0f);    // projection 180, row 1, column 636
  EXPECT_EQ(at(both, 91, 640, 0, 90, 637), 27751.5f);
  const std::vector<float> flats = read_all(*scan, Frames::flats_before);
  EXPECT_EQ(at(flats, 10, 640, 1, 9, 320), 28505.75f);
  EXPECT_EQ(at(flats, 10, 640, 1, 9, 321), 28555.5f);
  const std::vector<float> darks = read_all(*scan, Frames::darks_before);
  EXPECT_EQ(at(darks, 10, 640, 0, 0, 0), 103.25f);
  EXPECT_EQ(at(darks, 10, 640, 0, 0, 1), 106.0f);
  expect_ranges_agree(*scan, Frames::projections);
  expect_ranges_agree(*scan, Frames::flats_before);
}

TEST(RealScanReaders, K11NexusThroughExternalLinks) {
  // ctest runs from the build folder: the external links must resolve from the file's folder.
  const auto scan = tomo::open_scan(k11);
  const auto& info = scan->info();
  EXPECT_EQ(info.layout, Layout::nxtomo);
  EXPECT_EQ(info.projections, 3001);
  EXPECT_EQ(info.rows, 22);
  EXPECT_EQ(info.columns, 26);
  EXPECT_EQ(info.flats_before, 50);
  EXPECT_EQ(info.flats_after, 50);
  EXPECT_EQ(info.darks_before, 50);
  EXPECT_EQ(info.darks_after, 50);
  EXPECT_EQ(info.dtype, "uint16");
  EXPECT_EQ(info.chunking, "(1, 22, 26)");
  ASSERT_EQ(info.angles_deg.size(), 3001u);
  // Encoder readback of frames 100 and 3100 (h5dump -m %.17g on gts_theta.value).
  EXPECT_DOUBLE_EQ(info.angles_deg.front(), 89.995110037116433);
  EXPECT_DOUBLE_EQ(info.angles_deg.back(), 269.99462809348137);

  // Frame values from h5dump -d /entry/detector/detector of k11-18014-imaging.h5.
  const auto first_four = [&](Frames kind, int image, int row, int column) {
    const std::vector<float> block = read_block(*scan, kind, {image, image + 1}, {row, row + 1});
    return std::vector<float>(block.begin() + column, block.begin() + column + 4);
  };
  EXPECT_EQ(first_four(Frames::projections, 0, 0, 0), (std::vector<float>{33853, 42988, 34093, 39190}));
  EXPECT_EQ(first_four(Frames::projections, 0, 21, 22), (std::vector<float>{37392, 39960, 37230, 37189}));
  EXPECT_EQ(first_four(Frames::projections, 3000, 10, 10), (std::vector<float>{39202, 43664, 37835, 31607}));
  EXPECT_EQ(first_four(Frames::flats_before, 0, 0, 0), (std::vector<float>{42291, 44976, 44511, 44199}));
  EXPECT_EQ(first_four(Frames::darks_before, 0, 0, 0), (std::vector<float>{109, 108, 107, 125}));
  EXPECT_EQ(first_four(Frames::flats_after, 0, 0, 0), (std::vector<float>{42989, 45523, 45515, 45263}));
  EXPECT_EQ(first_four(Frames::darks_after, 0, 0, 0), (std::vector<float>{118, 106, 104, 106}));
  expect_ranges_agree(*scan, Frames::projections);
  expect_ranges_agree(*scan, Frames::darks_after);
}

TEST(RealScanReaders, SavuTiffStackFolderAndPattern) {
  for (const fs::path& input : {savu / "tiffs", savu / "tiffs" / "raw_*.tiff"}) {
    const auto scan = tomo::open_scan(input);
    const auto& info = scan->info();
    EXPECT_EQ(info.layout, Layout::tiff_stack);
    EXPECT_EQ(info.projections, 91);
    EXPECT_EQ(info.rows, 135);
    EXPECT_EQ(info.columns, 160);
    EXPECT_EQ(info.darks_before, 1);
    EXPECT_EQ(info.flats_before, 1);
    EXPECT_EQ(info.dtype, "uint16");
    EXPECT_TRUE(info.angles_deg.empty());
    // Values from the raw strips (uncompressed, little-endian), parsed byte by byte.
    const std::vector<float> first = read_block(*scan, Frames::projections, {0, 1}, {0, 135});
    EXPECT_EQ(at(first, 1, 160, 0, 0, 0), 0.0f);
    EXPECT_EQ(at(first, 1, 160, 0, 0, 1), 19915.0f);
    EXPECT_EQ(at(first, 1, 160, 67, 0, 80), 3994.0f);
    EXPECT_EQ(at(first, 1, 160, 134, 0, 159), 21024.0f);
    EXPECT_EQ(read_block(*scan, Frames::projections, {90, 91}, {100, 101})[50], 26758.0f);
    EXPECT_EQ(read_block(*scan, Frames::darks_before, {0, 1}, {100, 101})[50], 91.0f);
    EXPECT_EQ(read_block(*scan, Frames::flats_before, {0, 1}, {100, 101})[50], 38616.0f);
    expect_ranges_agree(*scan, Frames::projections);
  }
}

TEST(RealScanReaders, NeutronSinogramTiff) {
  const auto scan = tomo::open_scan(neutron);
  const auto& info = scan->info();
  EXPECT_EQ(info.layout, Layout::sinogram_tiff);
  EXPECT_EQ(info.projections, 459);
  EXPECT_EQ(info.rows, 1);
  EXPECT_EQ(info.columns, 503);
  EXPECT_EQ(info.flats(), 0);
  EXPECT_EQ(info.darks(), 0);
  EXPECT_EQ(info.dtype, "uint16");
  const std::vector<float> sinogram = read_all(*scan, Frames::projections);
  EXPECT_EQ(at(sinogram, 459, 503, 0, 0, 0), 47279.0f);
  EXPECT_EQ(at(sinogram, 459, 503, 0, 0, 100), 43531.0f);
  EXPECT_EQ(at(sinogram, 459, 503, 0, 200, 250), 34887.0f);
  EXPECT_EQ(at(sinogram, 459, 503, 0, 458, 502), 47794.0f);
  expect_ranges_agree(*scan, Frames::projections);
}

// ---- bad input ------------------------------------------------------------------------------

TEST(ScanReaderErrors, MissingFileOrFolder) {
  const fs::path dir = scratch_dir();
  expect_error([&] { tomo::open_scan(dir / "nope.h5"); }, {"nope.h5", "no such file"});
  expect_error([&] { tomo::open_scan(dir / "nope.h5", Layout::dx); }, {"nope.h5", "no such file"});
  expect_error([&] { tomo::open_scan(dir / "nope", Layout::tiff_stack); }, {"nope", "no such folder"});
}

TEST(ScanReaderErrors, TruncatedAndGarbageFiles) {
  const fs::path dir = scratch_dir();
  const fs::path truncated = dir / "tooth_half.h5";
  fs::copy_file(tooth, truncated);
  fs::resize_file(truncated, fs::file_size(tooth) / 2);
  expect_error([&] { tomo::open_scan(truncated); }, {"tooth_half.h5", "truncated"});
  expect_error([&] { tomo::open_scan(truncated, Layout::nxtomo); }, {"tooth_half.h5", "truncated"});

  const fs::path garbage = dir / "garbage.h5";
  std::ofstream(garbage) << std::string(4096, 'x');
  expect_error([&] { tomo::open_scan(garbage); }, {"garbage.h5", "not an HDF5 file"});

  const fs::path text = dir / "notes.txt";
  std::ofstream(text) << "not a scan\n";
  expect_error([&] { tomo::open_scan(text); }, {"notes.txt", "not a scan tomoedge can read"});

  const fs::path bad_tiff = dir / "sinogram.tif";
  std::ofstream(bad_tiff) << "II*\0garbage";
  expect_error([&] { tomo::open_scan(bad_tiff); }, {"sinogram.tif"});
}

TEST(ScanReaderErrors, MissingDatasets) {
  const fs::path dir = scratch_dir();
  write_tdf_old(dir / "old.tdf", "_after");
  expect_error([&] { tomo::open_scan(dir / "old.tdf", Layout::dx); }, {"old.tdf", "/exchange/data"});
  expect_error([&] { tomo::open_scan(tooth, Layout::nxtomo); }, {"tooth.h5", "image_key"});
  expect_error([&] { tomo::open_scan(k11, Layout::tdf); }, {"k11-18014.nxs", "/exchange/data, /data or /tomo"});
  const fs::path empty = dir / "empty.h5";
  create_file(empty);
  expect_error([&] { tomo::open_scan(empty); }, {"empty.h5", "no known scan layout"});
}

TEST(ScanReaderErrors, FlatsOfAnotherDetectorSize) {
  const fs::path path = scratch_dir() / "mismatch.h5";
  {
    const auto file = create_file(path);
    write_u16(file.get(), "/exchange/data", projection_dims(n_projections), stack({Frames::projections}, false));
    write_u16(file.get(), "/exchange/data_white", {2, n_rows, n_columns + 1},
              std::vector<std::uint16_t>(2 * n_rows * (n_columns + 1), 7));
  }
  expect_error([&] { tomo::open_scan(path); }, {"mismatch.h5", "/exchange/data_white", "(2, 5, 7)", "5 x 6"});
}

TEST(ScanReaderErrors, StackThatIsNotThreeDimensional) {
  const fs::path path = scratch_dir() / "flat.h5";
  {
    const auto file = create_file(path);
    write_u16(file.get(), "/exchange/data", {n_rows, n_columns}, std::vector<std::uint16_t>(n_rows * n_columns, 1));
  }
  expect_error([&] { tomo::open_scan(path); }, {"flat.h5", "/exchange/data", "(5, 6)", "3 dimensions"});
}

TEST(ScanReaderErrors, ReadsOutsideTheScan) {
  const auto scan = tomo::open_scan(tooth);
  std::vector<float> out(20 * 2 * 640);
  expect_error([&] { scan->read(Frames::projections, {170, 190}, {0, 2}, out); },
               {"tooth.h5", "/exchange/data", "(181, 2, 640)", "[170, 190)", "181"});
  expect_error([&] { scan->read(Frames::projections, {0, 10}, {0, 4}, out); }, {"tooth.h5", "rows [0, 4)", "2 rows"});
  expect_error([&] { scan->read(Frames::flats_after, {0, 1}, {0, 1}, out); }, {"tooth.h5", "flats taken after"});
  expect_error([&] { scan->read(Frames::projections, {0, 1}, {0, 1}, out); }, {"tooth.h5", "640 columns need 640"});
  expect_error([&] { scan->read(Frames::projections, {-1, 1}, {0, 1}, std::span<float>(out).first(1280)); },
               {"tooth.h5", "[-1, 1)"});
}

TEST(ScanReaderErrors, UnknownLayoutName) {
  expect_error([] { tomo::parse_layout("hdf"); }, {"'hdf'", "tdf, dx, nxtomo, tiff-stack or sinogram-tiff"});
  EXPECT_EQ(tomo::parse_layout("tiff-stack"), Layout::tiff_stack);
  EXPECT_EQ(tomo::to_string(Layout::sinogram_tiff), "sinogram-tiff");
}

}  // namespace
