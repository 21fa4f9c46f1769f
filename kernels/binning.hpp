#pragma once
// Pixel binning of detector images (STP's "downscaling"): b × b detector pixels averaged into
// one, for quick looks and for scans whose resolution exceeds what the sample needs. Averaging
// (not summing) keeps counts on the scale of the flats and darks, which are binned the same way.
#include <span>
#include <vector>

namespace tomo {

// Frames laid out (row, frame, column), `rows` a multiple of `factor`: returns (rows / factor,
// frame, columns / factor), each value the mean of a factor × factor block (a last partial
// block of columns is dropped). Throws tomo::Error for a factor below 1 or rows not a multiple.
std::vector<float> bin_pixels(std::span<const float> frames, int rows, int frame_count, int columns, int factor);

}  // namespace tomo
