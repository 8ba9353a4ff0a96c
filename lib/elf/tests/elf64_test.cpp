#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "elf/elf64.hpp"

using namespace mk;
using namespace mk::elf;

namespace {

constexpr u64 kLimit = 0x00007FFFFFFFF000;

struct Ph {
    u32 type, flags;
    u64 offset, vaddr, filesz, memsz;
};

// A minimal ELF64 executable: header, program headers, then payload bytes.
std::vector<u8> make_elf(u64 entry, const std::vector<Ph>& phs, size_t size = 0x3000) {
    std::vector<u8> f(size, 0);
    const u8 ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(f.data(), ident, sizeof ident);
    auto put16 = [&](size_t o, u16 v) { std::memcpy(&f[o], &v, 2); };
    auto put32 = [&](size_t o, u32 v) { std::memcpy(&f[o], &v, 4); };
    auto put64 = [&](size_t o, u64 v) { std::memcpy(&f[o], &v, 8); };
    put16(16, 2);
    put16(18, 62);
    put64(24, entry);
    put64(32, 64);
    put16(54, 56);
    put16(56, static_cast<u16>(phs.size()));
    for (size_t i = 0; i < phs.size(); ++i) {
        size_t o = 64 + i * 56;
        put32(o, phs[i].type);
        put32(o + 4, phs[i].flags);
        put64(o + 8, phs[i].offset);
        put64(o + 16, phs[i].vaddr);
        put64(o + 32, phs[i].filesz);
        put64(o + 40, phs[i].memsz);
    }
    return f;
}

Status parse_bytes(const std::vector<u8>& f, Image& img) { return parse(Bytes(f.data(), f.size()), kLimit, img); }

const Ph kText{1, 5, 0x1000, 0x401000, 0x800, 0x800};   // R X
const Ph kData{1, 6, 0x2000, 0x402000, 0x100, 0x3000};  // R W, with bss

}  // namespace

TEST_CASE("ELF: a text and a data segment load", "[elf]") {
    auto f = make_elf(0x401010, {kText, kData});
    Image img;
    REQUIRE(parse_bytes(f, img).ok());
    CHECK(img.entry == 0x401010);
    REQUIRE(img.segment_count == 2);
    CHECK(img.segments[0].exec);
    CHECK_FALSE(img.segments[0].write);
    CHECK(img.segments[1].write);
    CHECK(img.segments[1].memsz == 0x3000);
    CHECK(img.segments[1].filesz == 0x100);
}

TEST_CASE("ELF: bad images are refused with a named error", "[elf]") {
    Image img;
    SECTION("too short") {
        std::vector<u8> f(10, 0);
        CHECK(parse_bytes(f, img).error() == Error::Truncated);
    }
    SECTION("not ELF") {
        auto f = make_elf(0x401010, {kText});
        f[1] = 'X';
        CHECK(parse_bytes(f, img).error() == Error::BadMagic);
    }
    SECTION("32-bit") {
        auto f = make_elf(0x401010, {kText});
        f[4] = 1;
        CHECK(parse_bytes(f, img).error() == Error::Unsupported);
    }
    SECTION("wrong machine") {
        auto f = make_elf(0x401010, {kText});
        f[18] = 3;
        CHECK(parse_bytes(f, img).error() == Error::Unsupported);
    }
    SECTION("writable and executable") {
        Ph wx = kText;
        wx.flags = 7;
        CHECK(parse_bytes(make_elf(0x401010, {wx}), img).error() == Error::Unsupported);
    }
    SECTION("segment data beyond the file") {
        Ph big = kText;
        big.filesz = 0x100000;
        big.memsz = 0x100000;
        CHECK(parse_bytes(make_elf(0x401010, {big}), img).error() == Error::Truncated);
    }
    SECTION("filesz larger than memsz") {
        Ph bad = kData;
        bad.filesz = 0x4000;
        bad.memsz = 0x100;
        CHECK(parse_bytes(make_elf(0x401010, {kText, bad}), img).error() == Error::InvalidArgument);
    }
    SECTION("kernel-half address") {
        Ph high = kText;
        high.vaddr = 0xFFFFFFFF80001000;
        CHECK(parse_bytes(make_elf(0xFFFFFFFF80001010, {high}), img).error() == Error::OutOfRange);
    }
    SECTION("page zero") {
        Ph zero = kText;
        zero.vaddr = 0;
        zero.offset = 0;
        CHECK(parse_bytes(make_elf(0x10, {zero}), img).error() == Error::OutOfRange);
    }
    SECTION("overlapping segments") {
        Ph over = kData;
        over.vaddr = 0x401100;
        over.offset = 0x2100;
        CHECK(parse_bytes(make_elf(0x401010, {kText, over}), img).error() == Error::Overlap);
    }
    SECTION("entry outside executable code") {
        CHECK(parse_bytes(make_elf(0x402010, {kText, kData}), img).error() == Error::InvalidArgument);
    }
    SECTION("misaligned offset and address") {
        Ph mis = kText;
        mis.offset = 0x1008;
        CHECK(parse_bytes(make_elf(0x401010, {mis}), img).error() == Error::InvalidArgument);
    }
    SECTION("program headers beyond the file") {
        auto f = make_elf(0x401010, {kText});
        f[56] = 0xff;
        CHECK(parse_bytes(f, img).error() == Error::Truncated);
    }
    SECTION("no loadable segment") {
        Ph note{4, 4, 0x1000, 0x401000, 0x10, 0x10};
        CHECK(parse_bytes(make_elf(0x401010, {note}), img).error() == Error::NotFound);
    }
}
