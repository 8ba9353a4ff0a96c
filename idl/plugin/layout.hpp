// Sizes, recursion and limits of a FileModel (layout.cpp).
#pragma once

#include "plugin/diagnostics.hpp"
#include "plugin/model.hpp"

namespace urpcgen {

// Fills in max_bytes, max_request and max_reply, reports recursive structs
// and messages above kMaxMessageBytes, and puts named structs in dependency
// order followed by the method messages.
void layout(FileModel& model, Diagnostics& diag);

}  // namespace urpcgen
