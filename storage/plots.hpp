#pragma once
// Pictures for people: a plot of a metric against a parameter (the centre-of-rotation search)
// and a contact sheet of slices labelled with the parameter each was made with (sweeps), both
// as PNG files drawn with cairo.
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tomo {

struct PlotLabels {
  std::string title;
  std::string x;  // the parameter, with its unit
  std::string y;  // the metric
};

// A line through (x, y) points in increasing x, the point at `marked_x` marked with a vertical
// line, axes annotated with their ranges. Throws tomo::Error when the file cannot be written.
void write_metric_plot(const std::filesystem::path& path, std::span<const std::pair<double, double>> points,
                       double marked_x, const PlotLabels& labels);

// n × n slices side by side, `columns` to a row (0: as square a grid as fits), each drawn in a
// tile of `tile` pixels with its label underneath; grey levels from the 0.5 and 99.5 percentiles
// of all the slices together, so that the tiles compare. Throws tomo::Error when the file
// cannot be written or the sizes do not match.
void write_contact_sheet(const std::filesystem::path& path, const std::vector<std::vector<float>>& slices, int n,
                         const std::vector<std::string>& labels, int tile = 256, int columns = 0);

}  // namespace tomo
