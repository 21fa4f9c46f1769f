#include "kernels/dynamic_flat_field.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {

FlatGramMatrix::FlatGramMatrix(int flats)
    : flats_(flats), gram_(static_cast<std::size_t>(flats) * static_cast<std::size_t>(flats), 0.0),
      sums_(static_cast<std::size_t>(flats), 0.0) {}

void FlatGramMatrix::add(std::span<const float> flats, std::span<const float> dark, int rows, int columns) {
  const std::size_t j_count = static_cast<std::size_t>(flats_), n = static_cast<std::size_t>(columns);
  if (flats.size() != static_cast<std::size_t>(rows) * j_count * n || dark.size() != static_cast<std::size_t>(rows) * n)
    fail("dynamic flat field: {} flat values and {} dark values do not make {} rows x {} flats x {} columns", flats.size(),
         dark.size(), rows, flats_, columns);
  // Raw products; the mean is removed at the end: ⟨f_i − f̄, f_j − f̄⟩ = Σ f_i f_j − S_i S_j / pixels
  // (in double, with per-row sums, which keeps the cancellation harmless at these sizes).
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    const float* block = flats.data() + r * j_count * n;
    const float* d = dark.data() + r * n;
    for (std::size_t i = 0; i < j_count; ++i)
      for (std::size_t j = i; j < j_count; ++j) {
        double sum = 0;
        for (std::size_t c = 0; c < n; ++c) sum += double(block[i * n + c] - d[c]) * double(block[j * n + c] - d[c]);
        gram_[i * j_count + j] += sum;
      }
    for (std::size_t i = 0; i < j_count; ++i)
      for (std::size_t c = 0; c < n; ++c) sums_[i] += block[i * n + c] - d[c];
  }
  pixels_ += static_cast<double>(rows) * static_cast<double>(columns);
}

EigenFlatBasis FlatGramMatrix::basis(int components) const {
  if (flats_ < 2) fail("dynamic flat fielding needs at least 2 flats, the scan has {}", flats_);
  if (pixels_ == 0) fail("dynamic flat field: no flats were added");
  const int j_count = flats_;
  // Deviations from the mean flat: G_ij = Σ (f_i − f̄)(f_j − f̄), f̄ = (1/J) Σ f_j.
  Eigen::MatrixXd raw(j_count, j_count);
  for (int i = 0; i < j_count; ++i)
    for (int j = i; j < j_count; ++j)
      raw(i, j) = raw(j, i) = gram_[static_cast<std::size_t>(i * j_count + j)];
  Eigen::VectorXd sums(j_count);
  for (int i = 0; i < j_count; ++i) sums(i) = sums_[static_cast<std::size_t>(i)];
  const Eigen::MatrixXd centring = Eigen::MatrixXd::Identity(j_count, j_count) - Eigen::MatrixXd::Constant(j_count, j_count, 1.0 / j_count);
  const Eigen::MatrixXd gram = centring * raw * centring;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram);
  if (solver.info() != Eigen::Success) fail("dynamic flat field: the flats' principal components did not converge");
  const Eigen::VectorXd values = solver.eigenvalues();  // increasing
  const double total = std::max(values.sum(), 1e-300);
  EigenFlatBasis basis;
  basis.flats = j_count;
  // The flats span at most J − 1 directions about their mean; components carrying less than a
  // millionth of the variance are rounding.
  for (int k = j_count - 1; k >= 0 && basis.components < components; --k) {
    if (values(k) <= 1e-6 * total) break;
    ++basis.components;
  }
  basis.coefficients.assign(static_cast<std::size_t>(j_count * basis.components), 0.0);
  for (int k = 0; k < basis.components; ++k) {
    const int column = j_count - 1 - k;
    // u_k = (F − f̄) v_k / √J: the flats' weights on it are √J v_jk, of unit spread.
    const Eigen::VectorXd v = centring * solver.eigenvectors().col(column) / std::sqrt(static_cast<double>(j_count));
    for (int j = 0; j < j_count; ++j) basis.coefficients[static_cast<std::size_t>(j * basis.components + k)] = v(j);
    basis.variance_share.push_back(values(column) / total);
  }
  return basis;
}

EigenFlats eigen_flats(const EigenFlatBasis& basis, std::span<const float> flats, std::span<const float> dark, int rows,
                       int columns) {
  const std::size_t j_count = static_cast<std::size_t>(basis.flats), n = static_cast<std::size_t>(columns);
  const std::size_t k_count = static_cast<std::size_t>(basis.components), pixels = static_cast<std::size_t>(rows) * n;
  if (flats.size() != pixels * j_count || dark.size() != pixels)
    fail("dynamic flat field: {} flat values do not make {} rows x {} flats x {} columns", flats.size(), rows, basis.flats,
         columns);
  EigenFlats out{rows, columns, basis.components, std::vector<float>(pixels, 0.0f), std::vector<float>(k_count * pixels, 0.0f)};
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
    for (std::size_t c = 0; c < n; ++c) {
      double mean = 0;
      for (std::size_t j = 0; j < j_count; ++j) mean += flats[(r * j_count + j) * n + c] - dark[r * n + c];
      mean /= static_cast<double>(j_count);
      out.mean[r * n + c] = static_cast<float>(mean);
      for (std::size_t k = 0; k < k_count; ++k) {
        double value = 0;
        for (std::size_t j = 0; j < j_count; ++j)
          value += basis.coefficients[j * k_count + k] * (flats[(r * j_count + j) * n + c] - dark[r * n + c] - mean);
        out.basis[(k * static_cast<std::size_t>(rows) + r) * n + c] = static_cast<float>(value);
      }
    }
  return out;
}

