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

    // What a new domain gets besides its task CNode. The defaults make the
    // smallest domain (a task CNode only, as the spawn benchmark measures);
    // a full environment is the capability space the CPU driver gives the
    // domains it starts (lib/abi/caps.hpp): RAM, slots and the boot modules.
    struct Options {
        u64 ram_bytes = 0;        // a RAM capability of this size (a power of two) in kRamCNode slot 0
        u64 ram_cap = abi::kNoCap;  // or a copy of this RAM capability there instead
        bool slot_cnodes = false;  // empty L2 CNodes at kSlotCNode and kSlotCNode2
        bool modules = false;      // the boot modules' read-only Frames in kModuleCNode, listed in its frame
        u64 stack_pages = 4;
        bool named = false;        // console lines name it after its module (else after the caller)
        u64 monitor_link = abi::kNoCap;  // a Frame for the child's kTaskMonitorLink (its channel to us)
        bool release_modules = false;    // release_modules() before the child can run (see there)
    };
    // What the caller keeps of a started domain: its Dispatcher (for
    // kDispatcherStatus) and its root CNode (to place capabilities in its space).
    struct Child {
        u32 dispatcher;
        u32 root;
    };

    // Starts boot module `name` in a new domain on this core with `arg` as
    // domain_main's first argument (the second is the core count) and, unless
    // kNoCap, `parent` (an Endpoint) in its task CNode. Returns its Dispatcher capability.
    Result<u32> spawn(RamAllocator& child_ram, const char* name, u64 arg, u64 parent);
    Result<Child> start(RamAllocator& child_ram, const char* name, u64 arg, u64 parent, const Options& options);

    // Unmaps the modules mapped so far and deletes the page Frames cut from
    // them. A module's pages can be cut from it only once per object, so a
    // spawner whose children may load the same module themselves (a program
    // that spawns copies of itself) must let go of its own first.
    void release_modules();

private:
    static constexpr usize kMaxModulePages = 256;
    struct Module {
        const char* name;
        u64 bytes;
        u64 va;  // where it is mapped read-only in this domain
        u32 pages[kMaxModulePages];  // the page Frames cut from it
    };
    Result<Module*> map_module(const char* name);
    // Fills `frame` with `bytes` (of `len`, the rest zero) through the scratch mapping.
    Status fill(u32 frame, const u8* bytes, u64 len, u64 offset);
    // Places `cap` into slot `index` of the child CNode `cnode`, through our slot l1_b_.
    Status place(u32 cnode, u32 index, u32 cap);

    AddressSpace& self_;
    u64 module_va_, scratch_va_;
    u32 l1_a_, l1_b_;
    Module mapped_[8] = {};
    usize mapped_count_ = 0;
    u64 next_module_va_ = 0;
};

}  // namespace mk::user
