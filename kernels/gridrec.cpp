#include "kernels/gridrec.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <numbers>
#include <numeric>
#include <span>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "kernels/error.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/gridrec_math.hpp"
#include "kernels/parallel.hpp"
#include "kernels/ramp_filter.hpp"

namespace tomo {
namespace {

// Grid points per image pixel, σ. The inverse 2-D FFT is (σN)² and the kernel's aliases come
// from images of the slice a period G = σN away: 1.25 keeps the FFT at 2560² for N = 2048.
constexpr double kOversampling = 1.25;
// Kaiser–Bessel kernel width W in grid cells, β from Beatty et al. for σ. Each radial sample
// updates W × W grid points, the bulk of the time: at W = 4 the gridding error is ~3e-4 of the
// image's peak (rms against the exact sum, tests/test_gridrec.cpp), far below gridrec's
// difference from the direct method; W = 8 measured 2e-5, at 36 ms a slice instead of 25.
constexpr int kKernelWidth = 4;
// Tabulated kernel values per grid cell of sub-cell position (nearest entry, at most 1/4096
// cell off): 8× finer measured no change in the error above.
constexpr int kTableResolution = 2048;
// Columns per inverse FFT of the second pass: adjacent columns are adjacent in memory, so FFTW
// vectorises across them; 8 (64 bytes) measured fastest for G = 2304…2560.
constexpr int kColumnBlock = 8;
// The axis phase of bin k is e^{iαk} = e^{iα·64⌊k/64⌋} · e^{iα(k mod 64)} (see axis_phase).
constexpr int kPhaseSplit = 64;

using Complex = std::complex<float>;

bool is_fft_friendly(int n) {
  for (const int factor : {2, 3, 5})
    while (n % factor == 0) n /= factor;
  return n == 1;
}

// Smallest multiple of `multiple` (even) at least `n` with no prime factor above 5: FFTW is
// fastest on those.
int fft_length(int n, int multiple) {
  int m = std::max(n, multiple);
  m = (m + multiple - 1) / multiple * multiple;
  while (!is_fft_friendly(m)) m += multiple;
  return m;
}

Complex* as_complex(fftwf_complex* p) { return reinterpret_cast<Complex*>(p); }

// a · b without the NaN/Inf recovery of std::complex's operator* (which GCC makes a library call).
inline Complex multiply(Complex a, Complex b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// One grid row's W complex values as one SIMD vector (W = 4: 8 floats, one AVX register), at
// any float alignment: a kernel footprint starts at any grid column.
constexpr int kRowLanes = 2 * kKernelWidth;
static_assert(kRowLanes == 8 || kRowLanes == 16, "a kernel row is one 8- or 16-float vector");
using RowFloats = float __attribute__((vector_size(kRowLanes * sizeof(float)), aligned(sizeof(float))));

// Adds value · φ(m − κ) to the W × W grid points m ≥ κ − W/2 about a sample at κ: `offset`
// is the first point's distance from the origin (rows `stride` apart), `table_x`/`table_y` the
// kernel table rows of κ's sub-cell position. `pairs` holds each table row's W kernel values
// twice each (for the real and imaginary parts), `singles` once.
inline void spread(fftwf_complex* origin, std::ptrdiff_t stride, int offset, int table_x, int table_y,
                   Complex value, const float* pairs, const float* singles) {
  RowFloats both;
  for (int e = 0; e < kRowLanes; e += 2) both[e] = value.real(), both[e + 1] = value.imag();
  const RowFloats along_x = *reinterpret_cast<const RowFloats*>(pairs + table_x * kRowLanes) * both;
  const float* along_y = singles + table_y * kKernelWidth;
  float* row = reinterpret_cast<float*>(origin + offset);
  for (int i = 0; i < kKernelWidth; ++i, row += 2 * stride) *reinterpret_cast<RowFloats*>(row) += along_y[i] * along_x;
}

// One pair of slices: a in the real part, b (absent for an unpaired last slice) in the imaginary.
struct SlicePair {
  const float* sinogram_a = nullptr;
  const float* sinogram_b = nullptr;
  float* slice_a = nullptr;
  float* slice_b = nullptr;
};

// Per-projection scratch of grid_projections: the axis phase per bin, and the weighted value
// and grid footprint of every bin of the line.
struct LineScratch {
  std::vector<Complex> phase, line;
  std::vector<int> offset, table_x, table_y;
};

// The frequency grid, in 2 MiB pages where the kernel gives them (transparent huge pages on
// request): a radial line at a steep angle touches every grid row, 20 KiB apart, and with 4 KiB
// pages each of those is a TLB miss.
struct GridDeleter {
  void operator()(fftwf_complex* values) const { std::free(values); }
};
using GridBuffer = std::unique_ptr<fftwf_complex[], GridDeleter>;

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t grid_bytes(std::size_t values) {
  return (values * sizeof(fftwf_complex) + kHugePage - 1) / kHugePage * kHugePage;
}

GridBuffer alloc_grid(std::size_t values) {
  const std::size_t bytes = grid_bytes(values);
  void* memory = std::aligned_alloc(kHugePage, bytes);
  if (!memory) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  madvise(memory, bytes, MADV_HUGEPAGE);  // a hint: refused, the grid still works in small pages
#endif
  return GridBuffer(static_cast<fftwf_complex*>(memory));
}

// What one thread works in: a frequency grid for a slice pair, a radial spectrum, and the
// column block of the inverse FFT's second pass.
struct Workspace {
  GridBuffer values;
  fftw::ComplexBuffer radial, columns;
};

// A lone slice (or the last pair of a slab that does not split evenly over the threads) is
// gridded by all the threads at once, each into a grid of its own, summed afterwards: this many
// grids at most, which bounds the memory on many-core machines.
constexpr std::size_t kMaxSharedGrids = 4;

}  // namespace

std::vector<double> gridrec_angle_weights(std::span<const float> angles_rad) {
  const std::size_t count = angles_rad.size();
  constexpr double pi = std::numbers::pi;
  if (count == 0) return {};
  if (count == 1) return {pi};
  std::vector<double> folded(count);
  for (std::size_t p = 0; p < count; ++p) {
    const double theta = std::fmod(static_cast<double>(angles_rad[p]), pi);
    folded[p] = theta < 0 ? theta + pi : theta;
  }
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return folded[a] < folded[b]; });
  std::vector<double> weights(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double before = i > 0 ? folded[order[i - 1]] : folded[order[count - 1]] - pi;
    const double after = i + 1 < count ? folded[order[i + 1]] : folded[order[0]] + pi;
    weights[order[i]] = 0.5 * (after - before);
  }
  return weights;
}

