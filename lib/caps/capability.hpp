// Capability values: what a capability names (its type and object), what it
// allows (its rights) and what the cross-core agreement protocol must know
// about it (the remote-relation flags). A Capability is a plain 32-byte value
// stored in slots inside kernel memory; the derivation tree that relates
// capabilities lives in the slot around it (Cte, cte.hpp). Everything here is
// constexpr so the rules can be checked at compile time and from tests.
#pragma once

#include "base/types.hpp"

namespace mk::caps {

// One type per kind of object. The four page-table levels are distinct types
// so a PD can never be installed where a PT is expected.
enum class CapType : u8 {
    Null = 0,    // an empty slot
    Ram,         // untyped physical memory: the only thing objects are made from
    Frame,       // mappable physical memory
    CNode,       // an array of capability slots
    Pml4,        // x86-64 page-table levels, 4 KiB each (Intel SDM vol. 3A, 4.5)
    Pdpt,
    Pd,
    Pt,
    Dispatcher,  // a schedulable user-level domain on this core
    Endpoint,    // a same-core message endpoint; carries a badge
    Io,          // a range of x86 I/O ports
    Irq,         // one interrupt line
    Kernel,      // authority to drive this CPU driver (held by the monitor)
};
inline constexpr u8 kCapTypeCount = 13;

constexpr const char* cap_type_name(CapType t) {
    switch (t) {
        case CapType::Null: return "Null";
        case CapType::Ram: return "Ram";
        case CapType::Frame: return "Frame";
        case CapType::CNode: return "CNode";
        case CapType::Pml4: return "Pml4";
        case CapType::Pdpt: return "Pdpt";
        case CapType::Pd: return "Pd";
        case CapType::Pt: return "Pt";
        case CapType::Dispatcher: return "Dispatcher";
        case CapType::Endpoint: return "Endpoint";
        case CapType::Io: return "Io";
        case CapType::Irq: return "Irq";
        case CapType::Kernel: return "Kernel";
    }
    return "Unknown";
}

// Rights only ever shrink along copies and mints. Grant = may be given to
// another domain (through IPC or to another core).
enum class Rights : u8 { None = 0, Read = 1, Write = 2, Execute = 4, Grant = 8, All = 15 };

constexpr Rights operator|(Rights a, Rights b) { return Rights(u8(a) | u8(b)); }
constexpr Rights operator&(Rights a, Rights b) { return Rights(u8(a) & u8(b)); }
constexpr bool has_rights(Rights have, Rights want) { return (u8(want) & ~u8(have)) == 0; }

// Remote-relation flags: facts about the object on other cores that this
// core cannot check by itself. All local copies of an object carry the same
// flags. They are set by the monitor (through the Kernel capability) and
// read by delete, revoke and retype to say when a local answer is not final.
enum class Remote : u8 { None = 0, Copies = 1, Descendants = 2, Ancestors = 4, All = 7 };

constexpr Remote operator|(Remote a, Remote b) { return Remote(u8(a) | u8(b)); }
constexpr Remote operator&(Remote a, Remote b) { return Remote(u8(a) & u8(b)); }
constexpr bool has_any(Remote flags, Remote which) { return (u8(flags) & u8(which)) != 0; }

// Fixed object sizes. The CPU driver static_asserts that its objects fit.
inline constexpr u64 kPageTableBytes = 4096;
inline constexpr u64 kDispatcherBytes = 1024;
inline constexpr u64 kEndpointBytes = 64;
inline constexpr u64 kCteBytes = 64;
inline constexpr u64 kMaxCNodeSlots = u64(1) << 24;
inline constexpr u64 kIoPortCount = 65536;

struct Capability {
    CapType type = CapType::Null;
    Rights rights = Rights::None;
    Remote remote = Remote::None;
    u8 reserved8 = 0;
    u32 reserved32 = 0;
    PhysAddr base = 0;  // memory-backed types: first byte of the object
    u64 bytes = 0;      // memory-backed types: size of the object
    // Type-specific: Endpoint badge, CNode slot count, IRQ number,
    // I/O port range (first port in bits 0..31, port count in bits 32..63).
    u64 word = 0;

    constexpr bool is_null() const { return type == CapType::Null; }
    constexpr bool operator==(const Capability&) const = default;

    constexpr u64 badge() const { return type == CapType::Endpoint ? word : 0; }
    constexpr u64 slots() const { return type == CapType::CNode ? word : 0; }
    constexpr u64 irq() const { return word; }
    constexpr u64 io_first() const { return word & 0xffffffffu; }
    constexpr u64 io_count() const { return word >> 32; }

