#include "storage/proto_json.hpp"

#include <google/protobuf/util/json_util.h>

#include "kernels/error.hpp"

namespace tomo {

std::string message_to_json(const google::protobuf::Message& message, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) fail("could not print a {} as JSON: {}", message.GetTypeName(), status.ToString());
  return json;
}

void message_from_json(const std::string& json, google::protobuf::Message& message, const std::string& what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  if (!status.ok()) fail("{}: {}", what, status.ToString());
}

}  // namespace tomo
