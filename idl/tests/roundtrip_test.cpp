// Every supported type survives encode -> decode unchanged, defaults and
// constants come out as declared, and the largest sizes the plugin computed
// match what the runtime really encodes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "boot.urpc.hpp"
#include "fixture.hpp"
#include "floats.urpc.hpp"

using namespace idltest;
namespace f = mk::idl::test_floats;

namespace {

template <typename T>
std::vector<mk::u8> encoded(const T& v) {
    std::vector<mk::u8> buf(mk::idl::kMaxMessageBytes);
    mk::idl::Writer w(buf.data(), buf.size());
    encode(w, v);
    REQUIRE(w.status().ok());
    buf.resize(w.size());
    return buf;
}

template <typename T>
T round_trip(const T& v) {
    std::vector<mk::u8> bytes = encoded(v);
    T back;
    mk::idl::Reader r(bytes.data(), bytes.size());
    Status s = mk::idl::decode_message(r, back);
    REQUIRE(s.ok());
    return back;
}

k::Scalars extremes(bool high) {
    k::Scalars s;
    s.flag = high;
    s.i8 = high ? std::numeric_limits<mk::i8>::max() : std::numeric_limits<mk::i8>::min();
    s.i16 = high ? std::numeric_limits<mk::i16>::max() : std::numeric_limits<mk::i16>::min();
    s.i32 = high ? std::numeric_limits<mk::i32>::max() : std::numeric_limits<mk::i32>::min();
    s.i64 = high ? std::numeric_limits<mk::i64>::max() : std::numeric_limits<mk::i64>::min();
    s.u8 = high ? 0xff : 0;
    s.u16 = high ? 0xffff : 0;
    s.u32 = high ? 0xffffffffu : 0;
    s.u64 = high ? ~mk::u64{0} : 0;
    s.color = high ? k::Color::DarkBlue : k::Color::Red;
    return s;
}

// A Shape with every bounded field at its maximum.
k::Shape full_shape() {
    k::Shape s;
    REQUIRE(s.name.assign("sixteen-byte-nam").ok());
    s.color = k::Color::Green;
    for (int i = 0; i < 8; ++i) REQUIRE(s.points.push(k::Point{i - 4, i * 1000}).ok());
    s.origin = k::Point{-7, 7};
    for (int i = 0; i < 4; ++i) {
        k::Shape_Tag t;
        REQUIRE(t.label.assign("label-12").ok());
        t.weight = static_cast<mk::u16>(60000 + i);
        REQUIRE(s.tags.push(t).ok());
    }
    s.kind = k::Shape_Kind::Circle;
    return s;
}

}  // namespace

TEST_CASE("Scalars and enums round-trip at their extremes", "[idl]") {
    for (bool high : {false, true}) {
        k::Scalars s = extremes(high);
        CHECK(round_trip(s) == s);
    }
    // 1 + 1 + 2 + 4 + 8 + 1 + 2 + 4 + 8 + 2 bytes, no padding.
    CHECK(encoded(extremes(true)).size() == 33);
}

TEST_CASE("Nested structs, Text, lists of structs and enums round-trip", "[idl]") {
    k::Shape s = full_shape();
    CHECK(round_trip(s) == s);
    k::Shape empty;
    CHECK(round_trip(empty) == empty);

    K::ListsParams l;
    for (int i = 0; i < 64; ++i) REQUIRE(l.flags.push(i % 3 == 0).ok());
    for (int i = 0; i < 16; ++i) REQUIRE(l.colors.push(static_cast<k::Color>(i % 3)).ok());
    for (int i = 0; i < 100; ++i) REQUIRE(l.words.push(~mk::u64{0} - i).ok());
    REQUIRE(l.small.push(-128).ok());
    CHECK(round_trip(l) == l);

    K::AttachParams a;
    a.sink = mk::idl::CapRef{42};
    REQUIRE(a.sinks.push(mk::idl::CapRef{~mk::u64{0}}).ok());
    CHECK(round_trip(a) == a);

    K::KeywordsParams kw;
    kw.k.class_ = 1;
    kw.k.new_ = 2;
    CHECK(round_trip(kw) == kw);
}