// Everything that depends on the geometry and filter only: sizes, tables and FFTW plans.
struct GridrecReconstructor::Plan {
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
  fftw::Plan radial_forward, rows_backward, columns_backward;

  Plan(const FbpSettings& settings);

  std::size_t grid_values() const { return static_cast<std::size_t>(storage_rows) * static_cast<std::size_t>(stride); }
  fftwf_complex* origin(fftwf_complex* values) const {
    const std::size_t centre = static_cast<std::size_t>(grid / 2 + halo);
    return values + centre * static_cast<std::size_t>(stride) + centre;
  }
  // First value of the G × G block that the FFTs see (frequency −G/2 along both axes).
  fftwf_complex* block(fftwf_complex* values) const {
    return values + static_cast<std::size_t>(halo) * static_cast<std::size_t>(stride) + static_cast<std::size_t>(halo);
  }

  // One pair on the calling thread alone.
  void reconstruct_pair(const SlicePair& pair, Workspace& work) const;
  // One pair on `threads` threads, gridding split by angles over the workspaces' grids.
  void reconstruct_pair_shared(const SlicePair& pair, std::vector<Workspace>& work, int threads) const;

  // Workspaces outlive a call, for the next slab: allocating the grids anew each time costs
  // their page faults again (6 ms a slice measured, 2 MiB pages being zeroed and compacted).
  // Concurrent calls take what is spare and allocate the rest; at most one per thread is kept.
  Workspace take_workspace() const;
  void keep_workspace(Workspace work) const;
  std::size_t workspace_bytes() const {
    return grid_bytes(grid_values()) +
           (static_cast<std::size_t>(radial) + static_cast<std::size_t>(grid) * kColumnBlock) * sizeof(fftwf_complex);
  }
  std::size_t spare_limit = 1;
  mutable std::mutex spare_mutex;
  mutable std::vector<Workspace> spare;

  void grid_projections(const SlicePair& pair, int first, int end, fftwf_complex* radial_buffer,
                        fftwf_complex* values) const;
  void fold_halo(fftwf_complex* values) const;
  void transform_rows(fftwf_complex* values, int first, int end) const;
  void transform_columns(fftwf_complex* values, std::size_t first_block, std::size_t end_block,
                         fftwf_complex* column_buffer, const SlicePair& pair) const;
  void crop_block(const fftwf_complex* column_buffer, int first_column, const SlicePair& pair) const;

