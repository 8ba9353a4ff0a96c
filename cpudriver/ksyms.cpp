// Binary search over the .ksyms table; see ksyms.hpp and boot/gen_ksyms.py
// for the layout: a header {magic, count}, `count` entries sorted by address
// {address, size, name offset}, then the NUL-terminated names.
#include "ksyms.hpp"

namespace mk::ksyms {
namespace {

constexpr u64 kMagic = 0x314D5953534B4D; // "MKSSYM1"

struct Header {
    u64 magic;
    u64 count;
};
struct Entry {
    u64 address;
    u32 size;
    u32 name_offset;
};

extern "C" const u8 __ksyms_start[];
extern "C" const u8 __ksyms_end[];

const Header* header() {
    usize bytes = static_cast<usize>(__ksyms_end - __ksyms_start);
    if (bytes < sizeof(Header)) return nullptr;
    auto* h = reinterpret_cast<const Header*>(__ksyms_start);
    if (h->magic != kMagic || h->count > (bytes - sizeof(Header)) / sizeof(Entry)) return nullptr;
    return h;
}

}  // namespace

usize count() {
    const Header* h = header();
    return h != nullptr ? h->count : 0;
}

Symbol lookup(u64 address) {
    const Header* h = header();
    if (h == nullptr || h->count == 0) return {nullptr, 0};
    auto* entries = reinterpret_cast<const Entry*>(h + 1);
    auto* names = reinterpret_cast<const char*>(entries + h->count);
    // The last entry whose address is <= the one looked up.
    usize lo = 0, hi = h->count;
    while (hi - lo > 1) {
        usize mid = lo + (hi - lo) / 2;
        if (entries[mid].address <= address) lo = mid;
        else hi = mid;
    }
    const Entry& e = entries[lo];
    if (address < e.address || (e.size != 0 && address >= e.address + e.size)) return {nullptr, 0};
    return {names + e.name_offset, address - e.address};
}

}  // namespace mk::ksyms
