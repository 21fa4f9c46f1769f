#pragma once
// Running medians along one line of samples, the smoothing step most stripe filters share: a
// median follows edges and ignores an outlying column, where a mean would smear a stripe into
// its neighbours.
#include <cstddef>
#include <span>

#include "kernels/boundary.hpp"

namespace tomo {

// out[i] = median of the `width` samples centred on in[i] (width odd), where the samples are
// in[j · stride] for j in [0, n). `out` is contiguous (n values) and must not alias `in`.
void median_filter(const float* in, std::size_t n, std::size_t stride, int width, Boundary boundary, float* out);

inline void median_filter(std::span<const float> in, int width, Boundary boundary, std::span<float> out) {
  median_filter(in.data(), in.size(), 1, width, boundary, out.data());
}

// Every row of a rows × columns image (row-major) median-filtered across: the same values as
// median_filter on each row, several times faster (16 rows at once, without branches). `out`
// must not alias `image`.
void median_filter_rows(const float* image, std::size_t rows, std::size_t columns, int width, Boundary boundary,
                        float* out);

// The same down every column of a rows × columns image (row-major): median_filter on each column
// (stride `columns`), 16 neighbouring columns at once. `out` must not alias `image`.
void median_filter_columns(const float* image, std::size_t rows, std::size_t columns, int width, Boundary boundary,
                           float* out);

// Median of the values (reordered in place); the mean of the two middle ones for an even count.
float median_of(std::span<float> values);

}  // namespace tomo
