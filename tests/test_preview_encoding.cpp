// What the preview sends besides the slice: its PNG, the base64 of the data URL, its statistics
// and the thumbnails of a sweep.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/percentile.hpp"
#include "kernels/slice_statistics.hpp"
#include "kernels/thumbnail.hpp"
#include "storage/base64.hpp"
#include "storage/png_image.hpp"

namespace {

std::string base64_of(const std::string& text) {
  return tomo::base64(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

TEST(Base64, MatchesTheRfc4648TestVectors) {
  EXPECT_EQ(base64_of(""), "");
  EXPECT_EQ(base64_of("f"), "Zg==");
  EXPECT_EQ(base64_of("fo"), "Zm8=");
  EXPECT_EQ(base64_of("foo"), "Zm9v");
  EXPECT_EQ(base64_of("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_of("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_of("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_of("\xff\xfe\x00"), "//4=");  // a std::string from a literal stops at the NUL
}

TEST(GreyPng, DecodesToTheGreyLevelsEncoded) {
  constexpr int width = 37, height = 11;
  std::vector<float> pixels(width * height);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 300) - 20.0f;
  pixels[5] = NAN;
  const auto grey = tomo::grey_levels(pixels, 0.0f, 255.0f);
  EXPECT_EQ(grey[0], 0);    // -20 clipped
  EXPECT_EQ(grey[5], 0);    // NaN black
  EXPECT_EQ(grey[100], 80);
  EXPECT_EQ(grey[290], 255);  // 270 clipped
  const std::string file = tomo::encode_grey_png(grey, width, height);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_memory(&image, file.data(), file.size()));
  image.format = PNG_FORMAT_GRAY;
  std::vector<std::uint8_t> decoded(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, decoded.data(), 0, nullptr));
  EXPECT_EQ(image.width, static_cast<unsigned>(width));
  EXPECT_EQ(image.height, static_cast<unsigned>(height));
  EXPECT_EQ(decoded, grey);
}

TEST(GreyPng, SizesThatDoNotMatchAreAnError) {
  const std::vector<std::uint8_t> grey(10);
  EXPECT_THROW(tomo::encode_grey_png(grey, 3, 3), tomo::Error);
  EXPECT_THROW(tomo::encode_grey_png(grey, 5, 2, 12), tomo::Error);
}

TEST(SliceStatistics, AreTakenInsideTheDiscOnly) {
  constexpr int n = 64;
  // 1 inside the disc's inner half, 3 in its outer ring, 1000 outside it (which must not count).
  std::vector<float> slice(n * n);
  int inner = 0, ring = 0;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const double x = c - n / 2.0 + 0.5, y = n / 2.0 - r - 0.5, radius = std::hypot(x, y);
      float& v = slice[r * n + c];
      v = radius < n / 4.0 ? 1.0f : radius < n / 2.0 - 2 ? 3.0f : 1000.0f;
      inner += v == 1.0f;
      ring += v == 3.0f;
    }
  const tomo::SliceStatistics s = tomo::slice_statistics(slice, n, 0.9f);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 3.0);
  EXPECT_GT(s.mean, 1.0);
  EXPECT_LT(s.mean, 3.0);
  EXPECT_GT(s.std, 0.5);
  EXPECT_EQ(s.low, 1.0f);
  EXPECT_EQ(s.high, 3.0f);
  EXPECT_EQ(s.histogram.front() + s.histogram.back(), std::accumulate(s.histogram.begin(), s.histogram.end(), std::int64_t{0}));
  EXPECT_GT(s.histogram.front(), 0);
  EXPECT_GT(s.histogram.back(), 0);
}

TEST(Thumbnail, AveragesWhatEachPixelCovers) {
  constexpr int n = 10;
  std::vector<float> image(n * n);
  std::iota(image.begin(), image.end(), 0.0f);
  const auto small = tomo::thumbnail(image, n, 4);
  ASSERT_EQ(small.size(), 16u);
  // The mean is kept exactly: every source pixel is shared out in full.
  EXPECT_NEAR(std::accumulate(small.begin(), small.end(), 0.0) / 16, std::accumulate(image.begin(), image.end(), 0.0) / 100, 1e-4);
  EXPECT_EQ(tomo::thumbnail(image, n, n), image);
  EXPECT_THROW(tomo::thumbnail(image, n, 11), tomo::Error);
}

}  // namespace

namespace {

// The nearest-rank percentile by sorting the finite values: what tomo::percentile must equal.
float sorted_percentile(std::vector<float> values, double fraction) {
  std::erase_if(values, [](float v) { return !std::isfinite(v); });
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1))];
}

TEST(Percentile, EqualsTheNearestRankOfTheSortedFiniteValues) {
  std::mt19937 random(7);
  std::normal_distribution<float> noise(0.02f, 0.01f);
  std::vector<float> slice(200'000);
  for (float& v : slice) v = noise(random);
  slice[17] = 1e6f;  // hot pixels put nearly everything into one bin of the first pass
  slice[99] = -3e5f;
  slice[1234] = std::numeric_limits<float>::quiet_NaN();
  slice[4321] = std::numeric_limits<float>::infinity();
  for (double fraction : {0.0, 0.005, 0.25, 0.5, 0.995, 1.0})
    EXPECT_EQ(tomo::percentile(slice, fraction), sorted_percentile(slice, fraction)) << fraction;

  std::vector<float> steps(10'000);
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i] = static_cast<float>(i % 7);  // many equal values
  for (double fraction : {0.005, 0.5, 0.995}) EXPECT_EQ(tomo::percentile(steps, fraction), sorted_percentile(steps, fraction));
  EXPECT_EQ(tomo::percentile(std::vector<float>(50, 2.5f), 0.9), 2.5f);
  EXPECT_EQ(tomo::percentile(std::vector<float>{std::nanf("")}, 0.5), 0.0f);
  EXPECT_EQ(tomo::percentile(std::vector<float>{}, 0.5), 0.0f);
}

}  // namespace
