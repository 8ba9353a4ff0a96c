// A small program that other domains spawn from its boot module (the
// in-guest tests and the spawn benchmark). With an Endpoint to its parent in
// its task CNode it calls it once with its argument and ends; without one it
// says hello.
#include "abi/caps.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/pct.hpp"

using namespace mk;
using namespace mk::user;

extern "C" int domain_main(u64 arg, u64) {
    constexpr u32 kParent = abi::cap_address(abi::kTaskCNode, abi::kTaskParent);
    abi::CapIdentity id{};
    if (identify(kParent, id) == Error::Ok) {
        Message m{{0x4E110, arg, 0, 0, 0, 0, 0}};
        (void)call(kParent, m);
        return 0;
    }
    printf("hello from a spawned domain (argument %lu)", arg);
    return 0;
}