TEST_CASE("Data and Text keep every byte value Text allows", "[idl]") {
    K::BytesParams p;
    std::vector<mk::u8> all(1000);
    for (mk::usize i = 0; i < all.size(); ++i) all[i] = static_cast<mk::u8>(i);
    REQUIRE(p.data.assign(all.data(), all.size()).ok());
    std::string note;
    for (int i = 1; i < 201; ++i) note += static_cast<char>(i);
    REQUIRE(p.note.assign(note.data(), note.size()).ok());
    K::BytesParams back = round_trip(p);
    CHECK(back == p);
    CHECK(std::string(back.note.c_str()) == note);
}

TEST_CASE("Floats round-trip bit for bit, NaN and signed zero included", "[idl]") {
    f::Sample s;
    s.x = -0.0f;
    s.y = std::numeric_limits<double>::quiet_NaN();
    s.scale = std::numeric_limits<float>::infinity();
    s.offset = std::numeric_limits<double>::denorm_min();
    f::Sample back = round_trip(s);
    CHECK(std::memcmp(&back.x, &s.x, sizeof s.x) == 0);
    CHECK(std::isnan(back.y));
    CHECK(std::memcmp(&back.y, &s.y, sizeof s.y) == 0);
    CHECK(back.scale == s.scale);
    CHECK(back.offset == s.offset);

    f::Meter::RecordParams r;
    r.sample.y = 2.5;
    REQUIRE(r.series.push(1e300).ok());
    REQUIRE(r.weights.push(0.25f).ok());
    CHECK(round_trip(r) == r);
}

TEST_CASE("Defaults and constants are the schema's values", "[idl]") {
    K::DefaultsParams d;
    CHECK(d.a == 7);
    CHECK(d.b);
    CHECK(d.c == k::Color::Green);
    CHECK(d.d == -5);
    CHECK(k::Shape{}.color == k::Color::DarkBlue);
    CHECK(k::Shape_Tag{}.weight == 7);
    CHECK(k::kMaxItems == 8);
    CHECK(k::kDefaultColor == k::Color::DarkBlue);
    CHECK(k::kAnswer == -42);
    CHECK(k::kEnabled);
    CHECK(f::kPi == 3.141592653589793);
    CHECK(f::kHalf == 0.5f);
    CHECK(f::Sample{}.scale == 1.5f);
    CHECK(f::Sample{}.offset == -0.25);
}

TEST_CASE("The plugin's largest sizes are what a full message encodes to", "[idl]") {
    K::ShapeParams shape;
    shape.shape = full_shape();
    CHECK(encoded(shape).size() == K::kMethods[1].max_request);

    K::BytesParams bytes;
    std::vector<mk::u8> data(1000, 0xab);
    std::string note(200, 'n');
    REQUIRE(bytes.data.assign(data.data(), data.size()).ok());
    REQUIRE(bytes.note.assign(note.c_str()).ok());
    CHECK(encoded(bytes).size() == K::kMethods[2].max_request);
    CHECK(K::kMethods[2].max_request == 2 + 1000 + 2 + 200 + 1);
    CHECK(K::kMaxRequestBytes == 1205);

    K::ListsParams lists;
    for (int i = 0; i < 64; ++i) REQUIRE(lists.flags.push(true).ok());
    for (int i = 0; i < 16; ++i) REQUIRE(lists.colors.push(k::Color::Red).ok());
    for (int i = 0; i < 100; ++i) REQUIRE(lists.words.push(1).ok());
    for (int i = 0; i < 3; ++i) REQUIRE(lists.small.push(1).ok());
    CHECK(encoded(lists).size() == K::kMethods[3].max_request);

    CHECK(encoded(K::ScalarsParams{}).size() == K::kMethods[0].max_request);
    CHECK(K::kMethods[5].oneway);
    CHECK(K::kMethods[5].max_reply == 0);
    CHECK(encoded(K::NoopParams{}).empty());
}

TEST_CASE("Interface descriptors carry the schema id and method numbers", "[idl]") {
    CHECK(K::kTag == mk::idl::interface_tag(K::kId));
    CHECK(K::kInfo.method_count == 11);
    CHECK(static_cast<int>(K::Method::Keywords) == 10);
    CHECK(k::Empty::kInfo.method_count == 0);
    CHECK(mk::idl::boot::Boot::kMaxRequestBytes == 8 + 2 + 256);
}
