// See console.hpp.
#include "user/console.hpp"

#include <stdarg.h>

#include "base/format.hpp"
#include "user/syscall.hpp"

namespace mk::user {

void printf(const char* fmt, ...) {
    char buf[abi::kMaxPrint];
    va_list ap;
    va_start(ap, fmt);
    usize n = vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    print(buf, n < sizeof buf ? n : sizeof buf - 1);
}

}  // namespace mk::user
