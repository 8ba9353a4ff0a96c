// Deliberate faults, chosen on the kernel command line (`test-fault=KIND`,
// optionally `fault-core=N`), so the test suite can show that a crash on any
// core is reported and fails the run. Never used otherwise.
#pragma once

#include "base/result.hpp"

namespace mk {

enum class TestFault : u64 { None = 0, InvalidOpcode, PageFault, GeneralProtection, DivideError, Panic };

// Parses the KIND word: ud, pf, gp, de or panic.
Result<TestFault> parse_test_fault(const char* kind);
void trigger_test_fault(TestFault fault);

}  // namespace mk
