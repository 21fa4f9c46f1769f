#pragma once
// A request the service refuses, with the HTTP status that says why: 400 (bad input), 404 (no
// such job or preset), 409 (not in a state that allows it). The gateway answers it as
// {"error": message} with that status; any other tomo::Error is the service's own failure (500).
#include <string>

#include "kernels/error.hpp"

namespace tomo {

class RequestError : public Error {
 public:
  RequestError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// Runs `work` on what a client sent (a path, parameters, a scan): whatever it finds wrong there
// (a tomo::Error) is the request's fault, a 400 with the same message.
template <class Work>
auto as_request_error(Work&& work) -> decltype(work()) {
  try {
    return work();
  } catch (const RequestError&) {
    throw;
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
}

}  // namespace tomo
