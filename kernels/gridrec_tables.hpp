#pragma once
// Sizes and tables of the gridding (Fourier) reconstruction for one geometry and filter: the
// radial and grid transform lengths, the weights along a radial line, per projection where its
// line runs and how its axis is shifted, the Kaiser–Bessel kernel, and the de-apodisation that
// turns the inverse FFT into the image. Computed once on the CPU; kernels/gridrec.cpp and the
// CUDA path (kernels/gridrec.cu) both read them, so both grid the same values.
#include <cstddef>
#include <span>
#include <vector>

#include "kernels/fbp.hpp"

namespace tomo {

// Grid points per image pixel, σ. The inverse 2-D FFT is (σN)² and the kernel's aliases come
// from images of the slice a period G = σN away: 1.25 keeps the FFT at 2560² for N = 2048.
inline constexpr double kOversampling = 1.25;
// Kaiser–Bessel kernel width W in grid cells, β from Beatty et al. for σ. Each radial sample
// updates W × W grid points, the bulk of the time: at W = 4 the gridding error is ~3e-4 of the
// image's peak (rms against the exact sum, tests/test_gridrec.cpp), far below gridrec's
// difference from the direct method; W = 8 measured 2e-5, at 36 ms a slice instead of 25.
inline constexpr int kKernelWidth = 4;
// Tabulated kernel values per grid cell of sub-cell position (nearest entry, at most 1/4096
// cell off): 8× finer measured no change in the error above.
inline constexpr int kTableResolution = 2048;
// Columns per inverse FFT of the second pass: adjacent columns are adjacent in memory, so FFTW
// vectorises across them; 8 (64 bytes) measured fastest for G = 2304…2560.
inline constexpr int kColumnBlock = 8;

// Weight of each projection's line in the 2-D spectrum: its share of the half circle, half the
// gap to the neighbouring lines' angles taken modulo π (a line at θ + π is the line at θ,
// traversed the other way). Sums to π; π/P for P evenly spaced angles over 180° or 360°, as
// fbp_weight().
std::vector<double> gridrec_angle_weights(std::span<const float> angles_rad);

struct GridrecTables {
  // Validates the settings (tomo::Error for no angles, a non-positive width or a cut-off outside
  // (0, 1]) and tabulates everything (~20 ms for a 2048-wide detector).
  explicit GridrecTables(const FbpSettings& settings);

  int n = 0;            // detector width = slice side
  int projections = 0;
  int radial = 0;       // M: zero-padded projection length (≥ 2N)
  int grid = 0;         // G: grid side, a multiple of kColumnBlock
  int halo = 0;         // grid cells beyond ±G/2 that a kernel near the band edge reaches
  int stride = 0;       // complex values per grid row (G + 2·halo, rounded up to 64 bytes)
  int storage_rows = 0;
  int max_bin = 0;      // highest radial bin with a non-zero weight (may pass M/2, see line_weight)
  int first_band_row = 0, end_band_row = 0;  // storage rows that can hold data
  double beta = 0;
  std::vector<float> line_weight;    // per |k|: see tabulate_line_weights()
  std::vector<float> angle_weight;   // per projection, radians
  std::vector<double> axis_shift;    // per projection: t of the image origin, pixels
  std::vector<float> step_x, step_y; // per projection: grid cells per radial bin along x, y
  std::vector<int> line_end;         // per projection: the last bin |k| gridded
  std::vector<float> end_share;      // per projection: weight of that last bin (½ on the grid's edge)
  std::vector<float> kernel_table;   // kTableResolution × W
  std::vector<float> kernel_pairs;   // kTableResolution × 2W: each value twice (re, im)
  std::vector<float> column_factor;  // per image column: value_scale · (−1)^x / φ̂(x/G)
  std::vector<float> row_factor;     // per image row: (−1)^y / φ̂(y/G)
  std::vector<int> row_source;       // per image row: the FFT output index y mod G
  std::vector<int> column_blocks;    // first FFT column of each block the image needs

  // Complex values of the CPU's frequency grid with its halo (storage_rows × stride).
  std::size_t grid_values() const { return static_cast<std::size_t>(storage_rows) * static_cast<std::size_t>(stride); }

 private:
  void choose_sizes();
  void tabulate_line_weights(FilterWindow window, float cutoff);
  void tabulate_angles(const ParallelGeometry& geometry);
  void tabulate_kernel();
  void tabulate_output(float value_scale);
};

}  // namespace tomo
