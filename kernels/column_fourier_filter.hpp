#pragma once
// Filters every column of a rows × columns array along the rows (for a sinogram: along the
// rotation angle) with a real, even frequency response: a stripe is the part of a column that
// does not change with angle, so it lives at and near zero frequency of this transform.
// One FFTW plan for all columns, made once; apply() may run on several threads at once.
#include <memory>
#include <span>
#include <vector>

namespace tomo {

// The gains as the filter multiplies the spectrum by them: times 1 / rows, the inverse
// transform's missing normalisation (FFTW's and cuFFT's alike). Throws tomo::Error unless there
// are rows / 2 + 1 of them.
std::vector<float> normalised_column_gains(std::vector<float> gain, int rows);

class ColumnFourierFilter {
 public:
  // `gain` holds rows / 2 + 1 values, for k = 0 .. rows / 2 cycles per `rows` samples; negative
  // frequencies get the gain of their positive twin.
  ColumnFourierFilter(int rows, int columns, std::vector<float> gain);
  ~ColumnFourierFilter();
  ColumnFourierFilter(const ColumnFourierFilter&) = delete;
  ColumnFourierFilter& operator=(const ColumnFourierFilter&) = delete;

  // Filters rows × columns values, row-major, in place.
  void apply(std::span<float> image) const;

  int rows() const { return rows_; }
  int columns() const { return columns_; }

 private:
  struct Plans;
  int rows_;
  int columns_;
  std::vector<float> gain_;  // normalised_column_gains
  std::unique_ptr<Plans> plans_;
};

}  // namespace tomo
