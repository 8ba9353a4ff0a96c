// Every way a generated decoder rejects input: each bad payload yields its
// named Error, never reaches a handler, is dropped, and the next valid
// message still gets through. A whole request whose body is invalid also
// earns the client an error reply; a broken frame earns nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <string>

#include "fixture.hpp"

using namespace idltest;
using mk::idl::CallId;
using mk::idl::Header;
using Bytes = std::vector<mk::u8>;

namespace {

constexpr mk::u8 kScalars = 0, kBytes = 2, kLists = 3, kNotify = 5, kNoop = 8;

Header header(mk::u8 method, CallId call, bool reply = false) {
    Header h;
    h.interface_tag = K::kTag;
    h.method = method;
    h.reply = reply;
    h.call = call;
    return h;
}

Payload payload(Header h, const mk::u8* body, mk::usize n) {
    h.length = static_cast<mk::u8>(n);
    Payload p{};
    p.w[0] = h.pack();
    mk::idl::body_store(p, body, n);
    return p;
}

// The fragments of a message, as a well-behaved sender would cut them.
std::vector<Payload> fragments(Header h, const Bytes& body) {
    std::vector<Payload> out;
    mk::usize count = mk::idl::fragments_for(body.size());
    h.count = static_cast<mk::u8>(count);
    for (mk::usize i = 0; i < count; ++i) {
        h.index = static_cast<mk::u8>(i);
        mk::usize off = i * mk::idl::kFragmentBytes;
        mk::usize n = std::min(mk::idl::kFragmentBytes, body.size() - off);
        out.push_back(payload(h, body.data() + off, n));
    }
    return out;
}

template <typename T>
Bytes encoded(const T& v) {
    Bytes buf(mk::idl::kMaxMessageBytes);
    mk::idl::Writer w(buf.data(), buf.size());
    encode(w, v);
    REQUIRE(w.status().ok());
    buf.resize(w.size());
    return buf;
}

// A bytes() request body: data, then note, each with a length prefix.
Bytes bytes_body(mk::u16 data_len, mk::u16 note_len, const std::string& note_bytes, bool nul = true) {
    Bytes b{static_cast<mk::u8>(data_len), static_cast<mk::u8>(data_len >> 8)};
    b.insert(b.end(), data_len, 0x11);
    b.push_back(static_cast<mk::u8>(note_len));
    b.push_back(static_cast<mk::u8>(note_len >> 8));
    b.insert(b.end(), note_bytes.begin(), note_bytes.end());
    if (nul) b.push_back(0);
    return b;
}

struct ServerSide {
    Channel ch;
    KitchenImpl impl;
    k::KitchenServer<KitchenImpl, Port, 2> server{impl, ch.server};
    CallId next = 100;

    Error feed(const std::vector<Payload>& frames) {
        Error last = Error::Ok;
        for (const Payload& p : frames) {
            Status s = server.accept(p);
            if (!s.ok()) last = s.error();
        }
        return last;
    }
    Error request(mk::u8 method, const Bytes& body) { return feed(fragments(header(method, next++), body)); }

    // The next valid message is still served.
    void still_serves() {
        int before = impl.noops;
        REQUIRE(request(kNoop, {}) == Error::Ok);
        CHECK(impl.noops == before + 1);
        REQUIRE_FALSE(ch.down.q.empty());
        CHECK_FALSE(Header::unpack(ch.down.q.back().w[0]).error);
        ch.down.q.clear();
    }
    // The error reply the client got for the last request, if any.
    Error error_reply() {
        if (ch.down.q.empty()) return Error::Ok;
        Header h = Header::unpack(ch.down.q.front().w[0]);
        Error e = h.error ? static_cast<Error>(ch.down.q.front().w[1] & 0xffff) : Error::Ok;
        ch.down.q.clear();
        return e;
    }
};

}  // namespace

