// See mappings.hpp.
#include "capsys/mappings.hpp"

#include "paging.hpp"
#include "x86.hpp"

namespace mk::capsys {

void clear_entry(PhysAddr table_phys, u32 index) {
    static_cast<u64*>(paging::phys_to_virt(table_phys))[index] = 0;
    x86::write_cr3(x86::read_cr3());  // every mapping of this core (no global pages in user halves)
}

bool Mappings::has_room() const { return used_ < kMax; }

void Mappings::shrink() {
    while (high_ > 0 && !records_[high_ - 1].used) --high_;
}

Status Mappings::add(caps::CapTable& table, caps::Cte& mapped, PhysAddr table_phys, u32 index) {
    MappingRecord* free = nullptr;
    for (auto& r : live()) {
        if (!r.used) {
            free = &r;
            break;
        }
    }
    if (free == nullptr) {
        if (high_ == kMax) return Error::Full;
        free = &records_[high_];
    }
    TRY_STATUS(table.copy(mapped, free->copy));
    free->table = table_phys;
    free->index = index;
    free->used = true;
    ++used_;
    if (free == &records_[high_]) ++high_;
    return {};
}

MappingRecord* Mappings::find(PhysAddr table_phys, u32 index) {
    for (auto& r : live()) {
        if (r.used && r.table == table_phys && r.index == index) return &r;
    }
    return nullptr;
}

void Mappings::remove(caps::CapTable& table, MappingRecord& r) {
    if (!r.copy.empty()) (void)table.delete_cap(r.copy);
    clear_entry(r.table, r.index);
    r.used = false;
    --used_;
    shrink();
}

usize Mappings::sweep() {
    usize cleared = 0;
    for (auto& r : live()) {
        if (r.used && r.copy.empty()) {
            clear_entry(r.table, r.index);
            r.used = false;
            --used_;
            ++cleared;
        }
    }
    shrink();
    return cleared;
}

}  // namespace mk::capsys
