#pragma once
// HDF5 failures as tomo::Error: HDF5's own stack dump is silenced (it tells a user nothing our
// message does not), and its innermost reason is added to ours.
#include <hdf5.h>

#include <string>

namespace tomo::h5 {

// While a QuietErrors lives, this thread's automatic error printing is off; the previous setting
// comes back when it goes. Put one at the top of every public entry point that calls HDF5.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t saved_function_ = nullptr;
  void* saved_data_ = nullptr;
  bool saved_ = false;
};

// The innermost message on this thread's HDF5 error stack (the most specific one, e.g.
// "truncated file: eof = 479232, ..."), or "no detail from HDF5". Call it right after the
// failed call: the next HDF5 call clears the stack.
std::string error_detail();

}  // namespace tomo::h5
