// Mapping records: which page-table entry each mapping occupies, so that the
// entry goes away when the capability behind it does. Mapping a Frame (or
// installing a table) mints a copy of its capability into a record held by
// this core's CPU driver; the copy keeps the object alive while it is mapped.
// When a delete or revoke empties a record's copy (revoking the Frame, or the
// RAM it came from), sweep() clears the entry and flushes the TLB. A domain
// unmaps by deleting the record through kVNodeUnmap.
#pragma once

#include "base/result.hpp"
#include "base/span.hpp"
#include "caps/table.hpp"

namespace mk::capsys {

struct MappingRecord {
    caps::Cte copy;         // the kernel-held copy of the mapped capability
    PhysAddr table = 0;     // the page table holding the entry
    u32 index = 0;          // the entry
    bool used = false;
};

class Mappings {
public:
    static constexpr usize kMax = 4096;  // every mapping on the core: monitor, programs, their children

    bool has_room() const;
    // Records a mapping of `mapped` at table[index] (caller checked everything else).
    Status add(caps::CapTable& table, caps::Cte& mapped, PhysAddr table_phys, u32 index);
    // The record of table[index], or nullptr.
    MappingRecord* find(PhysAddr table_phys, u32 index);
    // Ends a record: deletes its copy and clears its entry.
    void remove(caps::CapTable& table, MappingRecord& r);
    // Clears the entries of records whose copy a delete or revoke emptied.
    // Returns how many it cleared.
    usize sweep();

private:
    // Records in use all lie below high_: the scans (on every map, unmap and
    // delete) cost what is in use, not the table's capacity.
    Span<MappingRecord> live() { return Span<MappingRecord>(records_, high_); }
    void shrink();

    MappingRecord records_[kMax];
    usize high_ = 0;
    usize used_ = 0;
};

// Clears one page-table entry and flushes this core's TLB.
void clear_entry(PhysAddr table_phys, u32 index);

}  // namespace mk::capsys