 private:
  void axis_phase(int projection, LineScratch& scratch) const;
  void transform_projection(const SlicePair& pair, int projection, fftwf_complex* radial_buffer) const;
  void weigh_line(int projection, const fftwf_complex* spectrum, LineScratch& scratch) const;
  void place_line(int projection, LineScratch& scratch) const;
  void choose_sizes();
  void tabulate_line_weights(FilterWindow window, float cutoff);
  void tabulate_angles(const ParallelGeometry& geometry);
  void tabulate_kernel();
  void tabulate_output(float value_scale);
  void make_fftw_plans();
};

GridrecReconstructor::Plan::Plan(const FbpSettings& settings)
    : n(settings.geometry.columns),
      projections(static_cast<int>(settings.geometry.angles_rad.size())),
      spare_limit(static_cast<std::size_t>(resolve_threads(settings.threads))) {
  if (n <= 0) fail("gridrec: detector width must be positive, got {}", n);
  if (projections == 0) fail("reconstruction needs at least one projection angle");
  if (!(settings.filter_cutoff > 0.0f && settings.filter_cutoff <= 1.0f))
    fail("filter_cutoff = {} is out of range (0, 1]", settings.filter_cutoff);
  choose_sizes();
  tabulate_line_weights(settings.filter, settings.filter_cutoff);
  tabulate_angles(settings.geometry);
  tabulate_kernel();
  tabulate_output(settings.value_scale);
  make_fftw_plans();
}

