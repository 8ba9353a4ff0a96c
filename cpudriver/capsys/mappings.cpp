// See mappings.hpp.
#include "capsys/mappings.hpp"

#include "paging.hpp"
#include "x86.hpp"

namespace mk::capsys {

void clear_entry(PhysAddr table_phys, u32 index) {
    static_cast<u64*>(paging::phys_to_virt(table_phys))[index] = 0;
    x86::write_cr3(x86::read_cr3());  // every mapping of this core (no global pages in user halves)
}

bool Mappings::has_room() const {
    for (const auto& r : records_) {
        if (!r.used) return true;
    }
    return false;
}

Status Mappings::add(caps::CapTable& table, caps::Cte& mapped, PhysAddr table_phys, u32 index) {
    for (auto& r : records_) {
        if (r.used) continue;
        TRY_STATUS(table.copy(mapped, r.copy));
        r.table = table_phys;
        r.index = index;
        r.used = true;
        return {};
    }
    return Error::Full;
}

MappingRecord* Mappings::find(PhysAddr table_phys, u32 index) {
    for (auto& r : records_) {
        if (r.used && r.table == table_phys && r.index == index) return &r;
    }
    return nullptr;
}

void Mappings::remove(caps::CapTable& table, MappingRecord& r) {
    if (!r.copy.empty()) (void)table.delete_cap(r.copy);
    clear_entry(r.table, r.index);
    r.used = false;
}

usize Mappings::sweep() {
    usize cleared = 0;
    for (auto& r : records_) {
        if (r.used && r.copy.empty()) {
            clear_entry(r.table, r.index);
            r.used = false;
            ++cleared;
        }
    }
    return cleared;
}

}  // namespace mk::capsys
