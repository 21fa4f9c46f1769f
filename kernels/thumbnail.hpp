#pragma once
// A small copy of a slice for a gallery of many (a parameter sweep): each thumbnail pixel the
// mean of the slice pixels its square covers, so that noise and fine detail average out rather
// than alias as they would by picking every k-th pixel.
#include <span>
#include <vector>

namespace tomo {

// An n × n image shrunk to size × size (size ≤ n; size = n returns a copy). Source pixels
// partly covered count in proportion to the part covered. tomo::Error for sizes that do not fit.
std::vector<float> thumbnail(std::span<const float> image, int n, int size);

}  // namespace tomo
