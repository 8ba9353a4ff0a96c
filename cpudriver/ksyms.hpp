// The CPU driver's own symbol table, for readable backtraces. The build links
// the kernel twice: the first image's function symbols are turned into a
// table (boot/gen_ksyms.py) that the second link places in .ksyms. Code
// addresses are the same in both links because the table comes after all code.
#pragma once

#include "base/types.hpp"

namespace mk::ksyms {

struct Symbol {
    const char* name;  // nullptr when the address is in no known function
    u64 offset;        // from the start of that function
};

Symbol lookup(u64 address);

// Number of symbols in the table (0 in the first-stage link).
usize count();

}  // namespace mk::ksyms
