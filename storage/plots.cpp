#include "storage/plots.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "kernels/error.hpp"
#include "kernels/percentile.hpp"

namespace tomo {
namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

Surface make_surface(int width, int height) {
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    fail("cannot make a {} x {} picture: {}", width, height, cairo_status_to_string(cairo_surface_status(surface.get())));
  return surface;
}

void save(cairo_surface_t* surface, const std::filesystem::path& path) {
  cairo_surface_flush(surface);
  const cairo_status_t status = cairo_surface_write_to_png(surface, path.c_str());
  if (status != CAIRO_STATUS_SUCCESS) fail("cannot write {}: {}", path.string(), cairo_status_to_string(status));
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size, bool centred = false) {
  cairo_set_font_size(cr, size);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, s.c_str(), &extents);
  cairo_move_to(cr, centred ? x - extents.width / 2 - extents.x_bearing : x, y);
  cairo_show_text(cr, s.c_str());
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

}  // namespace

void write_metric_plot(const std::filesystem::path& path, std::span<const std::pair<double, double>> points,
                       double marked_x, const PlotLabels& labels) {
  if (points.size() < 2) fail("{}: a plot needs at least two points, got {}", path.string(), points.size());
  constexpr int width = 720, height = 420, left = 80, right = 20, top = 40, bottom = 60;
  double x_min = points.front().first, x_max = points.back().first, y_min = points.front().second, y_max = y_min;
  for (const auto& [x, y] : points) y_min = std::min(y_min, y), y_max = std::max(y_max, y);
  if (!(x_max > x_min)) x_max = x_min + 1;
  if (!(y_max > y_min)) y_max = y_min + 1;
  const auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * (width - left - right); };
  const auto py = [&](double y) { return height - bottom - (y - y_min) / (y_max - y_min) * (height - top - bottom); };

  const Surface surface = make_surface(width, height);
  const Context context(cairo_create(surface.get()));
  cairo_t* cr = context.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  // Axes and their ranges.
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, left, top, width - left - right, height - top - bottom);
  cairo_stroke(cr);
  text(cr, left, height - bottom + 18, number(x_min), 12, true);
  text(cr, width - right, height - bottom + 18, number(x_max), 12, true);
  text(cr, 4, height - bottom, number(y_min), 12);
  text(cr, 4, top + 10, number(y_max), 12);
  text(cr, (left + width - right) / 2.0, height - 18, labels.x, 14, true);
  text(cr, left, 26, labels.title + (labels.y.empty() ? "" : " — " + labels.y), 15);
  // The chosen value.
  cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
  cairo_move_to(cr, px(marked_x), top);
  cairo_line_to(cr, px(marked_x), height - bottom);
  cairo_stroke(cr);
  text(cr, px(marked_x), top - 4, number(marked_x), 12, true);
  // The metric.
  cairo_set_source_rgb(cr, 0.1, 0.2, 0.7);
  cairo_set_line_width(cr, 2);
  cairo_move_to(cr, px(points.front().first), py(points.front().second));
  for (const auto& [x, y] : points.subspan(1)) cairo_line_to(cr, px(x), py(y));
  cairo_stroke(cr);
  save(surface.get(), path);
}

void write_contact_sheet(const std::filesystem::path& path, const std::vector<std::vector<float>>& slices, int n,
                         const std::vector<std::string>& labels, int tile, int columns) {
  const std::size_t count = slices.size(), pixels = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  if (count == 0 || labels.size() != count) fail("{}: {} slices and {} labels", path.string(), count, labels.size());
  for (const auto& slice : slices)
    if (slice.size() != pixels) fail("{}: a slice of {} values is not {} x {}", path.string(), slice.size(), n, n);
  if (columns <= 0) columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
  const int rows = static_cast<int>((count + static_cast<std::size_t>(columns) - 1) / static_cast<std::size_t>(columns));
  constexpr int label_height = 24;

  std::vector<float> all;
  all.reserve(count * pixels);
  for (const auto& slice : slices) all.insert(all.end(), slice.begin(), slice.end());
  const float low = percentile(all, 0.005), high = percentile(all, 0.995);
  const float range = high > low ? high - low : 1.0f;

  const Surface sheet = make_surface(columns * tile, rows * (tile + label_height));
  const Context context(cairo_create(sheet.get()));
  cairo_t* cr = context.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  for (std::size_t i = 0; i < count; ++i) {
    // The slice as grey levels in an image of its own size, then drawn scaled into its tile.
    const Surface image = make_surface(n, n);
    cairo_surface_flush(image.get());
    unsigned char* data = cairo_image_surface_get_data(image.get());
    const int stride = cairo_image_surface_get_stride(image.get());
    for (int r = 0; r < n; ++r) {
      auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(r) * stride);
      for (int j = 0; j < n; ++j) {
        const float v = (slices[i][static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)] - low) / range;
        const auto grey = static_cast<std::uint32_t>(std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) * 255.0f : 0.0f);
        row[j] = (grey << 16) | (grey << 8) | grey;
      }
    }
    cairo_surface_mark_dirty(image.get());
    const int x = static_cast<int>(i % static_cast<std::size_t>(columns)) * tile;
    const int y = static_cast<int>(i / static_cast<std::size_t>(columns)) * (tile + label_height);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, static_cast<double>(tile) / n, static_cast<double>(tile) / n);
    cairo_set_source_surface(cr, image.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, x + tile / 2.0, y + tile + 17, labels[i], 14, true);
  }
  save(sheet.get(), path);
}

}  // namespace tomo
