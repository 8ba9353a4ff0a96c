#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "boot/boot_info.hpp"
#include "phys_image.hpp"

using namespace mk;
using namespace mk::boot;
using mk::boot::testing::PhysImage;

namespace {

// Builds a Multiboot2 information structure tag by tag.
class Mb2Builder {
public:
    Mb2Builder() { bytes_.resize(8, 0); }
    void tag(u32 type, const std::vector<u8>& body) {
        u32 size = static_cast<u32>(8 + body.size());
        put32(type);
        put32(size);
        bytes_.insert(bytes_.end(), body.begin(), body.end());
        while (bytes_.size() % 8 != 0) bytes_.push_back(0);
    }
    void string_tag(u32 type, const std::string& s) {
        std::vector<u8> body(s.begin(), s.end());
        body.push_back(0);
        tag(type, body);
    }
    std::vector<u8> finish() {
        tag(0, {});
        u32 total = static_cast<u32>(bytes_.size());
        std::memcpy(bytes_.data(), &total, 4);
        return bytes_;
    }

private:
    void put32(u32 v) {
        for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<u8>(v >> (8 * i)));
    }
    std::vector<u8> bytes_;
};

void le(std::vector<u8>& v, u64 x, int n) {
    for (int i = 0; i < n; ++i) v.push_back(static_cast<u8>(x >> (8 * i)));
}

std::vector<u8> mmap_body(const std::vector<std::tuple<u64, u64, u32>>& entries) {
    std::vector<u8> b;
    le(b, 24, 4);  // entry size
    le(b, 0, 4);   // entry version
    for (auto [base, len, type] : entries) {
        le(b, base, 8);
        le(b, len, 8);
        le(b, type, 4);
        le(b, 0, 4);
    }
    return b;
}

std::vector<u8> module_body(u32 start, u32 end, const std::string& name) {
    std::vector<u8> b;
    le(b, start, 4);
    le(b, end, 4);
    b.insert(b.end(), name.begin(), name.end());
    b.push_back(0);
    return b;
}

constexpr PhysAddr kInfo = 0x10000;

}  // namespace

TEST_CASE("Multiboot2: command line, loader, modules, memory map and RSDP", "[boot]") {
    Mb2Builder b;
    b.string_tag(1, "shutdown test-fault=ud");
    b.string_tag(2, "GRUB 2.06");
    b.tag(3, module_body(0x200000, 0x201000, "motd"));
    b.tag(6, mmap_body({{0, 0x9fc00, 1}, {0x100000, 0x1ff00000, 1}, {0xfffc0000, 0x40000, 2}}));
    std::vector<u8> rsdp(20, 0);
    std::memcpy(rsdp.data(), "RSD PTR ", 8);
    b.tag(14, rsdp);
    auto info = b.finish();

    PhysImage mem(kInfo, 0x1000);
    mem.put_bytes(kInfo, info.data(), info.size());
    BootInfo bi;
    REQUIRE(parse_boot_info(mem.view(), kMultiboot2Magic, kInfo, bi).ok());
    CHECK(bi.protocol == Protocol::Multiboot2);
    CHECK(std::string(bi.cmdline) == "shutdown test-fault=ud");
    CHECK(std::string(bi.loader_name) == "GRUB 2.06");
    REQUIRE(bi.module_count == 1);
    CHECK(bi.modules[0].start == 0x200000);
    CHECK(bi.modules[0].end == 0x201000);
    CHECK(std::string(bi.modules[0].name) == "motd");
    REQUIRE(bi.region_count == 3);
    CHECK(bi.regions[1].base == 0x100000);
    CHECK(bi.regions[2].type == MemoryType::Reserved);
    CHECK(bi.usable_bytes() == 0x9fc00 + 0x1ff00000);
    CHECK(bi.rsdp_length == 20);
    CHECK(bi.info_start == kInfo);
    CHECK(bi.info_end == kInfo + info.size());
}

TEST_CASE("Modules are found by the base name of their first word", "[boot]") {
    BootInfo bi;
    const char* names[] = {"monitor", "/boot/monitor.elf arg1", "/work/build/boot/motd.txt", "monitors.elf"};
    for (const char* n : names) {
        std::strncpy(bi.modules[bi.module_count].name, n, sizeof bi.modules[0].name - 1);
        ++bi.module_count;
    }
    CHECK(module_is(bi.modules[0], "monitor"));
    CHECK(module_is(bi.modules[1], "monitor"));
    CHECK(module_is(bi.modules[2], "motd"));
    CHECK_FALSE(module_is(bi.modules[3], "monitor"));
    CHECK_FALSE(module_is(bi.modules[1], "arg1"));
    CHECK(find_module(bi, "motd") == &bi.modules[2]);
    CHECK(find_module(bi, "spawn") == nullptr);
}

