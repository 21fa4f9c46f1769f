#pragma once
// The web app's files (web/), served as they are on disk: GET and HEAD only, a content type by
// extension, and an ETag (size and modification time) so that a browser revalidates cheaply — a
// changed app is seen on the next load, an unchanged one costs a 304. Nothing outside the folder
// is ever served: ".." in any spelling is refused, and symlinks are followed only within it.
#include <filesystem>

#include "gateway/http_types.hpp"

namespace tomo::gateway {

class StaticFiles {
 public:
  // `root` must be a folder; tomo::Error naming it otherwise.
  explicit StaticFiles(const std::filesystem::path& root);

  // "/" is index.html; a path naming a folder is its index.html. 404 for what is not there, 400
  // for a path with "..", 405 for another method.
  HttpResponse serve(const HttpRequest& request) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;  // canonical
};

}  // namespace tomo::gateway
