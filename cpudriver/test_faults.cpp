// See test_faults.hpp.
#include "test_faults.hpp"

#include "base/string.hpp"
#include "traps.hpp"

namespace mk {

Result<TestFault> parse_test_fault(const char* kind) {
    if (str_eq(kind, "ud")) return TestFault::InvalidOpcode;
    if (str_eq(kind, "pf")) return TestFault::PageFault;
    if (str_eq(kind, "gp")) return TestFault::GeneralProtection;
    if (str_eq(kind, "de")) return TestFault::DivideError;
    if (str_eq(kind, "panic")) return TestFault::Panic;
    return Error::InvalidArgument;
}

// noinline: so the backtrace shows this function above its caller.
[[gnu::noinline]] void trigger_test_fault(TestFault fault) {
    switch (fault) {
        case TestFault::None: return;
        case TestFault::InvalidOpcode: asm volatile("ud2"); break;
        case TestFault::PageFault:
            // Nothing is mapped in the lower half of a core's own page table.
            *reinterpret_cast<volatile u64*>(0x40000000ull) = 1;
            break;
        case TestFault::GeneralProtection:
            // A non-canonical address.
            *reinterpret_cast<volatile u64*>(0x8000000000000000ull) = 1;
            break;
        case TestFault::DivideError: {
            volatile u64 zero = 0;
            volatile u64 r = 1 / zero;
            (void)r;
            break;
        }
        case TestFault::Panic: panic("deliberate panic (test-fault=panic)");
    }
    panic("a deliberate fault did not fault");
}

}  // namespace mk
