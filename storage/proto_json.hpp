#pragma once
// Protobuf's JSON mapping as tomoedge writes and reads it, for parameters, job records and API
// bodies alike: the .proto's field names (both spellings read), every field printed, and an
// unknown field an error rather than silently dropped.
#include <string>

namespace google::protobuf {
class Message;
}

namespace tomo {

std::string message_to_json(const google::protobuf::Message& message, bool pretty = false);

// Parses `json` into `message`; tomo::Error "WHAT: the parser's complaint" when it is malformed,
// has an unknown field or a wrong type.
void message_from_json(const std::string& json, google::protobuf::Message& message, const std::string& what);

}  // namespace tomo