namespace {

// Columns averaged in groups of this many before the search.
constexpr std::size_t kColumnGroup = 4;

// Averages each run of kColumnGroup values of every line of `lines` (lines × n): lines × n/4.
std::vector<double> group_columns(const float* values, std::size_t lines, std::size_t n, std::size_t line_stride) {
  const std::size_t m = n / kColumnGroup;
  std::vector<double> out(lines * m);
  for (std::size_t l = 0; l < lines; ++l)
    for (std::size_t g = 0; g < m; ++g) {
      double sum = 0;
      for (std::size_t i = 0; i < kColumnGroup; ++i) sum += values[l * line_stride + g * kColumnGroup + i];
      out[l * m + g] = sum / kColumnGroup;
    }
  return out;
}

// Golden-section search for the minimum of f on [low, high] (f unimodal there, or nearly).
template <class F>
double golden_minimum(F f, double low, double high, int steps) {
  const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
  double a = low, b = high, x1 = b - ratio * (b - a), x2 = a + ratio * (b - a), f1 = f(x1), f2 = f(x2);
  for (int i = 0; i < steps; ++i) {
    if (f1 < f2) b = x2, x2 = x1, f2 = f1, x1 = b - ratio * (b - a), f1 = f(x1);
    else a = x1, x1 = x2, f1 = f2, x2 = a + ratio * (b - a), f2 = f(x2);
  }
  return 0.5 * (a + b);
}

}  // namespace

std::vector<float> dynamic_flat_weights(std::span<const float> raw, std::span<const float> dark, const EigenFlats& flats,
                                        int projections, int threads) {
  const std::size_t n = static_cast<std::size_t>(flats.columns), rows = static_cast<std::size_t>(flats.rows);
  const std::size_t p = static_cast<std::size_t>(projections), k_count = static_cast<std::size_t>(flats.components);
  if (raw.size() != rows * p * n || dark.size() != rows * n)
    fail("dynamic flat field: {} values do not make {} rows x {} projections x {} columns", raw.size(), rows, projections, n);
  if (n < 2 * kColumnGroup) fail("dynamic flat field: {} columns are too few", n);
  const std::size_t m = n / kColumnGroup;
  const auto mean = group_columns(flats.mean.data(), rows, n, n);
  const auto basis = group_columns(flats.basis.data(), k_count * rows, n, n);
  const auto dark_grouped = group_columns(dark.data(), rows, n, n);
  std::vector<float> weights(p * k_count, 0.0f);
  parallel_for(p, threads, [&](std::size_t begin, std::size_t end) {
    std::vector<double> signal(rows * m), flat(rows * m);
    for (std::size_t projection = begin; projection < end; ++projection) {
      // This projection's rows, dark subtracted and grouped like the flats.
      const auto counts = group_columns(raw.data() + projection * n, rows, n, p * n);
      for (std::size_t i = 0; i < rows * m; ++i) signal[i] = counts[i] - dark_grouped[i];
      std::vector<double> w(k_count, 0.0);
      // Total variation along the rows of signal / (f̄ + Σ w_k u_k), for the weights w.
      const auto variation = [&](const std::vector<double>& trial) {
        for (std::size_t i = 0; i < rows * m; ++i) {
          double f = mean[i];
          for (std::size_t k = 0; k < k_count; ++k) f += trial[k] * basis[k * rows * m + i];
          flat[i] = f;
        }
        double tv = 0;
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t g = 0; g + 1 < m; ++g) {
            const std::size_t i = r * m + g;
            if (flat[i] <= 0 || flat[i + 1] <= 0) return 1e300;  // a flat that cannot be: never the answer
            tv += std::abs(signal[i + 1] / flat[i + 1] - signal[i] / flat[i]);
          }
        return tv;
      };
      // Coordinate descent, narrowing: the flats' own weights spread by 1 in these units, a
      // projection between them lies within a few of that.
      for (const double reach : {6.0, 1.5, 0.4})
        for (std::size_t k = 0; k < k_count; ++k) {
          const double centre = w[k];
          w[k] = golden_minimum(
              [&](double x) {
                auto trial = w;
                trial[k] = x;
                return variation(trial);
              },
              centre - reach, centre + reach, 20);
        }
      for (std::size_t k = 0; k < k_count; ++k) weights[projection * k_count + k] = static_cast<float>(w[k]);
    }
  });
  return weights;
}

}  // namespace tomo
