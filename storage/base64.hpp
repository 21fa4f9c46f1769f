#pragma once
// Base64 (RFC 4648, with padding): how a PNG travels inside JSON as a data URL. Written here
// rather than linking OpenSSL (whose EVP_EncodeBlock does the same) for these few lines: nothing
// else in the build links OpenSSL.
#include <span>
#include <string>

namespace tomo {

std::string base64(std::span<const unsigned char> bytes);

}  // namespace tomo
