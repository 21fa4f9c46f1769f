#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/flat_field.hpp"

namespace {

TEST(FlatField, BeerLambertWithDarkAndFlat) {
  bool clamped = true;
  // raw = dark + (flat - dark)·e^{-1.5} → line integral 1.5
  const float dark = 100, flat = 10100, raw = dark + 10000 * std::exp(-1.5f);
  EXPECT_NEAR(tomo::line_integral(raw, dark, 1.0f / (flat - dark), {}, &clamped), 1.5f, 1e-5f);
  EXPECT_FALSE(clamped);
  // At or below the dark level the transmission is clamped, never -log(0) = inf.
  const float clamped_value = tomo::line_integral(dark - 5, dark, 1e-4f, {}, &clamped);
  EXPECT_TRUE(clamped);
  EXPECT_NEAR(clamped_value, -std::log(1e-4f), 1e-4f);
  EXPECT_TRUE(std::isfinite(tomo::line_integral(std::numeric_limits<float>::quiet_NaN(), dark, 1e-4f, {}, &clamped)));
  EXPECT_TRUE(clamped);
}

TEST(FlatField, MeanAndMedianOfFrames) {
  // 1 row, 3 images, 2 columns: a zinger (1000) in image 2, column 0.
  const std::vector<float> frames{1, 10, 2, 20, 1000, 30};
  std::vector<float> out(2);
  tomo::average_frames(frames, 1, 3, 2, tomo::FrameAverage::mean, out);
  EXPECT_FLOAT_EQ(out[0], 1003.0f / 3);
  EXPECT_FLOAT_EQ(out[1], 20.0f);
  tomo::average_frames(frames, 1, 3, 2, tomo::FrameAverage::median, out);
  EXPECT_FLOAT_EQ(out[0], 2.0f);
  EXPECT_FLOAT_EQ(out[1], 20.0f);
  const std::vector<float> even{1, 2, 3, 4};
  std::vector<float> one(1);
  tomo::average_frames(even, 1, 4, 1, tomo::FrameAverage::median, one);
  EXPECT_FLOAT_EQ(one[0], 2.5f);
}

TEST(FlatField, CorrectsAWholeSlabAndCountsClampedPixels) {
  const int rows = 2, projections = 3, columns = 4;
  const std::vector<float> dark(rows * columns, 100.0f), flat(rows * columns, 1100.0f);
  auto ff = tomo::make_flat_field(dark, flat, rows, columns);
  std::vector<float> slab(rows * projections * columns, 100.0f + 1000.0f * std::exp(-0.5f));
  slab[5] = 50.0f;  // below the dark
  const auto clamped = tomo::correct_projections(slab, projections, ff, true, {}, 2);
  EXPECT_EQ(clamped, 1);
  EXPECT_NEAR(slab[0], 0.5f, 1e-5f);
  EXPECT_NEAR(slab.back(), 0.5f, 1e-5f);
}

TEST(FlatField, OneDeadFlatPixelBorrowsItsNeighboursGain) {
  std::vector<float> dark(200, 10.0f), flat(200, 110.0f);
  flat[57] = 5.0f;  // below the dark
  auto ff = tomo::make_flat_field(dark, flat, 1, 200);
  EXPECT_EQ(ff.defective_pixels, 1);
  EXPECT_FLOAT_EQ(ff.inverse_gain[57], 0.01f);
}

TEST(FlatField, UnusableFlatsAreRefusedWithAReason) {
  std::vector<float> dark(100, 10.0f), zero_flat(100, 0.0f), nan_flat(100, 500.0f);
  nan_flat[3] = std::numeric_limits<float>::quiet_NaN();
  try {
    tomo::make_flat_field(dark, zero_flat, 1, 100);
    FAIL() << "zero flats accepted";
  } catch (const tomo::Error& e) {
    EXPECT_NE(std::string(e.what()).find("flat <= dark"), std::string::npos) << e.what();
  }
  try {
    tomo::make_flat_field(dark, nan_flat, 1, 100);
    FAIL() << "NaN flats accepted";
  } catch (const tomo::Error& e) {
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
}

}  // namespace
