#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "mem/page_table.hpp"

using namespace mk;
using namespace mk::mem;

namespace {

// 64 pages of fake physical memory at 0x200000; tables are allocated upwards.
struct FakeMemory {
    static constexpr PhysAddr kBase = 0x200000;
    std::vector<u8> bytes = std::vector<u8>(64 * kPageSize, 0);
    PhysAddr next = kBase + kPageSize;  // page 0 of the buffer is the PML4
    int allocations = 0;
};
FakeMemory* g_mem;

void* to_virtual(PhysAddr p) { return g_mem->bytes.data() + (p - FakeMemory::kBase); }
Result<PhysAddr> alloc_table(void* ctx) {
    auto* m = static_cast<FakeMemory*>(ctx);
    if (m->next >= FakeMemory::kBase + m->bytes.size()) return Error::NoMemory;
    ++m->allocations;
    PhysAddr p = m->next;
    m->next += kPageSize;
    return p;
}

}  // namespace

TEST_CASE("PageTable maps, translates and unmaps user pages", "[mem]") {
    FakeMemory mem;
    g_mem = &mem;
    PageTable pt(FakeMemory::kBase, to_virtual, alloc_table, &mem);
    REQUIRE(pt.map(0x400000, 0x1234000, {.write = false, .exec = true}).ok());
    CHECK(mem.allocations == 3);  // PDPT, PD, PT
    REQUIRE(pt.map(0x401000, 0x5678000, {.write = true, .exec = false}).ok());
    CHECK(mem.allocations == 3);  // same tables
    PageFlags f;
    CHECK(*pt.translate(0x400123, &f) == 0x1234123);
    CHECK(f.exec);
    CHECK_FALSE(f.write);
    CHECK(f.user);
    CHECK(*pt.translate(0x401000, &f) == 0x5678000);
    CHECK(f.write);
    CHECK_FALSE(f.exec);
    // The leaf entry has NX for non-executable pages.
    CHECK(pt.translate(0x402000).error() == Error::NotFound);
    CHECK(*pt.unmap(0x401000) == 0x5678000);
    CHECK(pt.translate(0x401000).error() == Error::NotFound);
    CHECK(pt.unmap(0x401000).error() == Error::NotFound);
}

TEST_CASE("PageTable refuses what would break isolation", "[mem]") {
    FakeMemory mem;
    g_mem = &mem;
    PageTable pt(FakeMemory::kBase, to_virtual, alloc_table, &mem);
    CHECK(pt.map(0x400000, 0x1000, {.write = true, .exec = true}).error() == Error::Unsupported);
    CHECK(pt.map(0, 0x1000, {}).error() == Error::OutOfRange);
    CHECK(pt.map(kUserTop, 0x1000, {}).error() == Error::OutOfRange);
    CHECK(pt.map(0xFFFFFFFF80000000, 0x1000, {}).error() == Error::OutOfRange);
    CHECK(pt.map(0x400001, 0x1000, {}).error() == Error::InvalidArgument);
    CHECK(pt.map(0x400000, 0x1001, {}).error() == Error::InvalidArgument);
    CHECK(mem.allocations == 0);  // nothing was created by refused calls
    REQUIRE(pt.map(0x400000, 0x1000, {}).ok());
    CHECK(pt.map(0x400000, 0x2000, {}).error() == Error::Overlap);
    CHECK(*pt.translate(0x400000) == 0x1000);
}

TEST_CASE("PageTable reports exhausted table memory", "[mem]") {
    FakeMemory mem;
    g_mem = &mem;
    mem.next = FakeMemory::kBase + mem.bytes.size() - kPageSize;  // room for one table only
    PageTable pt(FakeMemory::kBase, to_virtual, alloc_table, &mem);
    CHECK(pt.map(0x400000, 0x1000, {}).error() == Error::NoMemory);
}
