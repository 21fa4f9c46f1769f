#pragma once
// Internal to storage/: the progress dataset of a scan written while it is acquired
// (storage/scan_stream_writer.hpp), in one place for the writer and the Data Exchange reader.
//
// /tomoedge/acquisition: int64 [3] = {projections written, projections expected, complete 0/1},
// compact layout (its values live in its object header, which HDF5 treats as metadata: a SWMR
// reader re-reads them on refresh, checksummed). Created before SWMR writing starts; the writer
// rewrites it only after the projections it declares are written and flushed, so a reader that
// reads no projection beyond `written` never reads one the writer has not finished.
#include <cstddef>
#include <cstdint>

#include "storage/hdf5_read.hpp"
#include "storage/scan_reader.hpp"

namespace tomo::acquisition {

inline constexpr const char* kProgressPath = "/tomoedge/acquisition";
// Positions of the values in the progress dataset.
inline constexpr std::size_t kWritten = 0;
inline constexpr std::size_t kExpected = 1;
inline constexpr std::size_t kComplete = 2;
inline constexpr std::size_t kValueCount = 3;

// Reads the progress (refreshing the dataset from the file first when `refresh`, for a file
// opened for SWMR reading) and checks it: 0 <= written <= expected, complete 0 or 1, and
// complete only with written == expected. Throws tomo::Error naming the file and the dataset.
AcquisitionState read_progress(const h5::NamedDataset& progress, bool refresh);

}  // namespace tomo::acquisition
