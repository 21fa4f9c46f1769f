#pragma once
// The one error style of tomoedge: anything a user can get wrong (a file, a dataset, a
// parameter) throws tomo::Error whose message names the thing and what is wrong with it.
// The command line prints the message and exits non-zero; later, the service fails the job
// with it. Programming errors stay assertions.
#include <stdexcept>
#include <string>

// fmt's headers do not compile under nvcc; CUDA sources throw tomo::Error with a built string.
#if !defined(__CUDACC__)
#include <fmt/format.h>
#endif

namespace tomo {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

#if !defined(__CUDACC__)
// fail("dataset {} in {} has shape {}", ...) — throws tomo::Error with the formatted message.
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}
#endif

}  // namespace tomo
