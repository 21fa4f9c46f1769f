#include "kernels/thumbnail.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/error.hpp"

namespace tomo {

std::vector<float> thumbnail(std::span<const float> image, int n, int size) {
  if (n <= 0 || image.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(n))
    fail("thumbnail: {} values do not make a {} x {} image", image.size(), n, n);
  if (size < 1 || size > n) fail("thumbnail: size {} is out of range [1, {}]", size, n);
  const double scale = static_cast<double>(n) / size;  // source pixels per thumbnail pixel
  // Per thumbnail index, the source pixels its interval [k scale, (k + 1) scale) covers and by how much.
  struct Cover {
    int first = 0;
    std::vector<double> weights;
  };
  std::vector<Cover> covers(static_cast<std::size_t>(size));
  for (int k = 0; k < size; ++k) {
    const double from = k * scale, to = (k + 1) * scale;
    Cover& cover = covers[static_cast<std::size_t>(k)];
    cover.first = static_cast<int>(std::floor(from));
    for (int i = cover.first; i < n && i < to; ++i)
      cover.weights.push_back((std::min<double>(i + 1, to) - std::max<double>(i, from)) / scale);
  }
  std::vector<float> out(static_cast<std::size_t>(size) * static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    const Cover& rows = covers[static_cast<std::size_t>(r)];
    for (int c = 0; c < size; ++c) {
      const Cover& columns = covers[static_cast<std::size_t>(c)];
      double sum = 0;
      for (std::size_t i = 0; i < rows.weights.size(); ++i) {
        const float* line = image.data() + static_cast<std::size_t>(rows.first + static_cast<int>(i)) * static_cast<std::size_t>(n);
        double across = 0;
        for (std::size_t j = 0; j < columns.weights.size(); ++j)
          across += columns.weights[j] * line[columns.first + static_cast<int>(j)];
        sum += rows.weights[i] * across;
      }
      out[static_cast<std::size_t>(r) * static_cast<std::size_t>(size) + static_cast<std::size_t>(c)] = static_cast<float>(sum);
    }
  }
  return out;
}

}  // namespace tomo