void GridrecReconstructor::Plan::choose_sizes() {
  radial = fft_length(2 * n, 2);
  grid = fft_length(static_cast<int>(std::ceil(kOversampling * n)), kColumnBlock);
  halo = kKernelWidth / 2 + 1;
  stride = (grid + 2 * halo + 7) / 8 * 8;
  storage_rows = grid + 2 * halo;
  beta = kaiser_bessel_beta(kKernelWidth, static_cast<double>(grid) / n);
  if (grid_values() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail("gridrec: a {} x {} frequency grid (detector width {}) is too large", grid, grid, n);
}

// Weights along a line, per |k| (ω = k/M cycles per pixel). Up to ½ (k = M/2): the direct
// method's ramp and window (ramp_response, with the inverse transform's 1/M) times sinc²(ω), the
// response of its linear interpolation, so that both have the same resolution and noise. Beyond
// ½ the direct method's interpolation also passes the spectrum's first image, Q(ω − 1)·sinc²(ω):
// its ramp is that of M − k. The pixel grid holds it up to the edge of the square band,
// ½/max(|cos θ|, |sin θ|) ≤ ½√2; gridrec keeps it there (without it, sharp edges came out up
// to 0.4 dB worse than the direct method's) and, unlike the direct method, folds nothing back
// from beyond.
void GridrecReconstructor::Plan::tabulate_line_weights(FilterWindow window, float cutoff) {
  const auto ramp = ramp_response(radial, window, cutoff);
  const int last_bin = static_cast<int>(std::ceil(0.5 * std::numbers::sqrt2 * radial));
  for (int k = 0; k <= last_bin; ++k) {
    const int baseband = k <= radial / 2 ? k : radial - k;
    const float nu = static_cast<float>(k) / static_cast<float>(radial);
    line_weight.push_back(ramp[static_cast<std::size_t>(baseband)] * linear_interpolation_response(nu));
    if (line_weight.back() != 0.0f) max_bin = k;
  }
  const double reach = std::min(0.5 * grid, static_cast<double>(max_bin) * grid / radial);
  const int band = static_cast<int>(std::ceil(reach)) + halo;
  first_band_row = std::max(0, grid / 2 - band);
  end_band_row = std::min(grid, grid / 2 + band + 1);
}

// Per projection: its weight, where its line runs on the grid and ends, and the axis phase.
// Sub-pixel geometry is exact through that phase: the image origin (x, y) = (0, 0) of the FFT
// is pixel (r, j) = (⌊N/2⌋, ⌊N/2⌋), which the docs' convention puts at x = ⌊N/2⌋ − N/2,
// y = N/2 − ⌊N/2⌋ (half a pixel off for odd N); the ray through it meets the detector at
// t0 = axis + x cos θ + y sin θ.
void GridrecReconstructor::Plan::tabulate_angles(const ParallelGeometry& geometry) {
  const auto& angles = geometry.angles_rad;
  const auto weights = gridrec_angle_weights(angles);
  const double origin_x = std::floor(0.5 * n) - 0.5 * n, origin_y = -origin_x;
  const double cells_per_bin = static_cast<double>(grid) / radial;
  for (std::size_t p = 0; p < angles.size(); ++p) {
    const double c = std::cos(static_cast<double>(angles[p])), s = std::sin(static_cast<double>(angles[p]));
    angle_weight.push_back(static_cast<float>(weights[p]));
    axis_shift.push_back(static_cast<double>(geometry.axis) + origin_x * c + origin_y * s);
    step_x.push_back(static_cast<float>(cells_per_bin * c));
    step_y.push_back(static_cast<float>(cells_per_bin * s));
    // The line leaves the square band at |k| = (M/2)/max(|cos θ|, |sin θ|): the last bin keeps
    // the part of its width [k − ½, k + ½] inside (½ for θ a multiple of 90°, where the bins
    // at ±M/2 fall on one grid point, the band's two edges being one period apart).
    const double edge = 0.5 * radial / std::max(std::abs(c), std::abs(s));
    const int inside = static_cast<int>(std::floor(edge + 1e-9));
    line_end.push_back(std::min(inside, max_bin));
    end_share.push_back(inside <= max_bin ? static_cast<float>(std::min(1.0, edge - inside + 0.5)) : 1.0f);
  }
}

void GridrecReconstructor::Plan::tabulate_kernel() {
  kernel_table.resize(static_cast<std::size_t>(kTableResolution) * kKernelWidth);
  for (int q = 0; q < kTableResolution; ++q) {
    const double f = (q + 0.5) / kTableResolution;  // centre of the sub-cell bin
    for (int i = 0; i < kKernelWidth; ++i)
      kernel_table[static_cast<std::size_t>(q * kKernelWidth + i)] =
          static_cast<float>(kaiser_bessel(f - 0.5 * kKernelWidth + i, kKernelWidth, beta));
  }
  for (const float value : kernel_table) kernel_pairs.insert(kernel_pairs.end(), {value, value});
}

void GridrecReconstructor::Plan::tabulate_output(float value_scale) {
  const int centre = n / 2;
  const auto deapodise = [&](int position) {
    const double sign = position % 2 == 0 ? 1.0 : -1.0;  // the grid's origin sits at index G/2
    return sign / kaiser_bessel_transform(static_cast<double>(position) / grid, kKernelWidth, beta);
  };
  for (int j = 0; j < n; ++j) column_factor.push_back(static_cast<float>(value_scale * deapodise(j - centre)));
  for (int r = 0; r < n; ++r) {
    const int y = centre - r;
    row_factor.push_back(static_cast<float>(deapodise(y)));
    row_source.push_back((y + grid) % grid);
  }
  // Image columns x = j − ⌊N/2⌋ sit at FFT columns x mod G: [0, N − ⌊N/2⌋) and [G − ⌊N/2⌋, G).
  for (const auto& [first, end] : {std::pair{0, n - centre}, std::pair{grid - centre, grid}})
    for (int c = first / kColumnBlock * kColumnBlock; c < end; c += kColumnBlock)
      if (column_blocks.empty() || column_blocks.back() < c) column_blocks.push_back(c);
}

void GridrecReconstructor::Plan::make_fftw_plans() {
  // FFTW_MEASURE measured no faster here (25 ms a slice either way at N = 2048) and would make
  // results depend on timing; FFTW_ESTIMATE never touches the buffers.
  constexpr unsigned flags = FFTW_ESTIMATE;
  // Planning buffers laid out like the work buffers: the new-array execute functions need the
  // alignment the plans were made for.
  auto radial_buffer = fftw::alloc_complex(static_cast<std::size_t>(radial));
  auto values = alloc_grid(grid_values());
  auto columns = fftw::alloc_complex(static_cast<std::size_t>(grid) * kColumnBlock);
  fftwf_complex* rows = block(values.get());
  std::lock_guard lock(fftw::planner_mutex());
  radial_forward.reset(fftwf_plan_dft_1d(radial, radial_buffer.get(), radial_buffer.get(), FFTW_FORWARD, flags));
  rows_backward.reset(fftwf_plan_many_dft(1, &grid, 1, rows, nullptr, 1, grid, rows, nullptr, 1, grid,
                                          FFTW_BACKWARD, flags));
  columns_backward.reset(fftwf_plan_many_dft(1, &grid, kColumnBlock, rows, nullptr, stride, 1, columns.get(),
                                             nullptr, kColumnBlock, 1, FFTW_BACKWARD, flags));
  if (!radial_forward || !rows_backward || !columns_backward)
    fail("FFTW could not plan the gridrec transforms ({} radial, {} × {} grid)", radial, grid, grid);
}

// e^{2πik·t0/M} for bins k = 0..K: t0 is where the ray through the image origin meets the
// detector (FFTW's index 0 is column 0), so this phase moves the sub-pixel rotation axis,
// exactly, to the transform's centre. Built as e^{iα·64i}·e^{iαj} for k = 64i + j from two
// short recurrences in double (64 steps of rounding stay far below float precision).
void GridrecReconstructor::Plan::axis_phase(int projection, LineScratch& scratch) const {
  const double alpha = 2.0 * std::numbers::pi * axis_shift[static_cast<std::size_t>(projection)] / radial;
  const std::complex<double> fine_step = std::polar(1.0, alpha), coarse_step = std::polar(1.0, alpha * kPhaseSplit);
  std::array<Complex, kPhaseSplit> fine;
  std::complex<double> phase = 1.0;
  for (auto& value : fine) value = Complex(phase), phase *= fine_step;
  const std::size_t bins = static_cast<std::size_t>(line_end[static_cast<std::size_t>(projection)]) + 1;
  phase = 1.0;
  for (std::size_t first = 0; first < bins; first += kPhaseSplit, phase *= coarse_step) {
    const Complex coarse(phase);
    const std::size_t end = std::min(bins, first + kPhaseSplit);
    for (std::size_t k = first; k < end; ++k) scratch.phase[k] = multiply(fine[k - first], coarse);
  }
}

// Zero-pads one projection row of the pair (a real, b imaginary) and transforms it.
void GridrecReconstructor::Plan::transform_projection(const SlicePair& pair, int projection,
                                                      fftwf_complex* radial_buffer) const {
  Complex* bins = as_complex(radial_buffer);
  const std::size_t columns = static_cast<std::size_t>(n);
  const std::size_t row = static_cast<std::size_t>(projection) * columns;
  for (std::size_t c = 0; c < columns; ++c)
    bins[c] = {pair.sinogram_a[row + c], pair.sinogram_b ? pair.sinogram_b[row + c] : 0.0f};
  std::fill(bins + columns, bins + radial, Complex{});  // zero padding
  fftwf_execute_dft(radial_forward.get(), radial_buffer, radial_buffer);
}

// The values of bins k = −K..K of the line (at [K + k]): the spectrum (FFTW's index k mod M,
// so bins past M/2 read the periodic spectrum's first image) times line_weight, the angle's
// share of the half circle and the axis phase e^{2πik·t0/M}. Both halves run forwards through
// memory (the negative one from FFTW's index M − K up), as floats, so that they vectorise.
void GridrecReconstructor::Plan::weigh_line(int projection, const fftwf_complex* spectrum,
                                            LineScratch& scratch) const {
  const std::size_t p = static_cast<std::size_t>(projection);
  const std::size_t last = static_cast<std::size_t>(line_end[p]), m = static_cast<std::size_t>(radial);
  axis_phase(projection, scratch);
  const float share = angle_weight[p];
  const float* __restrict weight = line_weight.data();
  const float* __restrict phase = reinterpret_cast<const float*>(scratch.phase.data());
  const float* __restrict positive = reinterpret_cast<const float*>(spectrum);
  const float* __restrict negative = reinterpret_cast<const float*>(spectrum + (m - last));
  float* __restrict line = reinterpret_cast<float*>(scratch.line.data());
  // k = −K + i: phase e^{−iαK}·e^{iαi}, weight of |k| = K − i.
  const Complex start = std::conj(scratch.phase[last]);
  for (std::size_t i = 0; i < last; ++i) {
    const float w = weight[last - i] * share;
    const float pr = start.real() * phase[2 * i] - start.imag() * phase[2 * i + 1];
    const float pi = start.real() * phase[2 * i + 1] + start.imag() * phase[2 * i];
    const float wr = pr * w, wi = pi * w;
    line[2 * i] = negative[2 * i] * wr - negative[2 * i + 1] * wi;
    line[2 * i + 1] = negative[2 * i] * wi + negative[2 * i + 1] * wr;
  }
  float* __restrict upper = line + 2 * last;
  for (std::size_t k = 0; k <= last; ++k) {
    const float w = weight[k] * share;
    const float wr = phase[2 * k] * w, wi = phase[2 * k + 1] * w;
    upper[2 * k] = positive[2 * k] * wr - positive[2 * k + 1] * wi;
    upper[2 * k + 1] = positive[2 * k] * wi + positive[2 * k + 1] * wr;
  }
  scratch.line[0] *= end_share[p];
  scratch.line[2 * last] *= end_share[p];
}

// Where each bin of the line lands on the grid: bin k at κ = k·(G/M)·(cos θ, sin θ); its
// footprint starts at ⌈κ − W/2⌉, and the kernel table row is that point's sub-cell offset.
void GridrecReconstructor::Plan::place_line(int projection, LineScratch& scratch) const {
  const std::size_t p = static_cast<std::size_t>(projection);
  const int last = line_end[p];
  const float sx = step_x[p], sy = step_y[p];
  constexpr float half_width = 0.5f * kKernelWidth, resolution = kTableResolution;
  const std::size_t count = 2 * static_cast<std::size_t>(last) + 1;
  int* __restrict offset = scratch.offset.data();
  const int row_step = stride;
  int* __restrict table_x = scratch.table_x.data();
  int* __restrict table_y = scratch.table_y.data();
  for (std::size_t i = 0; i < count; ++i) {
    const float k = static_cast<float>(static_cast<int>(i) - last);
    const float left = k * sx - half_width, bottom = k * sy - half_width;
    // ⌈·⌉ from truncation (toward zero) so that the loop vectorises (std::ceil does not).
    const int truncated_x = static_cast<int>(left), truncated_y = static_cast<int>(bottom);
    const int first_x = truncated_x + (static_cast<float>(truncated_x) < left ? 1 : 0);
    const int first_y = truncated_y + (static_cast<float>(truncated_y) < bottom ? 1 : 0);
    offset[i] = first_y * row_step + first_x;
    table_x[i] = std::min(static_cast<int>((static_cast<float>(first_x) - left) * resolution), kTableResolution - 1);
    table_y[i] = std::min(static_cast<int>((static_cast<float>(first_y) - bottom) * resolution), kTableResolution - 1);
  }
}

// Each projection row: transform, weigh, and spread its 2K + 1 bins along the line at θ.
void GridrecReconstructor::Plan::grid_projections(const SlicePair& pair, int first, int end,
                                                  fftwf_complex* radial_buffer, fftwf_complex* values) const {
  fftwf_complex* centre = origin(values);
  LineScratch scratch;
  const std::size_t length = 2 * static_cast<std::size_t>(max_bin) + 1;
  scratch.phase.resize(static_cast<std::size_t>(max_bin) + 1);
  scratch.line.resize(length);
  scratch.offset.resize(length);
  scratch.table_x.resize(length);
  scratch.table_y.resize(length);
  for (int projection = first; projection < end; ++projection) {
    transform_projection(pair, projection, radial_buffer);
    weigh_line(projection, radial_buffer, scratch);
    place_line(projection, scratch);
    const std::size_t count = 2 * static_cast<std::size_t>(line_end[static_cast<std::size_t>(projection)]) + 1;
    for (std::size_t i = 0; i < count; ++i)
      spread(centre, stride, scratch.offset[i], scratch.table_x[i], scratch.table_y[i], scratch.line[i],
             kernel_pairs.data(), kernel_table.data());
  }
}

// Grid points beyond ±G/2 (the halo) are periodic images of points inside: the inverse FFT's
// e^{2πimx/G} has period G in m. Add them in, columns first, then rows.
void GridrecReconstructor::Plan::fold_halo(fftwf_complex* values) const {
  Complex* v = as_complex(values);
  const std::size_t s = static_cast<std::size_t>(stride), h = static_cast<std::size_t>(halo),
                    g = static_cast<std::size_t>(grid);
  for (std::size_t r = 0; r < g + 2 * h; ++r) {
    Complex* row = v + r * s;
    for (std::size_t c = 0; c < h; ++c) row[c + g] += row[c];
    for (std::size_t c = g + h; c < g + 2 * h; ++c) row[c - g] += row[c];
  }
  const auto add_row = [&](std::size_t from, std::size_t to) {
    for (std::size_t c = h; c < g + h; ++c) v[to * s + c] += v[from * s + c];
  };
  for (std::size_t r = 0; r < h; ++r) add_row(r, r + g);
  for (std::size_t r = g + h; r < g + 2 * h; ++r) add_row(r, r - g);
}

// The first pass of the inverse 2-D FFT, along x, in place: the rows [first, end) of the G × G
// block that can hold data (a cut-off below 1 leaves the outer rows empty).
void GridrecReconstructor::Plan::transform_rows(fftwf_complex* values, int first, int end) const {
  fftwf_complex* rows = block(values);
  for (int r = std::max(first, first_band_row); r < std::min(end, end_band_row); ++r) {
    fftwf_complex* row = rows + static_cast<std::size_t>(r) * static_cast<std::size_t>(stride);
    fftwf_execute_dft(rows_backward.get(), row, row);
  }
}

// The second pass of the inverse FFT, a block of kColumnBlock columns at a time into a small
// buffer, and from it the image: only the N columns and N rows of the G × G result that the
// slice needs, divided by the kernel's transform and scaled.
void GridrecReconstructor::Plan::transform_columns(fftwf_complex* values, std::size_t first_block,
                                                   std::size_t end_block, fftwf_complex* column_buffer,
                                                   const SlicePair& pair) const {
  for (std::size_t b = first_block; b < end_block; ++b) {
    fftwf_execute_dft(columns_backward.get(), block(values) + column_blocks[b], column_buffer);
    crop_block(column_buffer, column_blocks[b], pair);
  }
}

// Copies the image pixels of one block of transformed columns (FFT column c is image column
// j = x + ⌊N/2⌋ for x = c, or c − G past G/2), de-apodised and scaled: a in the real part,
// b in the imaginary part.
void GridrecReconstructor::Plan::crop_block(const fftwf_complex* column_buffer, int first_column,
                                            const SlicePair& pair) const {
  const std::size_t columns = static_cast<std::size_t>(n);
  const float* result = reinterpret_cast<const float*>(column_buffer);
  const auto image_column = [&](int c) { return (c < grid / 2 ? c : c - grid) + n / 2; };
  const int first = image_column(first_column), last = image_column(first_column + kColumnBlock - 1);
  if (first >= 0 && last == first + kColumnBlock - 1 && last < n) {
    // The common case, all kColumnBlock columns in the image side by side: vectorised.
    const std::size_t j0 = static_cast<std::size_t>(first);
    for (std::size_t r = 0; r < columns; ++r) {
      const float* source = result + 2 * static_cast<std::size_t>(row_source[r]) * kColumnBlock;
      const float row_scale = row_factor[r];
      float* a = pair.slice_a + r * columns + j0;
      for (std::size_t v = 0; v < kColumnBlock; ++v) a[v] = source[2 * v] * row_scale * column_factor[j0 + v];
      if (!pair.slice_b) continue;
      float* b = pair.slice_b + r * columns + j0;
      for (std::size_t v = 0; v < kColumnBlock; ++v) b[v] = source[2 * v + 1] * row_scale * column_factor[j0 + v];
    }
    return;
  }
  for (int v = 0; v < kColumnBlock; ++v) {
    const int j = image_column(first_column + v);
    if (j < 0 || j >= n) continue;
    const std::size_t at = static_cast<std::size_t>(j);
    for (std::size_t r = 0; r < columns; ++r) {
      const float* source = result + 2 * (static_cast<std::size_t>(row_source[r]) * kColumnBlock + static_cast<std::size_t>(v));
      const float scale = row_factor[r] * column_factor[at];
      pair.slice_a[r * columns + at] = source[0] * scale;
      if (pair.slice_b) pair.slice_b[r * columns + at] = source[1] * scale;
    }
  }
}

Workspace GridrecReconstructor::Plan::take_workspace() const {
  {
    std::lock_guard lock(spare_mutex);
    if (!spare.empty()) {
      Workspace work = std::move(spare.back());
      spare.pop_back();
      return work;
    }
  }
  return {alloc_grid(grid_values()), fftw::alloc_complex(static_cast<std::size_t>(radial)),
          fftw::alloc_complex(static_cast<std::size_t>(grid) * kColumnBlock)};
}

void GridrecReconstructor::Plan::keep_workspace(Workspace work) const {
  std::lock_guard lock(spare_mutex);
  if (spare.size() < spare_limit) spare.push_back(std::move(work));
}

void GridrecReconstructor::Plan::reconstruct_pair(const SlicePair& pair, Workspace& work) const {
  std::memset(work.values.get(), 0, grid_values() * sizeof(fftwf_complex));
  grid_projections(pair, 0, projections, work.radial.get(), work.values.get());
  fold_halo(work.values.get());
  transform_rows(work.values.get(), 0, grid);
  transform_columns(work.values.get(), 0, column_blocks.size(), work.columns.get(), pair);
}

void GridrecReconstructor::Plan::reconstruct_pair_shared(const SlicePair& pair, std::vector<Workspace>& work,
                                                         int threads) const {
  const std::size_t grids = work.size();
  parallel_for(grids, threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t g = begin; g < end; ++g) {
      std::memset(work[g].values.get(), 0, grid_values() * sizeof(fftwf_complex));
      const int first = static_cast<int>(static_cast<std::size_t>(projections) * g / grids);
      const int last = static_cast<int>(static_cast<std::size_t>(projections) * (g + 1) / grids);
      grid_projections(pair, first, last, work[g].radial.get(), work[g].values.get());
    }
  });
  Complex* total = as_complex(work[0].values.get());
  parallel_for(grid_values(), threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t g = 1; g < grids; ++g) {
      const Complex* part = as_complex(work[g].values.get());
      for (std::size_t i = begin; i < end; ++i) total[i] += part[i];
    }
  });
  fold_halo(work[0].values.get());
  parallel_for(static_cast<std::size_t>(grid), threads, [&](std::size_t begin, std::size_t end) {
    transform_rows(work[0].values.get(), static_cast<int>(begin), static_cast<int>(end));
  });
  parallel_for(column_blocks.size(), threads, [&](std::size_t begin, std::size_t end) {
    auto columns = fftw::alloc_complex(static_cast<std::size_t>(grid) * kColumnBlock);
    transform_columns(work[0].values.get(), begin, end, columns.get(), pair);
  });
}