TEST_CASE("Multiboot2: malformed structures are rejected", "[boot]") {
    PhysImage mem(kInfo, 0x1000);
    BootInfo bi;
    SECTION("wrong magic") {
        CHECK(parse_boot_info(mem.view(), 0x1234, kInfo, bi).error() == Error::BadMagic);
    }
    SECTION("total size beyond memory") {
        mem.put32(kInfo, 0x10000);
        CHECK(parse_multiboot2(mem.view(), kInfo, bi).error() == Error::OutOfRange);
    }
    SECTION("misaligned info") {
        CHECK(parse_multiboot2(mem.view(), kInfo + 4, bi).error() == Error::InvalidArgument);
    }
    SECTION("a tag running past the end") {
        Mb2Builder b;
        b.string_tag(1, "x");
        auto info = b.finish();
        info[12] = 0xff;  // size of the command-line tag
        mem.put_bytes(kInfo, info.data(), info.size());
        CHECK(parse_multiboot2(mem.view(), kInfo, bi).error() == Error::Truncated);
    }
    SECTION("no end tag") {
        Mb2Builder b;
        b.string_tag(1, "x");
        auto info = b.finish();
        u32 total = static_cast<u32>(info.size() - 8);  // cut the end tag off
        std::memcpy(info.data(), &total, 4);
        mem.put_bytes(kInfo, info.data(), info.size());
        CHECK(parse_multiboot2(mem.view(), kInfo, bi).error() == Error::Truncated);
    }
    SECTION("an unterminated command line") {
        Mb2Builder b;
        b.tag(1, {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'});
        auto info = b.finish();
        mem.put_bytes(kInfo, info.data(), info.size());
        CHECK(parse_multiboot2(mem.view(), kInfo, bi).error() == Error::Truncated);
    }
    SECTION("a module that ends before it starts") {
        Mb2Builder b;
        b.tag(3, module_body(0x3000, 0x2000, "bad"));
        auto info = b.finish();
        mem.put_bytes(kInfo, info.data(), info.size());
        CHECK(parse_multiboot2(mem.view(), kInfo, bi).error() == Error::InvalidArgument);
    }
    SECTION("a memory map with a bad entry size") {
        auto body = mmap_body({{0, 0x1000, 1}});
        body[0] = 7;
        Mb2Builder b;
        b.tag(6, body);
        auto info = b.finish();
        mem.put_bytes(kInfo, info.data(), info.size());
        CHECK(parse_multiboot2(mem.view(), kInfo, bi).error() == Error::InvalidArgument);
    }
}

TEST_CASE("Multiboot1: command line, modules and memory map via physical addresses", "[boot]") {
    PhysImage mem(0, 0x20000);
    constexpr PhysAddr info = 0x9500, cmd = 0x9600, mods = 0x9700, mmap = 0x9800, names = 0x9900;
    mem.put32(info, (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    mem.put32(info + 16, cmd);
    mem.put_str(cmd, "demo cores=4");
    mem.put32(info + 20, 2);
    mem.put32(info + 24, mods);
    mem.put32(mods + 0, 0x10000);
    mem.put32(mods + 4, 0x10100);
    mem.put32(mods + 8, names);
    mem.put32(mods + 16, 0x11000);
    mem.put32(mods + 20, 0x11200);
    mem.put32(mods + 24, names + 16);
    mem.put_str(names, "motd");
    mem.put_str(names + 16, "monitor arg");
    // Two map entries; each begins with its size (20), which excludes itself.
    mem.put32(mmap, 20);
    mem.put64(mmap + 4, 0);
    mem.put64(mmap + 12, 0x9fc00);
    mem.put32(mmap + 20, 1);
    mem.put32(mmap + 24, 20);
    mem.put64(mmap + 28, 0x100000);
    mem.put64(mmap + 36, 0x7ee0000);
    mem.put32(mmap + 44, 1);
    mem.put32(info + 44, 48);
    mem.put32(info + 48, mmap);
    mem.put32(info + 64, names + 32);
    mem.put_str(names + 32, "qemu");

    BootInfo bi;
    REQUIRE(parse_boot_info(mem.view(), kMultiboot1Magic, info, bi).ok());
    CHECK(bi.protocol == Protocol::Multiboot1);
    CHECK(std::string(bi.cmdline) == "demo cores=4");
    CHECK(std::string(bi.loader_name) == "qemu");
    REQUIRE(bi.module_count == 2);
    CHECK(std::string(bi.modules[1].name) == "monitor arg");
    CHECK(bi.modules[1].end == 0x11200);
    REQUIRE(bi.region_count == 2);
    CHECK(bi.regions[1].length == 0x7ee0000);
    CHECK(bi.rsdp_length == 0);

    SECTION("a memory map entry size running past the map is rejected") {
        mem.put32(mmap + 24, 200);
        CHECK(parse_multiboot1(mem.view(), info, bi).error() == Error::Truncated);
    }
    SECTION("a command line outside memory is rejected") {
        mem.put32(info + 16, 0x7fffffff);
        CHECK(parse_multiboot1(mem.view(), info, bi).error() == Error::OutOfRange);
    }
    SECTION("too many modules is rejected") {
        mem.put32(info + 20, 1000);
        CHECK(parse_multiboot1(mem.view(), info, bi).error() == Error::Full);
    }
}