    static constexpr Capability memory(CapType t, PhysAddr base, u64 bytes, Rights r) {
        Capability c;
        c.type = t;
        c.rights = r;
        c.base = base;
        c.bytes = bytes;
        if (t == CapType::CNode) c.word = bytes / kCteBytes;
        return c;
    }
    static constexpr Capability ram(PhysAddr base, u64 bytes, Rights r = Rights::All) {
        return memory(CapType::Ram, base, bytes, r);
    }
    static constexpr Capability frame(PhysAddr base, u64 bytes, Rights r = Rights::All) {
        return memory(CapType::Frame, base, bytes, r);
    }
    static constexpr Capability cnode(PhysAddr base, u64 slots, Rights r = Rights::All) {
        return memory(CapType::CNode, base, slots * kCteBytes, r);
    }
    static constexpr Capability io(u64 first, u64 count, Rights r = Rights::All) {
        Capability c;
        c.type = CapType::Io;
        c.rights = r;
        c.word = first | (count << 32);
        return c;
    }
    static constexpr Capability irq_line(u64 number, Rights r = Rights::All) {
        Capability c;
        c.type = CapType::Irq;
        c.rights = r;
        c.word = number;
        return c;
    }
    static constexpr Capability kernel(Rights r = Rights::All) {
        Capability c;
        c.type = CapType::Kernel;
        c.rights = r;
        return c;
    }
};
// Slots are copied and compared as whole cache-line halves; keep it tight.
static_assert(sizeof(Capability) == 32);
static_assert(alignof(Capability) == 8);

constexpr bool is_memory_type(CapType t) {
    return t != CapType::Null && t != CapType::Io && t != CapType::Irq && t != CapType::Kernel;
}

// The "space" an object lives in and its extent there: physical memory for
// memory-backed types, the port space for Io, the interrupt-line space for
// Irq. Overlap and containment are only meaningful within one space.
enum class Space : u8 { None = 0, Memory, IoPorts, IrqLines };

struct Extent {
    Space space = Space::None;
    u64 begin = 0;
    u64 end = 0;  // exclusive
    constexpr u64 length() const { return end - begin; }
};

constexpr Extent extent_of(const Capability& c) {
    if (is_memory_type(c.type)) return {Space::Memory, c.base, c.base + c.bytes};
    if (c.type == CapType::Io) return {Space::IoPorts, c.io_first(), c.io_first() + c.io_count()};
    if (c.type == CapType::Irq) return {Space::IrqLines, c.irq(), c.irq() + 1};
    return {};
}

constexpr bool overlaps(const Extent& a, const Extent& b) {
    return a.space == b.space && a.space != Space::None && a.begin < b.end && b.begin < a.end;
}

constexpr bool contains(const Extent& outer, const Extent& inner) {
    return outer.space == inner.space && outer.begin <= inner.begin && inner.end <= outer.end;
}

// Copies name the same object: equal type and extent. Rights, remote flags
// and the Endpoint badge are properties of one capability, not of the object.
constexpr bool same_object(const Capability& a, const Capability& b) {
    if (a.type != b.type || a.base != b.base || a.bytes != b.bytes) return false;
    return a.type == CapType::Endpoint || a.word == b.word;
}

// The retype rule: RAM is the source of every memory object; Frames and I/O
// port ranges may be cut into smaller pieces of their own type.
constexpr bool can_retype(CapType from, CapType to) {
    switch (from) {
        case CapType::Ram:
            return to == CapType::Ram || to == CapType::Frame || to == CapType::CNode ||
                   to == CapType::Pml4 || to == CapType::Pdpt || to == CapType::Pd ||
                   to == CapType::Pt || to == CapType::Dispatcher || to == CapType::Endpoint;
        case CapType::Frame: return to == CapType::Frame;
        case CapType::Io: return to == CapType::Io;
        default: return false;
    }
}

// Objects of these types live in this core's kernel memory and are used by
// its CPU driver only; since cores share no mutable kernel state they are
// never copied to another core.
constexpr bool is_core_local_type(CapType t) {
    return t == CapType::CNode || t == CapType::Dispatcher || t == CapType::Endpoint ||
           t == CapType::Kernel;
}

// The size (bytes, or ports for Io) a retyped object of type `t` may have.
// Every retyped object is a power of two and naturally aligned, which bounds
// the derivation depth (see docs/capabilities.md, "Costs").
constexpr bool valid_object_size(CapType t, u64 size) {
    if (size == 0 || (size & (size - 1)) != 0) return false;
    switch (t) {
        case CapType::Ram:
        case CapType::Frame: return size >= kPageSize;
        case CapType::CNode: return size >= kCteBytes && size <= kMaxCNodeSlots * kCteBytes;
        case CapType::Pml4:
        case CapType::Pdpt:
        case CapType::Pd:
        case CapType::Pt: return size == kPageTableBytes;
        case CapType::Dispatcher: return size == kDispatcherBytes;
        case CapType::Endpoint: return size == kEndpointBytes;
        case CapType::Io: return size <= kIoPortCount;
        default: return false;
    }
}

// Whether a capability value is well formed: the checks create_root applies
// to capabilities made by the boot code or received from another core, and
// the invariant checker applies to every capability in the tree.
constexpr bool well_formed(const Capability& c) {
    if (c.reserved8 != 0 || c.reserved32 != 0 || u8(c.rights) > u8(Rights::All) ||
        u8(c.remote) > u8(Remote::All))
        return false;
    if (has_any(c.remote, Remote::Copies) && is_core_local_type(c.type)) return false;
    const bool memory = is_memory_type(c.type);
    if (!memory && (c.base != 0 || c.bytes != 0)) return false;
    if (memory && (c.bytes == 0 || c.base + c.bytes < c.base)) return false;
    switch (c.type) {
        case CapType::Null: return false;
        case CapType::Ram:
        case CapType::Frame:
            return c.word == 0 && is_aligned(c.base, kPageSize) && is_aligned(c.bytes, kPageSize);
        case CapType::CNode:
            return is_aligned(c.base, kCteBytes) && valid_object_size(c.type, c.bytes) &&
                   c.word == c.bytes / kCteBytes;
        case CapType::Pml4:
        case CapType::Pdpt:
        case CapType::Pd:
        case CapType::Pt:
        case CapType::Dispatcher:
            return c.word == 0 && valid_object_size(c.type, c.bytes) && is_aligned(c.base, c.bytes);
        case CapType::Endpoint:
            return valid_object_size(c.type, c.bytes) && is_aligned(c.base, c.bytes);
        case CapType::Io:
            return c.io_count() >= 1 && c.io_first() + c.io_count() <= kIoPortCount;
        case CapType::Irq: return c.word <= 0xffffffffu;
        case CapType::Kernel: return c.word == 0;
    }
    return false;
}

}  // namespace mk::caps
