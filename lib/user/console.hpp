// printf-style output for user domains: one call prints one console line,
// prefixed by the CPU driver with the core and the domain's name.
#pragma once

#include "base/types.hpp"

namespace mk::user {

void printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace mk::user
