#pragma once
// ReconParams (proto/recon_params.proto): defaults, JSON form, and range checks.
#include <cstdint>
#include <string>

#include "recon_params.pb.h"

namespace tomo {

using tomoedge::ReconParams;

// Every field set to its default value.
ReconParams default_params();

// `base` with every field present in `over` taking its value from there; a list of angles in
// `over` replaces the base's whole.
ReconParams merged(ReconParams base, const ReconParams& over);

// The defaults with every field present in `overrides` taking its value from there.
ReconParams with_defaults(const ReconParams& overrides);

// Parses the protobuf JSON form (lowerCamelCase or the .proto's snake_case names). Unknown
// fields are an error; `source` names the file or request in the message.
ReconParams params_from_json(const std::string& json, const std::string& source);

// Pretty JSON with every field present, as `--dump-params` prints it.
std::string params_to_json(const ReconParams& params);

// Throws tomo::Error naming the field, its value and the allowed range of the first bad field.
void validate(const ReconParams& params);

// "8G", "512M", "1.5GiB", "2000000000" → bytes. Throws tomo::Error on anything else.
std::int64_t parse_memory_size(const std::string& text);

// STP's output conversion string into `params`: "linear8:MIN;MAX" → uint8 and "linear16:MIN;MAX"
// → uint16 over [MIN, MAX]; "float32" or "none" → float32. Throws tomo::Error naming the string
// and the allowed forms for anything else.
void apply_output_conversion(const std::string& text, ReconParams& params);

}  // namespace tomo
