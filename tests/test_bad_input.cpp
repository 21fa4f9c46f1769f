// Each kind of bad input gives one clear message naming what is wrong, a non-zero exit, and no
// output under a final name.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "storage/hdf5_handle.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;
using tomo::test::run_tomoedge;

constexpr hsize_t kRows = 2, kProjections = 30, kColumns = 32;

// Writes a float32 dataset (creating the groups on its path).
void write_dataset(hid_t file, const char* path, std::vector<hsize_t> dims, const std::vector<float>& values) {
  tomo::h5::PropertyList links(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(links.get(), 1);
  tomo::h5::Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  tomo::h5::Dataset dataset(H5Dcreate2(file, path, H5T_NATIVE_FLOAT, space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT));
  ASSERT_TRUE(dataset);
  ASSERT_GE(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
}

// A small sinogram-major TDF scan (rows, images, columns) whose flats the caller chooses.
fs::path write_tdf(const fs::path& path, const std::vector<float>& flat_values, hsize_t flat_columns = kColumns) {
  tomo::h5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  write_dataset(file.get(), "/exchange/data", {kRows, kProjections, kColumns}, std::vector<float>(kRows * kProjections * kColumns, 500.0f));
  write_dataset(file.get(), "/exchange/data_dark", {kRows, 2, kColumns}, std::vector<float>(kRows * 2 * kColumns, 10.0f));
  write_dataset(file.get(), "/exchange/data_white", {kRows, 2, flat_columns}, flat_values);
  return path;
}

std::vector<float> good_flats() { return std::vector<float>(kRows * 2 * kColumns, 1000.0f); }

// Runs recon and checks: exit 1, every `expected` piece in the message, no final-named output.
void expect_refused(const std::string& args, const fs::path& out, std::vector<std::string> expected) {
  const auto r = run_tomoedge("recon " + args + " --out " + out.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error:"), std::string::npos) << r.output;
  for (const auto& piece : expected) EXPECT_NE(r.output.find(piece), std::string::npos) << "missing '" << piece << "' in: " << r.output;
  EXPECT_EQ(r.output.find("HDF5-DIAG"), std::string::npos) << "HDF5 error stack leaked: " << r.output;
  if (fs::exists(out))
    for (auto& entry : fs::directory_iterator(out)) ADD_FAILURE() << "left behind: " << entry.path();
}

TEST(BadInput, AGoodSmallScanReconstructs) {
  const auto dir = tomo::test::scratch_dir("good");
  const auto scan = write_tdf(dir / "good.tdf", good_flats());
  const auto r = run_tomoedge(fmt::format("recon {} --out {}", scan.string(), (dir / "out").string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "slice_0001.tif"));
}

TEST(BadInput, MissingFile) {
  const auto dir = tomo::test::scratch_dir("missing");
  expect_refused((dir / "nope.tdf").string(), dir / "out", {"nope.tdf"});
}

TEST(BadInput, TruncatedHdf5) {
  const auto dir = tomo::test::scratch_dir("truncated");
  const auto scan = write_tdf(dir / "cut.tdf", good_flats());
  fs::resize_file(scan, fs::file_size(scan) / 2);
  expect_refused(scan.string(), dir / "out", {"cut.tdf"});
}

TEST(BadInput, GarbageFile) {
  const auto dir = tomo::test::scratch_dir("garbage");
  std::ofstream(dir / "noise.h5") << std::string(4096, 'x');
  expect_refused((dir / "noise.h5").string(), dir / "out", {"noise.h5"});
}

TEST(BadInput, MissingProjectionDataset) {
  const auto dir = tomo::test::scratch_dir("nodata");
  {
    tomo::h5::File file(H5Fcreate((dir / "empty.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    write_dataset(file.get(), "/exchange/data_white", {2, kRows, kColumns}, std::vector<float>(2 * kRows * kColumns, 1.0f));
  }
  expect_refused((dir / "empty.h5").string(), dir / "out", {"empty.h5"});
}

TEST(BadInput, FlatsOfTheWrongShape) {
  const auto dir = tomo::test::scratch_dir("shape");
  const auto scan = write_tdf(dir / "shape.tdf", std::vector<float>(kRows * 2 * (kColumns + 4), 1000.0f), kColumns + 4);
  expect_refused(scan.string(), dir / "out", {"shape.tdf", "data_white"});
}

TEST(BadInput, NanInFlats) {
  const auto dir = tomo::test::scratch_dir("nan");
  auto flats = good_flats();
  flats[5] = std::nanf("");
  const auto scan = write_tdf(dir / "nan.tdf", flats);
  expect_refused(scan.string(), dir / "out", {"nan.tdf", "NaN"});
}

TEST(BadInput, ZeroFlats) {
  const auto dir = tomo::test::scratch_dir("zero");
  const auto scan = write_tdf(dir / "zero.tdf", std::vector<float>(kRows * 2 * kColumns, 0.0f));
  expect_refused(scan.string(), dir / "out", {"zero.tdf", "flat <= dark"});
}

TEST(BadInput, SliceRangeOutsideTheScan) {
  const auto dir = tomo::test::scratch_dir("slices");
  const auto scan = write_tdf(dir / "s.tdf", good_flats());
  expect_refused(scan.string() + " --slices 5:9", dir / "out", {"slice range 5:9", "s.tdf"});
}

TEST(BadInput, UnknownFilter) {
  const auto dir = tomo::test::scratch_dir("filter");
  const auto scan = write_tdf(dir / "f.tdf", good_flats());
  expect_refused(scan.string() + " --filter butterworth", dir / "out", {"butterworth", "filter"});
}

TEST(BadInput, OutOfRangeParameter) {
  const auto dir = tomo::test::scratch_dir("range");
  const auto scan = write_tdf(dir / "r.tdf", good_flats());
  expect_refused(scan.string() + " --cutoff 3", dir / "out", {"filter_cutoff = 3"});
  expect_refused(scan.string() + " --cor-offset 40", dir / "out", {"cor_offset = 40"});
}

TEST(BadInput, UnwritableOutputFolder) {
  const auto dir = tomo::test::scratch_dir("unwritable");
  const auto scan = write_tdf(dir / "u.tdf", good_flats());
  std::ofstream(dir / "a-file") << "x";  // a folder cannot be made under a regular file, even by root
  const auto r = run_tomoedge(fmt::format("recon {} --out {}", scan.string(), (dir / "a-file" / "out").string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a-file/out"), std::string::npos) << r.output;
}

}  // namespace

namespace {

// A file whose later data are corrupt (gzip chunks overwritten at 70% of the file): the first
// slabs are read and reconstructed, a later one fails to decompress. The pipeline's reader stops,
// the job fails naming the file and dataset, and no volume is left behind.
TEST(BadInput, CorruptChunksPartWayThrough) {
  const auto dir = tomo::test::scratch_dir("midway");
  const auto scan = dir / "bad.tdf";
  const auto sim = run_tomoedge(fmt::format("simulate --out {} --projections 200 --rows 12 --columns 64 --seed 3 --gzip 1",
                                            scan.string()));
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  {
    std::fstream file(scan, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(fs::file_size(scan));
    file.seekp(size * 70 / 100);
    const std::string garbage(static_cast<std::size_t>(size / 50), 'Z');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  // Direct FBP, 1.7 MiB: 0.85 MiB fixed (mostly the backprojection's interleaved copy) + 0.2 MiB a row, 4 rows.
  const auto r = run_tomoedge("recon " + scan.string() + " --method fbp --format hdf5 --memory 1.7M --log-level debug --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("slab of rows 0:4 written"), std::string::npos) << "failed before the first slab: " << r.output;
  EXPECT_NE(r.output.find("bad.tdf: dataset /exchange/data"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(dir / "out")) << "a volume was left behind";
}

}  // namespace