TEST_CASE("Server: broken frames are dropped with their Error and no reply", "[idl]") {
    ServerSide t;
    Bytes scalars = encoded(K::ScalarsParams{});
    scalars.resize(64, 0);  // room to send more than the message
    auto one = [&](Header h, mk::usize len) {
        h.count = h.count == 0 ? 1 : h.count;
        return std::vector<Payload>{payload(h, scalars.data(), len)};
    };
    struct Case {
        const char* what;
        std::vector<Payload> frames;
        Error expect;
    };
    Header h = header(kScalars, 1);
    Header wrong_tag = h, reply = h, error = h, unknown = h, zero = h, index = h, many = h;
    wrong_tag.interface_tag ^= 1;
    reply.reply = true;
    error.error = true;
    unknown.method = 11;
    index.index = 1;
    many.count = 2;  // 33 bytes never need two fragments
    zero.count = 0;
    Bytes dirty = scalars;
    dirty[32] = 0xee;
    Header short_by_one = h;
    short_by_one.count = 1;
    Payload padded = payload(short_by_one, dirty.data(), 33);
    short_by_one.length = 32;  // declares 32 bytes, but byte 32 is not zero
    padded.w[0] = short_by_one.pack();
    const Case cases[] = {
        {"wrong interface", one(wrong_tag, 33), Error::BadMessage},
        {"a reply sent to a server", one(reply, 33), Error::BadMessage},
        {"error flag on a request", one(error, 33), Error::BadMessage},
        {"method 11 of 11", one(unknown, 33), Error::UnknownMethod},
        {"fragment count 0", {payload(zero, scalars.data(), 33)}, Error::BadFragment},
        {"index >= count", one(index, 33), Error::BadFragment},
        {"count too large", one(many, 48), Error::BadFragment},
        {"length above 48", one(h, 49), Error::BadFragment},
        {"a byte after length", {padded}, Error::BadFragment},
        {"longer than the method allows", one(h, 34), Error::TooLong},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(t.feed(c.frames) == c.expect);
        CHECK(t.ch.down.q.empty());
        t.still_serves();
    }
    CHECK(t.server.stats().rejected == std::size(cases));
    CHECK(t.server.stats().last_error == Error::TooLong);
}

TEST_CASE("Server: broken fragment sequences are dropped", "[idl]") {
    ServerSide t;
    std::string note(150, 'q');
    std::vector<Payload> a = fragments(header(kBytes, 1), bytes_body(100, 150, note));
    std::vector<Payload> b = fragments(header(kBytes, 2), bytes_body(100, 150, note));
    std::vector<Payload> c = fragments(header(kBytes, 3), bytes_body(100, 150, note));
    REQUIRE(a.size() == 6);

    SECTION("out of order") {
        CHECK(t.feed({a[0], a[2]}) == Error::BadFragment);
        CHECK(t.feed({a[1]}) == Error::BadFragment);  // its message was dropped
    }
    SECTION("a continuation with no first fragment") {
        CHECK(t.feed({a[3]}) == Error::BadFragment);
    }
    SECTION("a first fragment twice") {
        CHECK(t.feed({a[0], a[1], a[0]}) == Error::BadFragment);
    }
    SECTION("a short fragment before the last") {
        Header h = Header::unpack(a[1].w[0]);
        Bytes part(47, 0x11);
        CHECK(t.feed({a[0], payload(h, part.data(), 47)}) == Error::BadFragment);
    }
    SECTION("an empty last fragment") {
        Header h = Header::unpack(a[5].w[0]);
        CHECK(t.feed({a[0], a[1], a[2], a[3], a[4], payload(h, nullptr, 0)}) == Error::BadFragment);
    }
    SECTION("more interleaved messages than reassembly slots") {
        CHECK(t.feed({a[0], b[0]}) == Error::Ok);
        CHECK(t.feed({c[0]}) == Error::Full);
        // The two messages in progress are unharmed.
        CHECK(t.feed({a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5]}) == Error::Ok);
        CHECK(t.ch.down.q.size() == 2 * 6);  // two replies of 6 fragments
        t.ch.down.q.clear();
    }
    CHECK(t.ch.down.q.empty());
    t.still_serves();
}