GridrecReconstructor::GridrecReconstructor(FbpSettings settings)
    : settings_(std::move(settings)), plan_(std::make_unique<const Plan>(settings_)) {}

GridrecReconstructor::~GridrecReconstructor() = default;
GridrecReconstructor::GridrecReconstructor(GridrecReconstructor&&) noexcept = default;
GridrecReconstructor& GridrecReconstructor::operator=(GridrecReconstructor&&) noexcept = default;

void GridrecReconstructor::reconstruct(std::span<const float> sinograms, int slices, std::span<float> out) const {
  const Plan& plan = *plan_;
  const std::size_t n = static_cast<std::size_t>(plan.n), projections = static_cast<std::size_t>(plan.projections);
  if (slices < 0) fail("gridrec: slice count must not be negative, got {}", slices);
  const std::size_t count = static_cast<std::size_t>(slices);
  if (sinograms.size() != count * projections * n)
    fail("gridrec: {} values do not make {} slices x {} projections x {} columns", sinograms.size(), slices,
         projections, n);
  if (out.size() != count * n * n)
    fail("gridrec: output holds {} values, not {} slices of {} x {}", out.size(), slices, n, n);
  const auto pair_at = [&](std::size_t index) {
    const std::size_t a = 2 * index, b = a + 1;
    SlicePair pair{sinograms.data() + a * projections * n, nullptr, out.data() + a * n * n, nullptr};
    if (b < count) {
      pair.sinogram_b = sinograms.data() + b * projections * n;
      pair.slice_b = out.data() + b * n * n;
    }
    return pair;
  };
  const int threads = resolve_threads(settings_.threads);
  const std::size_t workers = static_cast<std::size_t>(threads);
  const std::size_t pairs = (count + 1) / 2;
  // Whole rounds of one pair per thread, each thread on its own grid: no sharing at all.
  const std::size_t own_pairs = pairs / workers * workers;
  if (own_pairs > 0)
    parallel_for(own_pairs, threads, [&](std::size_t begin, std::size_t end) {
      Workspace work = plan.take_workspace();
      for (std::size_t i = begin; i < end; ++i) plan.reconstruct_pair(pair_at(i), work);
      plan.keep_workspace(std::move(work));
    });
  if (own_pairs < pairs) {
    std::vector<Workspace> work;
    for (std::size_t g = 0; g < std::min(workers, kMaxSharedGrids); ++g) work.push_back(plan.take_workspace());
    for (std::size_t i = own_pairs; i < pairs; ++i) plan.reconstruct_pair_shared(pair_at(i), work, threads);
    for (auto& done : work) plan.keep_workspace(std::move(done));
  }
  if (settings_.circular_mask) apply_circular_mask(out, plan.n, settings_.mask_ratio);
}

std::int64_t GridrecReconstructor::workspace_bytes() const {
  return static_cast<std::int64_t>(resolve_threads(settings_.threads)) * static_cast<std::int64_t>(plan_->workspace_bytes());
}

int GridrecReconstructor::radial_length() const { return plan_->radial; }
int GridrecReconstructor::grid_size() const { return plan_->grid; }

}  // namespace tomo
