// The routes that show what is on disk and what runs it: the data folders (browse), a scan's
// summary, and the workers.
#include "gateway/api_route.hpp"

namespace tomo::gateway {

std::vector<Route> data_routes() { return {}; }

}  // namespace tomo::gateway
