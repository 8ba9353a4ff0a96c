// Capability invocations: the methods a domain can call on the capabilities
// in its capability space, and the well-known layout of that space as the CPU
// driver builds it for the domains it starts at boot. Shared by the CPU
// driver and the user-level runtime.
//
// kSysInvoke: RDI = capability address (L1 index << 8 | L2 index), RSI =
// method, RDX, R10, R8, R9 = arguments a0..a3. A destination slot is named
// by its capability address; the slot must be empty. Results as for every
// system call: RAX = mk::Error, RDX = value. A failed call changes nothing.
#pragma once

#include "base/types.hpp"

namespace mk::abi {

inline constexpr u64 kSysInvoke = 7;

enum CapMethod : u64 {
    // Any capability.
    kCapIdentify = 1,  // a0 = user pointer to a CapIdentity, filled in
    kCapCopy = 2,      // a0 = destination slot
    kCapMint = 3,      // a0 = destination slot, a1 = rights (a subset), a2 = badge (Endpoint)
    kCapDelete = 4,
    kCapRevoke = 5,    // deletes every other copy and every descendant
    // RAM (and Frame into smaller Frames).
    kRamRetype = 16,   // a0 = type | log2(object size) << 8, a1 = count, a2 = offset, a3 = first destination slot
    // Page-table capabilities (Pml4, Pdpt, Pd, Pt).
    kVNodeMap = 32,    // a0 = entry index, a1 = child (next-level table, or a Frame for a Pt), a2 = flags
    kVNodeUnmap = 33,  // a0 = entry index
    // I/O port ranges.
    kIoIn = 48,        // a0 = port, a1 = width in bytes (1, 2, 4) -> value
    kIoOut = 49,       // a0 = port, a1 = width, a2 = value
    // Dispatcher objects (retyped from RAM).
    kDispatcherSetup = 64,  // a0 = root CNode, a1 = Pml4, a2 = dispatcher frame (a 4 KiB Frame), a3 = entry;
                            // the frame's start_sp and start_arg give the stack and RDI. Makes it runnable here.
    kDispatcherStatus = 65,  // -> 0 while it runs (or was never set up), else 1 | (u32)exit code << 32
                             // (a dispatcher the CPU driver ended for a fault has exit code -1)
    // The Kernel capability (monitors only): the authority over the core itself.
    kKernelStartCore = 80,   // a0 = core number, a1 = a 4 KiB Frame (read-write) to become the channel between
                             // the caller (core 0's monitor) and that core's monitor. Boots the core unless it
                             // runs, starts its monitor with the frame, marks the caller's Frame as having a
                             // remote copy. Only on core 0. Busy: its monitor runs already; Timeout: no answer.
    kKernelCapCreate = 81,   // a0 = destination slot, a1 = type | rights << 8 | kCapMoved, a2 = base, a3 = bytes:
                             // makes the copy of a capability another core's monitor sent (RAM, Frame,
                             // or the Pml4 of a domain that spans cores: 4 KiB, its kernel half this
                             // core's), marked as having a remote copy unless kCapMoved says it is the
                             // only one (memory whose move between cores was agreed).
    kKernelMarkRemote = 82,  // a0 = slot: marks that capability's object (RAM, Frame, Pml4) as having a
                             // copy on another core (before a monitor sends it there).
    kKernelWakeCore = 83,    // a0 = core: an event for whoever waits there in kSysWaitEvent (a wake IPI)
    kKernelRemoveObject = 84,  // a0 = type (RAM or Frame), a1 = base, a2 = bytes: deletes every capability on
                               // this core that names the object or descends from it (this core's part of a
                               // revoke agreed by every core) -> how many went
    kKernelRetypeAgreed = 85,  // a0 = RAM slot, a1 = type | log2(size) << 8, a2 = offset, a3 = destination slot:
                               // one object, as kRamRetype, from a source with remote copies: the monitors
                               // agreed that no core holds anything in the range
    kKernelRangeInUse = 86,    // a0 = base, a1 = bytes -> 1 if a capability here overlaps the range without
                               // strictly containing it (this core's vote on such a retype)
    kKernelCountInRange = 87,  // a0 = base, a1 = bytes -> how many capabilities here overlap the range without
                               // strictly containing it: copies of an object of that range, everything made
                               // inside it, their descendants (this core's answer to "is a delete the last?")
    kKernelFlushTlb = 88,      // a0 = virtual address (page-aligned, user half), a1 = pages: invalidates this
                               // core's TLB entries for the range (INVLPG; above kFlushTlbPageLimit pages the
                               // whole TLB), this core's part of a shootdown (docs/shootdown.md) -> pages
    // IRQ lines (ISA lines 0..15, on core 0, where the I/O APIC is programmed).
    kIrqConnect = 96,     // route the line to this core, unmasked. Busy: connected already
    kIrqPending = 97,     // -> interrupts since the last kIrqPending; the line stays masked after each
    kIrqAck = 98,         // unmask the line again (the device was serviced)
    kIrqDisconnect = 99,  // mask the line and forget it
};

// Same-core protected control transfer through an Endpoint (kSysCall,
// kSysReplyRecv): seven message words go directly from register to register,
// with one capability if both sides agree.
//   kSysCall:      RDI = Endpoint, RSI = capability to send (kNoCap: none; it
//                  needs the Grant right), words in RDX R10 R8 R9 R12 R13 R14.
//                  Blocks until the reply: RAX = Error, reply words in RDX..R14.
//   kSysReplyRecv: RDI = Endpoint, RSI = empty slot for a capability that
//                  comes with the next message (kNoCap: accept none), reply
//                  words (to the last caller, if any) in RDX..R14. Blocks until
//                  the next message: RAX = Error, RBX = the sender's badge,
//                  RSI = 1 if a capability arrived, words in RDX..R14.
//   kSysReply:     reply words in RDX..R14 to the last caller; does not wait.
inline constexpr u64 kNoCap = ~u64{0};
inline constexpr u64 kCapMoved = u64{1} << 16;  // kKernelCapCreate: no copy stays behind
inline constexpr usize kMessageWords = 7;
// kKernelFlushTlb: a longer range flushes the whole TLB (one CR3 reload is
// cheaper than this many INVLPGs).
inline constexpr u64 kFlushTlbPageLimit = 64;

// Flags of kVNodeMap for a Frame in a Pt. Never both (W^X).
inline constexpr u64 kMapWrite = 1;
inline constexpr u64 kMapExecute = 2;

// What kCapIdentify reports (types and rights as in lib/caps/capability.hpp).
struct CapIdentity {
    u64 type;
    u64 rights;
    u64 remote;
    u64 base;
    u64 bytes;
    u64 word;  // Endpoint badge, CNode slot count, IRQ number, I/O ports
};

constexpr u32 cap_address(u32 l1, u32 l2) { return (l1 << 8) | l2; }
// A slot of the root CNode itself (which holds L2 CNodes), rather than a slot
// inside one: the way to place a CNode capability where its slots become
// addressable as cap_address(l1, ...).
inline constexpr u32 kL1Flag = 0x80000000u;
constexpr u32 l1_slot(u32 l1) { return kL1Flag | l1; }

// The capability space of a domain started at boot. L1 slots hold L2 CNodes
// of 256 slots each.
enum CSpaceL1 : u32 {
    kTaskCNode = 0,   // the well-known capabilities below
    kRamCNode = 1,    // RAM capabilities granted to the domain
    kSlotCNode = 2,   // empty slots for the domain's own use
    kSlotCNode2 = 3,  // more empty slots
    kModuleCNode = 4, // read-only Frames of the boot modules, in DispatcherFrame::modules order
    kIrqCNode = 5,    // core 0's monitor: an IRQ capability per ISA line, slot n = line n
};
enum TaskSlot : u32 {
    kTaskRootCNode = 0,   // the root (L1) CNode itself
    kTaskDispatcher = 1,  // this domain's dispatcher on this core
    kTaskVSpace = 2,      // its top-level page table (Pml4)
    kTaskFrame = 3,       // its dispatcher frame (Frame)
    kTaskKernel = 4,      // the Kernel capability (monitors only)
    kTaskIo = 5,          // all I/O ports (monitors only)
    kTaskParent = 6,      // an Endpoint to the domain that spawned this one, if any
    kTaskMonitorLink = 7, // a 4 KiB channel frame: a monitor's to core 0's monitor, a program's to its monitor
    kTaskSpawnCap = 8,    // the capability its spawner passed (Local.spawn), if any
    kTaskConsole = 9,     // the serial console's I/O ports (COM1), for the program the boot line names run=shell
};

}  // namespace mk::abi
