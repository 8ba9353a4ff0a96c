// A fake physical memory for the boot parser tests: a byte buffer placed at
// a chosen physical base, with little-endian writers.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "boot/boot_info.hpp"

namespace mk::boot::testing {

class PhysImage {
public:
    PhysImage(PhysAddr base, size_t size) : base_(base), bytes_(size, 0) {}
    PhysView view() const { return PhysView(base_, bytes_.data(), bytes_.size()); }
    u8* at(PhysAddr a) { return bytes_.data() + (a - base_); }
    void put8(PhysAddr a, u8 v) { *at(a) = v; }
    void put16(PhysAddr a, u16 v) { std::memcpy(at(a), &v, 2); }
    void put32(PhysAddr a, u32 v) { std::memcpy(at(a), &v, 4); }
    void put64(PhysAddr a, u64 v) { std::memcpy(at(a), &v, 8); }
    void put_bytes(PhysAddr a, const void* p, size_t n) { std::memcpy(at(a), p, n); }
    void put_str(PhysAddr a, const std::string& s) { put_bytes(a, s.c_str(), s.size() + 1); }

private:
    PhysAddr base_;
    std::vector<u8> bytes_;
};

}  // namespace mk::boot::testing
