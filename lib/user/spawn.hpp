// Spawning a domain from a boot module, entirely at user level: parse the
// ELF image (lib/elf), make the new domain's objects from the caller's RAM
// (a Pml4 and its tables, a root and a task CNode, a dispatcher frame, a
// Dispatcher), copy each segment into fresh Frames mapped with the segment's
// rights, and start the dispatcher. The CPU driver only checks each step.
#pragma once

#include "abi/caps.hpp"
#include "user/vm.hpp"

namespace mk::user {

class Spawner {
public:
    // `self` is the caller's own address space (to read modules and to fill
    // new pages through `scratch_va`), `ram` makes the persistent objects
    // (module mappings), `child_ram` the new domain's objects. `l1_a` and
    // `l1_b` are two free slots of the caller's root CNode, used while the
    // new domain's CNodes are filled.
    Spawner(AddressSpace& self, u64 module_va, u64 scratch_va, u32 l1_a, u32 l1_b)
        : self_(self), module_va_(module_va), scratch_va_(scratch_va), l1_a_(l1_a), l1_b_(l1_b) {}

    // Starts boot module `name` in a new domain on this core with `arg` as
    // domain_main's first argument and, unless kNoCap, `parent` (an Endpoint)
    // in its task CNode. Returns its Dispatcher capability.
    Result<u32> spawn(RamAllocator& child_ram, const char* name, u64 arg, u64 parent);

private:
    struct Module {
        const char* name;
        u64 bytes;
        u64 va;  // where it is mapped read-only in this domain
    };
    Result<Module> map_module(const char* name);
    // Fills `frame` with `bytes` (of `len`, the rest zero) through the scratch mapping.
    Status fill(u32 frame, const u8* bytes, u64 len, u64 offset);

    AddressSpace& self_;
    u64 module_va_, scratch_va_;
    u32 l1_a_, l1_b_;
    Module mapped_[8] = {};
    usize mapped_count_ = 0;
    u64 next_module_va_ = 0;
};

}  // namespace mk::user
