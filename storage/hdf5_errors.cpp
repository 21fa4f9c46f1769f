#include "storage/hdf5_errors.hpp"

#include <spdlog/spdlog.h>

namespace tomo::h5 {
namespace {

herr_t keep_innermost(unsigned position, const H5E_error2_t* error, void* client_data) {
  // Walking upward, position 0 is the innermost frame: the one that saw the problem first.
  if (position == 0 && error->desc != nullptr) *static_cast<std::string*>(client_data) = error->desc;
  return 0;
}

}  // namespace

QuietErrors::QuietErrors() {
  if (H5Eget_auto2(H5E_DEFAULT, &saved_function_, &saved_data_) >= 0) saved_ = true;
  if (H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) < 0) spdlog::debug("could not turn HDF5's error printing off");
}

QuietErrors::~QuietErrors() {
  if (saved_ && H5Eset_auto2(H5E_DEFAULT, saved_function_, saved_data_) < 0)
    spdlog::debug("could not restore HDF5's error printing");
}

std::string error_detail() {
  std::string innermost;
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &innermost) < 0 || innermost.empty())
    return "no detail from HDF5";
  return innermost;
}

}  // namespace tomo::h5
