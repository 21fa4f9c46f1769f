#pragma once
// The one error style of tomoedge: anything a user can get wrong (a file, a dataset, a
// parameter) throws tomo::Error whose message names the thing and what is wrong with it.
// The command line prints the message and exits non-zero; later, the service fails the job
// with it. Programming errors stay assertions.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace tomo {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// fail("dataset {} in {} has shape {}", ...) — throws tomo::Error with the formatted message.
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tomo
