// The in-guest test programs' one assertion: count a check, and name it on
// the console when it fails (the harness fails the run on "TEST FAILED").
#pragma once

#include "user/console.hpp"

namespace mk::guest_test {

inline int g_passed = 0, g_failed = 0;

inline void check(bool ok, const char* name) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        user::printf("TEST FAILED: %s", name);
    }
}

}  // namespace mk::guest_test