TEST_CASE("Server: invalid bodies get an error reply and never reach the handler", "[idl]") {
    ServerSide t;
    struct Case {
        const char* what;
        mk::u8 method;
        Bytes body;
        Error expect;
    };
    Bytes bad_bool = encoded(K::ScalarsParams{});
    bad_bool[0] = 2;
    Bytes bad_enum = encoded(K::ScalarsParams{});
    bad_enum[31] = 3;
    Bytes truncated = encoded(K::ScalarsParams{});
    truncated.pop_back();
    Bytes trailing = bytes_body(1, 0, "");
    trailing.push_back(0);
    Bytes unterminated = bytes_body(0, 3, "abcd", false);
    Bytes inner_nul = bytes_body(0, 3, std::string("a\0c", 3));
    K::ListsParams lists;
    REQUIRE(lists.flags.push(true).ok());
    REQUIRE(lists.colors.push(k::Color::Green).ok());
    Bytes list_bool = encoded(lists);
    list_bool[2] = 5;  // the one flag
    Bytes list_enum = encoded(lists);
    list_enum[5] = 3;  // the one colour (low byte)
    Bytes list_long = encoded(lists);
    list_long[0] = 65;  // 65 flags of at most 64
    const Case cases[] = {
        {"Bool other than 0 or 1", kScalars, bad_bool, Error::BadMessage},
        {"enum value out of range", kScalars, bad_enum, Error::BadEnum},
        {"message cut short", kScalars, truncated, Error::Truncated},
        {"bytes after the last field", kBytes, trailing, Error::BadMessage},
        {"Text above its maxLength", kBytes, bytes_body(0, 201, std::string(201, 't')), Error::TooLong},
        {"Data above its maxLength", kBytes, bytes_body(1001, 0, ""), Error::TooLong},
        {"Text without its NUL", kBytes, unterminated, Error::BadMessage},
        {"Text containing a NUL", kBytes, inner_nul, Error::BadMessage},
        {"Text length beyond the message", kBytes, bytes_body(0, 9, "ab", false), Error::Truncated},
        {"Bool in a list", kLists, list_bool, Error::BadMessage},
        {"enum in a list", kLists, list_enum, Error::BadEnum},
        {"List above its maxLength", kLists, list_long, Error::TooLong},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(t.request(c.method, c.body) == c.expect);
        CHECK(t.error_reply() == c.expect);
        t.still_serves();
    }
    CHECK(t.impl.noops == static_cast<int>(std::size(cases)));

    // A one-way request with a bad body is dropped without a reply.
    CHECK(t.request(kNotify, {1}) == Error::Truncated);
    CHECK(t.ch.down.q.empty());
    CHECK(t.impl.notes.empty());
}

TEST_CASE("Client: replies that match no call, or do not decode, are rejected", "[idl]") {
    Channel ch;
    k::KitchenClient<Port, 4> client(ch.client);
    K::ScalarsResults r;
    auto call = [&] {
        auto id = client.scalars(K::ScalarsParams{}, &r);
        REQUIRE(id.ok());
        ch.up.q.clear();  // no server: the test answers
        return *id;
    };
    const Bytes good = encoded(K::ScalarsResults{});

    CallId id = call();
    CHECK(client.accept(fragments(header(kScalars, id), good)[0]).error() == Error::BadMessage);
    CHECK(client.accept(fragments(header(kScalars, id + 1, true), good)[0]).error() ==
          Error::BadMessage);  // no such call
    CHECK(client.accept(fragments(header(kNoop, id, true), {})[0]).error() ==
          Error::BadMessage);  // the call is not a noop
    CHECK(client.accept(fragments(header(kNotify, id, true), {})[0]).error() ==
          Error::BadMessage);  // one-way methods have no replies
    CHECK(client.status(id).error() == Error::Empty);  // still waiting
    REQUIRE(client.accept(fragments(header(kScalars, id, true), good)[0]).ok());
    CHECK(client.status(id).ok());

    id = call();
    Bytes bad = good;
    bad[31] = 9;
    CHECK(client.accept(fragments(header(kScalars, id, true), bad)[0]).error() == Error::BadEnum);
    CHECK(client.status(id).error() == Error::BadEnum);

    id = call();
    Header err = header(kScalars, id, true);
    err.error = true;
    CHECK(client.accept(fragments(err, {0xf0, 0xff})[0]).error() == Error::BadMessage);
    CHECK(client.status(id).error() == Error::BadMessage);

    id = call();
    CHECK(client.accept(fragments(err, {static_cast<mk::u8>(Error::NoRights), 0})[0]).error() ==
          Error::BadMessage);  // err names the previous call
    err.call = id;
    REQUIRE(client.accept(fragments(err, {static_cast<mk::u8>(Error::NoRights), 0})[0]).ok());
    CHECK(client.status(id).error() == Error::NoRights);

    id = call();
    REQUIRE(client.accept(fragments(header(kScalars, id, true), good)[0]).ok());
    CHECK(client.status(id).ok());
    CHECK(client.stats().rejected == 7);
}
