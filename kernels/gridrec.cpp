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
#include "kernels/gridrec_tables.hpp"
#include "kernels/parallel.hpp"
#include "kernels/ramp_filter.hpp"

namespace tomo {
namespace {

// The axis phase of bin k is e^{iαk} = e^{iα·64⌊k/64⌋} · e^{iα(k mod 64)} (see axis_phase).
constexpr int kPhaseSplit = 64;

using Complex = std::complex<float>;

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

// Everything that depends on the geometry and filter only: sizes, tables and FFTW plans.
struct GridrecReconstructor::Plan : GridrecTables {
  fftw::Plan radial_forward, rows_backward, columns_backward;

  explicit Plan(const FbpSettings& settings)
      : GridrecTables(settings), spare_limit(static_cast<std::size_t>(resolve_threads(settings.threads))) {
    make_fftw_plans();
  }

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
  void make_fftw_plans();
};

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
  const std::size_t count = 2 * static_cast<std::size_t>(last) + 1;
  int* __restrict offset = scratch.offset.data();
  const int row_step = stride;
  int* __restrict table_x = scratch.table_x.data();
  int* __restrict table_y = scratch.table_y.data();
  for (std::size_t i = 0; i < count; ++i) {
    const auto at = grid_footprint(static_cast<float>(static_cast<int>(i) - last), sx, sy, kKernelWidth, kTableResolution);
    offset[i] = at.first_y * row_step + at.first_x;
    table_x[i] = at.table_x;
    table_y[i] = at.table_y;
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

MemoryNeed GridrecReconstructor::memory_need() const {
  const std::int64_t threads = resolve_threads(settings_.threads);
  return {"gridrec workspaces", threads * static_cast<std::int64_t>(plan_->workspace_bytes()), 0};
}

int GridrecReconstructor::radial_length() const { return plan_->radial; }
int GridrecReconstructor::grid_size() const { return plan_->grid; }
const GridrecTables& GridrecReconstructor::tables() const { return *plan_; }

}  // namespace tomo
