#include "storage/acquisition_progress.hpp"

#include <climits>
#include <vector>

namespace tomo::acquisition {

AcquisitionState read_progress(const h5::NamedDataset& progress, bool refresh) {
  h5::QuietErrors quiet;
  if (refresh) progress.refresh();
  const std::vector<double> values = progress.read_doubles();  // int64 counts well below 2^53
  if (values.size() != kValueCount)
    progress.fail("holds {} values; the progress of an acquisition is {{written, expected, complete}}", values.size());
  const double written = values[kWritten], expected = values[kExpected], complete = values[kComplete];
  if (!(expected >= 0 && expected <= INT_MAX && written >= 0 && written <= expected))
    progress.fail("says {} of {} projections written, which cannot be", written, expected);
  if (complete != 0 && complete != 1) progress.fail("has complete = {}, not 0 or 1", complete);
  if (complete == 1 && written != expected)
    progress.fail("is marked complete with {} of {} projections written", written, expected);
  return {.written = static_cast<int>(written), .expected = static_cast<int>(expected), .complete = complete == 1};
}

}  // namespace tomo::acquisition
