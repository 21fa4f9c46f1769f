#pragma once
// A 3-D phantom made of ellipsoids whose attenuation is known exactly, and its analytic
// parallel-beam line integrals: the ground truth that simulated scans are made from and that
// reconstructions are checked against.
//
// Geometry (shared with the backprojector, see kernels/backprojection_math.hpp), in detector
// pixels: slice pixel (r, j) of an N × N slice sits at x = j − N/2, y = N/2 − r; the projection
// at angle θ integrates along the lines x cos θ + y sin θ = t, and detector column c (0-based,
// centre at c) sees t = c − axis with axis = N/2 + centre-of-rotation offset. Attenuation μ is
// per pixel, so a line integral ∫ μ ds (s in pixels) is dimensionless.
#include <optional>
#include <span>
#include <vector>

namespace tomo {

// One ellipsoid in phantom units (the phantom fits in the unit ball about the rotation axis).
struct Ellipsoid {
  double x0 = 0, y0 = 0, z0 = 0;  // centre
  double a = 0, b = 0, c = 0;     // semi-axes: a and b in the x-y plane, c along z
  double phi_deg = 0;             // rotation about z of the a-axis, counter-clockwise from +x
  double density = 0;             // added to the attenuation wherever ellipsoids overlap
};

// One ellipse of a slice, in pixel units, with its attenuation per pixel.
struct Ellipse {
  double x0 = 0, y0 = 0;  // centre (slice coordinates x, y above)
  double a = 0, b = 0;    // semi-axes, a along the direction phi
  double phi = 0;         // radians, counter-clockwise from +x
  double mu = 0;          // attenuation per pixel inside
};

// The cross-section of an ellipsoid by the plane z (phantom units): the same centre and angle,
// semi-axes shrunk by √(1 − ((z − z0)/c)²), scaled by `pixels_per_unit`; none when the plane
// misses it. `mu_per_density` turns the ellipsoid's density into attenuation per pixel.
std::optional<Ellipse> ellipsoid_section(const Ellipsoid& ellipsoid, double z, double pixels_per_unit,
                                         double mu_per_density);

// Length (pixels) of the chord that the line x cos θ + y sin θ = t cuts through the ellipse:
// 2ab√(α² − s²)/α² with α² = a²cos²(θ−φ) + b²sin²(θ−φ), s = t − (x0 cos θ + y0 sin θ).
double chord_length(const Ellipse& ellipse, double theta, double t);

// ∫ μ ds along x cos θ + y sin θ = t through all the ellipses of a slice (overlaps add up).
double line_integral(std::span<const Ellipse> slice, double theta, double t);

// μ at the point (x, y) of a slice (pixel units): the sum over the ellipses that hold it.
double attenuation_at(std::span<const Ellipse> slice, double x, double y);

// One projection row of a slice at angle θ: out[c] for the `out.size()` detector columns, each
// the mean of the line integral at `subsamples` evenly spaced positions across the pixel width
// (c − 1/2 + (q + 1/2)/S, q = 0..S−1): a detector pixel integrates over its width, and
// sampling it this way matches the truth's sub-sampling of slice pixels. Only the columns an
// ellipse's shadow covers are visited. Overwrites `out`.
void project_slice(std::span<const Ellipse> slice, double theta, double axis, int subsamples,
                   std::span<double> out);

// Image row r of the N × N truth slice (N = out.size()): each pixel the mean of μ over
// subsamples × subsamples points evenly spaced inside it (the same partial-volume averaging
// as project_slice across the detector pixel). Overwrites `out`.
void rasterize_slice_row(std::span<const Ellipse> slice, int image_row, int subsamples, std::span<float> out);

// The 3-D Shepp–Logan head phantom of Kak & Slaney (Principles of Computerized Tomographic
// Imaging, 1988, p. 102, with its errata) with the higher contrast of Yu, Ye & Wang (SPIE 5535,
// 2004), so that the inner features stand out of the skull; every ellipsoid rotates about z only.
std::vector<Ellipsoid> shepp_logan_3d();

// A phantom placed in the detector frame of a scan of `rows` × `columns` pixels.
//  - In-plane: one phantom unit is 0.85 · N/2 pixels, so the skull (0.92 units at most) leaves
//    a margin of ~22 % of the half-width for a centre-of-rotation offset.
//  - Attenuation: μ (per pixel) = density · attenuation_per_unit / pixels_per_unit, so that the
//    thickest line integral is about 1.8 (transmission ~0.17) whatever N.
//  - Height: detector row k (= slice k) cuts the plane z_k = −0.25 + (k + 1/2 − R/2) · dz, the
//    plane of the phantom's small features; dz is one pixel (cubic voxels) unless that would
//    take the rows beyond z ∈ [−0.6, 0.1], in which case the R rows are spread evenly over it,
//    so that every row cuts through the phantom's main body.
class Phantom {
 public:
  Phantom(std::vector<Ellipsoid> ellipsoids, int rows, int columns);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  double pixels_per_unit() const { return pixels_per_unit_; }
  double mu_per_density() const { return mu_per_density_; }
  std::span<const Ellipsoid> ellipsoids() const { return ellipsoids_; }

  // Height (phantom units) of detector row / slice `row`.
  double z_of_row(int row) const;
  // The ellipses that slice `row` cuts, in pixel units.
  std::vector<Ellipse> slice(int row) const;
  // Radius (pixels) about the rotation axis of a disc that holds every ellipsoid.
  double radius_px() const;

  // Density → line integral through one phantom unit; chosen so that the thickest line
  // integral of shepp_logan_3d() is about 1.8.
  static constexpr double attenuation_per_unit = 3.25;
  // Pixels per phantom unit as a fraction of N/2.
  static constexpr double fill = 0.85;

 private:
  std::vector<Ellipsoid> ellipsoids_;
  int rows_ = 0;
  int columns_ = 0;
  double pixels_per_unit_ = 0;
  double mu_per_density_ = 0;
  double dz_ = 0;
};

}  // namespace tomo
