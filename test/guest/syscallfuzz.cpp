// A system-call fuzzer, run as a user domain on every core (kernel command
// line word `test`): a bounded number of calls with random numbers and
// arguments drawn from values that probe the edges (null, unmapped, kernel,
// non-canonical, huge lengths). The kernel must answer each with an error or
// a harmless success and survive; afterwards the domain checks that its own
// memory is intact and that the interface still works.
#include "abi/syscalls.hpp"
#include "user/console.hpp"
#include "user/syscall.hpp"

using namespace mk;
using namespace mk::user;

namespace {

u64 g_state;
u64 next_random() {  // xorshift64*
    g_state ^= g_state >> 12;
    g_state ^= g_state << 25;
    g_state ^= g_state >> 27;
    return g_state * 2685821657736338717ull;
}

u8 g_canary[4096];
// Calls that write results into memory (identify) may write here, a valid
// user buffer offered among the arguments; never into the canary.
alignas(64) u8 g_scratch[256];

u64 checksum() {
    u64 h = 1469598103934665603ull;
    for (u8 b : g_canary) h = (h ^ b) * 1099511628211ull;
    return h;
}

u64 pick_argument() {
    static const u64 edges[] = {0,
                                1,
                                0x1000,
                                0x10000000,
                                0x00007FFFFFFFF000,
                                0x00007FFFFFFFFFFF,
                                0x0000800000000000,
                                0x8000000000000000,
                                0xFFFF800000000000,
                                0xFFFFFFFF80100000,
                                ~0ull,
                                reinterpret_cast<u64>(g_scratch)};
    u64 r = next_random();
    if (r % 4 == 0) return next_random();
    return edges[r % (sizeof edges / sizeof edges[0])];
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    constexpr int kCalls = 20000;
    g_state = 0x9E3779B97F4A7C15ull ^ (u64{core} << 32) ^ 0x5EED;
    for (u64 i = 0; i < sizeof g_canary; ++i) g_canary[i] = static_cast<u8>(i * 7);
    u64 before = checksum();
    int ok = 0, errors = 0;
    for (int i = 0; i < kCalls; ++i) {
        u64 number = next_random() % 9;  // every call there is (kSysInvoke = 7) and one past the end
        if (number == abi::kSysExit) continue;  // ending ourselves is not the point
        if (number == abi::kSysPrint && next_random() % 64 != 0) number = 0;  // keep the console readable
        u64 a0 = pick_argument(), a1 = pick_argument();
        if (number == abi::kSysPrint) a1 %= 4;  // the rare print that succeeds stays short
        SyscallResult r = syscall(number, a0, a1, pick_argument());
        if (r.error == Error::Ok) ++ok;
        else ++errors;
    }
    bool intact = checksum() == before;
    SyscallResult info = syscall(abi::kSysCoreInfo);
    bool works = info.error == Error::Ok && (info.value & 0xFFFFFFFF) == core && (info.value >> 32) == cores;
    printf("FUZZ core=%u calls=%d ok=%d errors=%d memory=%s interface=%s", core, kCalls, ok, errors,
           intact ? "intact" : "CORRUPTED", works ? "working" : "BROKEN");
    return intact && works ? 0 : 1;
}
