#include "kernels/phantom.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/error.hpp"

namespace tomo {
namespace {

constexpr double kDegree = std::numbers::pi / 180.0;

// Rows are centred on the plane of the phantom's small features and kept inside the slab
// where the skull and the brain are both present (the ellipsoids' poles are at ±0.9).
constexpr double kSlabCentre = -0.25;
constexpr double kSlabHalfHeight = 0.35;

// The ellipse as the quadratic form A dx² + B dx dy + C dy² ≤ 1 (dx, dy from its centre),
// which gives, for one horizontal line, the interval of x it covers.
struct QuadraticForm {
  double A, B, C;
};

QuadraticForm quadratic_form(const Ellipse& e) {
  const double c = std::cos(e.phi), s = std::sin(e.phi);
  const double ia2 = 1.0 / (e.a * e.a), ib2 = 1.0 / (e.b * e.b);
  return {c * c * ia2 + s * s * ib2, 2.0 * c * s * (ia2 - ib2), s * s * ia2 + c * c * ib2};
}

// The x interval [x1, x2] that the ellipse covers on the line y; false when it misses it.
bool span_at_height(const Ellipse& e, const QuadraticForm& q, double y, double& x1, double& x2) {
  const double dy = y - e.y0;
  const double half_b = 0.5 * q.B * dy;
  const double discriminant = half_b * half_b - q.A * (q.C * dy * dy - 1.0);
  if (discriminant < 0.0) return false;
  const double root = std::sqrt(discriminant);
  x1 = e.x0 + (-half_b - root) / q.A;
  x2 = e.x0 + (-half_b + root) / q.A;
  return true;
}

// Half-width α of the ellipse's shadow on the detector at angle θ (its support function).
double shadow_half_width(const Ellipse& e, double theta) {
  const double d = theta - e.phi;
  const double cd = std::cos(d), sd = std::sin(d);
  return std::sqrt(e.a * e.a * cd * cd + e.b * e.b * sd * sd);
}

}  // namespace

std::optional<Ellipse> ellipsoid_section(const Ellipsoid& ellipsoid, double z, double pixels_per_unit,
                                         double mu_per_density) {
  const double h = (z - ellipsoid.z0) / ellipsoid.c;
  if (h * h >= 1.0) return std::nullopt;
  const double shrink = std::sqrt(1.0 - h * h);
  return Ellipse{ellipsoid.x0 * pixels_per_unit,
                 ellipsoid.y0 * pixels_per_unit,
                 ellipsoid.a * shrink * pixels_per_unit,
                 ellipsoid.b * shrink * pixels_per_unit,
                 ellipsoid.phi_deg * kDegree,
                 ellipsoid.density * mu_per_density};
}

double chord_length(const Ellipse& e, double theta, double t) {
  const double alpha = shadow_half_width(e, theta);
  const double s = t - (e.x0 * std::cos(theta) + e.y0 * std::sin(theta));
  const double inside = alpha * alpha - s * s;
  if (inside <= 0.0) return 0.0;
  return 2.0 * e.a * e.b * std::sqrt(inside) / (alpha * alpha);
}

double line_integral(std::span<const Ellipse> slice, double theta, double t) {
  double sum = 0.0;
  for (const Ellipse& e : slice) sum += e.mu * chord_length(e, theta, t);
  return sum;
}

double attenuation_at(std::span<const Ellipse> slice, double x, double y) {
  double mu = 0.0;
  for (const Ellipse& e : slice) {
    const QuadraticForm q = quadratic_form(e);
    const double dx = x - e.x0, dy = y - e.y0;
    if (q.A * dx * dx + q.B * dx * dy + q.C * dy * dy <= 1.0) mu += e.mu;
  }
  return mu;
}

void project_slice(std::span<const Ellipse> slice, double theta, double axis, int subsamples,
                   std::span<double> out) {
  std::fill(out.begin(), out.end(), 0.0);
  const int columns = static_cast<int>(out.size());
  const double cos_theta = std::cos(theta), sin_theta = std::sin(theta);
  // Offsets of the sub-positions from the pixel centre: −1/2 + (q + 1/2)/S.
  std::vector<double> offsets(static_cast<std::size_t>(subsamples));
  for (int q = 0; q < subsamples; ++q) offsets[static_cast<std::size_t>(q)] = -0.5 + (q + 0.5) / subsamples;

  for (const Ellipse& e : slice) {
    const double alpha = shadow_half_width(e, theta);
    const double alpha2 = alpha * alpha;
    const double centre = e.x0 * cos_theta + e.y0 * sin_theta + axis;  // detector column of the centre
    const double weight = e.mu * 2.0 * e.a * e.b / alpha2 / subsamples;
    // Only the columns whose pixel (half a pixel either side of its centre) meets the shadow.
    const int first = std::max(0, static_cast<int>(std::floor(centre - alpha - 0.5)));
    const int last = std::min(columns - 1, static_cast<int>(std::ceil(centre + alpha + 0.5)));
    for (int c = first; c <= last; ++c) {
      double sum = 0.0;
      for (const double offset : offsets) {
        const double s = c + offset - centre;
        const double inside = alpha2 - s * s;
        sum += inside > 0.0 ? std::sqrt(inside) : 0.0;
      }
      out[static_cast<std::size_t>(c)] += weight * sum;
    }
  }
}

void rasterize_slice_row(std::span<const Ellipse> slice, int image_row, int subsamples, std::span<float> out) {
  const int n = static_cast<int>(out.size());
  const int s = subsamples;
  const long sub_columns = static_cast<long>(n) * s;
  // μ is accumulated in double per pixel: each sub-sample that falls inside adds μ/S².
  std::vector<double> sum(static_cast<std::size_t>(n), 0.0);
  for (const Ellipse& e : slice) {
    const QuadraticForm q = quadratic_form(e);
    const double w = e.mu / (static_cast<double>(s) * s);
    for (int qy = 0; qy < s; ++qy) {
      // Pixel row r covers y ∈ [N/2 − r − 1/2, N/2 − r + 1/2]; its sub-rows run top to bottom.
      const double y = 0.5 * n - image_row + 0.5 - (qy + 0.5) / s;
      double x1 = 0, x2 = 0;
      if (!span_at_height(e, q, y, x1, x2)) continue;
      // Sub-column g sits at x = (g + 1/2)/S − 1/2 − N/2; keep those in [x1, x2].
      const long g_first = std::max(0L, static_cast<long>(std::ceil(s * (x1 + 0.5 + 0.5 * n) - 0.5)));
      const long g_last = std::min(sub_columns - 1, static_cast<long>(std::floor(s * (x2 + 0.5 + 0.5 * n) - 0.5)));
      if (g_first > g_last) continue;
      const long j_first = g_first / s, j_last = g_last / s;
      if (j_first == j_last) {
        sum[static_cast<std::size_t>(j_first)] += static_cast<double>(g_last - g_first + 1) * w;
        continue;
      }
      sum[static_cast<std::size_t>(j_first)] += static_cast<double>(s * (j_first + 1) - g_first) * w;
      sum[static_cast<std::size_t>(j_last)] += static_cast<double>(g_last - s * j_last + 1) * w;
      const double full = s * w;  // all S sub-columns of this sub-row are inside
      for (long j = j_first + 1; j < j_last; ++j) sum[static_cast<std::size_t>(j)] += full;
    }
  }
  std::transform(sum.begin(), sum.end(), out.begin(), [](double v) { return static_cast<float>(v); });
}

std::vector<Ellipsoid> shepp_logan_3d() {
  // Kak & Slaney's table (with their errata), densities of Yu, Ye & Wang.
  //        x0      y0       z0      a       b      c      phi   density
  return {
      {0.00, 0.000, 0.000, 0.6900, 0.920, 0.900, 0.0, 1.0},      // skull
      {0.00, 0.000, 0.000, 0.6624, 0.874, 0.880, 0.0, -0.8},     // brain
      {-0.22, 0.000, -0.250, 0.4100, 0.160, 0.210, 108.0, -0.2},  // left ventricle
      {0.22, 0.000, -0.250, 0.3100, 0.110, 0.220, 72.0, -0.2},    // right ventricle
      {0.00, 0.350, -0.250, 0.2100, 0.250, 0.500, 0.0, 0.2},
      {0.00, 0.100, -0.250, 0.0460, 0.046, 0.046, 0.0, 0.2},
      {-0.08, -0.650, -0.250, 0.0460, 0.023, 0.020, 0.0, 0.1},
      {0.06, -0.650, -0.250, 0.0460, 0.023, 0.020, 90.0, 0.1},
      {0.06, -0.105, 0.625, 0.0560, 0.040, 0.100, 90.0, 0.2},
      {0.00, 0.100, 0.625, 0.0560, 0.056, 0.100, 0.0, -0.2},
  };
}

Phantom::Phantom(std::vector<Ellipsoid> ellipsoids, int rows, int columns)
    : ellipsoids_(std::move(ellipsoids)), rows_(rows), columns_(columns) {
  if (rows <= 0 || columns <= 0) fail("phantom needs at least one row and one column, got {} × {}", rows, columns);
  pixels_per_unit_ = fill * 0.5 * columns;
  mu_per_density_ = attenuation_per_unit / pixels_per_unit_;
  dz_ = std::min(1.0 / pixels_per_unit_, 2.0 * kSlabHalfHeight / rows);
}

double Phantom::z_of_row(int row) const { return kSlabCentre + (row + 0.5 - 0.5 * rows_) * dz_; }

std::vector<Ellipse> Phantom::slice(int row) const {
  std::vector<Ellipse> ellipses;
  const double z = z_of_row(row);
  for (const Ellipsoid& e : ellipsoids_) {
    if (auto section = ellipsoid_section(e, z, pixels_per_unit_, mu_per_density_)) ellipses.push_back(*section);
  }
  return ellipses;
}

double Phantom::radius_px() const {
  double radius = 0.0;
  for (const Ellipsoid& e : ellipsoids_) radius = std::max(radius, std::hypot(e.x0, e.y0) + std::max(e.a, e.b));
  return radius * pixels_per_unit_;
}

}  // namespace tomo
