// Placeholder: the layout detection and readers land in this session.
#include "storage/scan_reader.hpp"
