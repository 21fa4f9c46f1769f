// Output files: TIFF round trips in every pixel type, the NXtomoproc volume, atomic writes.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "kernels/error.hpp"
#include "storage/hdf5_handle.hpp"
#include "storage/slice_writer.hpp"
#include "storage/tiff_image.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;

std::vector<float> ramp_image(int w, int h) {
  std::vector<float> v(static_cast<std::size_t>(w) * h);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.01f - 1.0f;
  return v;
}

TEST(TiffImage, Float32RoundTripIsExact) {
  const auto dir = tomo::test::scratch_dir("tiff_float");
  const auto pixels = ramp_image(37, 21);
  tomo::write_tiff(dir / "a.tif", pixels, 37, 21, tomo::PixelType::float32);
  const auto image = tomo::read_tiff(dir / "a.tif");
  EXPECT_EQ(image.width, 37);
  EXPECT_EQ(image.height, 21);
  EXPECT_EQ(image.pixels, pixels);
}

TEST(TiffImage, IntegerTypesScaleBetweenMinAndMaxAndClip) {
  const auto dir = tomo::test::scratch_dir("tiff_int");
  const std::vector<float> pixels{-1.0f, 0.0f, 0.5f, 1.0f, 2.0f, std::nanf("")};
  tomo::write_tiff(dir / "b.tif", pixels, 6, 1, tomo::PixelType::uint16, 0.0f, 1.0f);
  EXPECT_EQ(tomo::read_tiff(dir / "b.tif").pixels, (std::vector<float>{0, 0, 32768, 65535, 65535, 0}));
  tomo::write_tiff(dir / "c.tif", pixels, 6, 1, tomo::PixelType::uint8, 0.0f, 1.0f);
  EXPECT_EQ(tomo::read_tiff(dir / "c.tif").pixels, (std::vector<float>{0, 0, 128, 255, 255, 0}));
}

TEST(TiffImage, MissingOrCorruptFilesAreNamed) {
  const auto dir = tomo::test::scratch_dir("tiff_bad");
  std::ofstream(dir / "bad.tif") << "not a tiff";
  for (auto path : {dir / "missing.tif", dir / "bad.tif"}) {
    try {
      tomo::read_tiff(path);
      FAIL();
    } catch (const tomo::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
}

TEST(SliceWriter, TiffStackNamesSlicesByDetectorRow) {
  const auto dir = tomo::test::scratch_dir("stack");
  // Slices cropped after the reconstruction need not be square: 8 wide, 5 high.
  auto writer = tomo::make_slice_writer({dir / "out", "recon", tomo::OutputFormat::tiff, tomo::PixelType::float32, 0, 1},
                                        100, 2, 8, 5, {});
  const auto slice = ramp_image(8, 5);
  writer->write(100, slice);
  writer->write(101, slice);
  writer->finish();
  EXPECT_EQ(writer->path_of(101), dir / "out" / "recon_0101.tif");
  const auto image = tomo::read_tiff(dir / "out" / "recon_0100.tif");
  EXPECT_EQ(image.width, 8);
  EXPECT_EQ(image.height, 5);
  EXPECT_EQ(image.pixels, slice);
  for (auto& entry : fs::directory_iterator(dir / "out")) EXPECT_EQ(entry.path().extension(), ".tif");
}

TEST(SliceWriter, Hdf5VolumeIsNxTomoProcWithProvenance) {
  const auto dir = tomo::test::scratch_dir("volume");
  auto writer = tomo::make_slice_writer({dir, "vol", tomo::OutputFormat::hdf5, tomo::PixelType::float32, 0, 1}, 10, 3, 8, 8,
                                        {"/data/scan.tdf", R"({"filter": "hann"})", "9.9"});
  const auto slice = ramp_image(8, 8);
  for (int row = 10; row < 13; ++row) writer->write(row, slice);
  EXPECT_FALSE(fs::exists(dir / "vol.h5"));  // not under its final name until finished
  writer->finish();
  ASSERT_TRUE(fs::exists(dir / "vol.h5"));

  tomo::h5::File file(H5Fopen((dir / "vol.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  tomo::h5::Dataset data(H5Dopen2(file.get(), "/entry/data/data", H5P_DEFAULT));
  ASSERT_TRUE(data);
  std::vector<float> volume(3 * 64);
  ASSERT_GE(H5Dread(data.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, volume.data()), 0);
  EXPECT_EQ(std::vector<float>(volume.begin() + 128, volume.end()), slice);
  EXPECT_EQ(tomo::test::read_string(file.get(), "/entry/definition"), "NXtomoproc");
  EXPECT_EQ(tomo::test::read_string(file.get(), "/entry/reconstruction/program"), "tomoedge");
  EXPECT_EQ(tomo::test::read_string(file.get(), "/entry/reconstruction/parameters/raw_file"), "/data/scan.tdf");
  EXPECT_EQ(tomo::test::read_string(file.get(), "/entry/reconstruction/parameters/recon_params"), R"({"filter": "hann"})");
}

TEST(SliceWriter, AnUnfinishedVolumeLeavesNothingBehind) {
  const auto dir = tomo::test::scratch_dir("abandoned");
  {
    auto writer = tomo::make_slice_writer({dir, "vol", tomo::OutputFormat::hdf5, tomo::PixelType::uint16, 0, 1}, 0, 2, 8, 8, {});
    writer->write(0, ramp_image(8, 8));
  }  // e.g. an exception in the reconstruction
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(SliceWriter, UnwritableFolderIsRefused) {
  if (geteuid() == 0) {
    // root writes everywhere; a path under a regular file cannot be created by anyone.
    const auto dir = tomo::test::scratch_dir("unwritable");
    std::ofstream(dir / "file") << "x";
    EXPECT_THROW(tomo::make_slice_writer({dir / "file" / "out", "s", tomo::OutputFormat::tiff, tomo::PixelType::float32, 0, 1},
                                         0, 1, 8, 8, {}),
                 tomo::Error);
    return;
  }
  EXPECT_THROW(tomo::make_slice_writer({"/proc/tomoedge", "s", tomo::OutputFormat::tiff, tomo::PixelType::float32, 0, 1}, 0,
                                       1, 8, 8, {}),
               tomo::Error);
}

}  // namespace
