// Generated client and server talking over an in-memory channel: every
// method, replies matched by call id in any order, error replies, one-way
// calls, back-pressure from full rings, and the limits of the call table.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>

#include "fixture.hpp"

using namespace idltest;

namespace {

using Client = k::KitchenClient<Port, 8, 2>;
using Server = k::KitchenServer<KitchenImpl, Port, 2>;

struct Setup {
    Channel ch;
    KitchenImpl impl;
    Client client{ch.client};
    Server server{impl, ch.server};
    void run() { pump(ch, client, server); }
};

}  // namespace

TEST_CASE("Each method of the kitchen interface makes a round trip", "[idl]") {
    Setup t;
    K::ScalarsResults sr;
    K::ScalarsParams sp;
    sp.s.i64 = -123456789;
    sp.s.color = k::Color::Green;
    auto scalars = t.client.scalars(sp, &sr);
    REQUIRE(scalars.ok());
    t.run();
    REQUIRE(t.client.status(*scalars).ok());
    CHECK(sr.s == sp.s);

    K::ShapeParams shp;
    REQUIRE(shp.shape.name.assign("triangle").ok());
    REQUIRE(shp.shape.points.push(k::Point{2, 3}).ok());
    REQUIRE(shp.shape.points.push(k::Point{4, 5}).ok());
    K::ShapeResults shr;
    auto shape = t.client.shape(shp, &shr);
    REQUIRE(shape.ok());
    t.run();
    REQUIRE(t.client.status(*shape).ok());
    CHECK(shr.area == 26);
    CHECK(shr.shape == shp.shape);

    K::DefaultsResults dr;
    auto defaults = t.client.defaults(K::DefaultsParams{}, &dr);
    K::NamedResults nr;
    auto named = t.client.named(3, 4, &nr);
    auto noop = t.client.noop();
    K::KeywordsParams kp;
    kp.k.class_ = 9;
    K::KeywordsResults kr;
    auto keywords = t.client.keywords(kp, &kr);
    REQUIRE((defaults.ok() && named.ok() && noop.ok() && keywords.ok()));
    t.run();
    CHECK(t.client.status(*defaults).ok());
    CHECK((dr.a == 7 && dr.b && dr.c == k::Color::Green && dr.d == -5));
    CHECK(t.client.status(*named).ok());
    CHECK((nr.x == 4 && nr.y == 3));
    CHECK(t.client.status(*noop).ok());
    CHECK(t.impl.noops == 1);
    CHECK(t.client.status(*keywords).ok());
    CHECK(kr.k.class_ == 9);
    CHECK(t.client.calls_in_flight() == 0);
    CHECK(t.server.stats().rejected == 0);
    CHECK(t.client.stats().rejected == 0);
}

TEST_CASE("Messages of 26 fragments reassemble in both directions", "[idl]") {
    Setup t;
    std::vector<mk::u8> data(1000);
    for (mk::usize i = 0; i < data.size(); ++i) data[i] = static_cast<mk::u8>(i * 31);
    std::string note(200, 'x');
    K::BytesResults r;
    auto id = t.client.bytes(mk::Bytes(data.data(), data.size()), note.c_str(), &r);
    REQUIRE(id.ok());
    CHECK(t.ch.up.q.size() == 26);
    t.run();
    REQUIRE(t.client.status(*id).ok());
    CHECK(std::vector<mk::u8>(r.data.bytes, r.data.bytes + r.data.size) == data);
    CHECK(std::string(r.note.c_str()) == note);
    mk::u64 sum = 0;
    for (mk::u8 b : data) sum += b;
    CHECK(r.sum == sum);
    CHECK(t.server.stats().frames == 26);
    CHECK(t.client.stats().frames == 26);
    CHECK(t.client.stats().messages == 1);
}

TEST_CASE("Several outstanding calls are matched by call id, in any reply order", "[idl]") {
    Setup t;
    const int n = 6;
    K::BytesResults results[n];
    std::vector<mk::idl::CallId> ids;
    for (int i = 0; i < n; ++i) {
        // Sizes from 1 to 6 fragments, so replies differ in length too.
        std::vector<mk::u8> data(static_cast<mk::usize>(40 * i + 10), static_cast<mk::u8>(i + 1));
        std::string note = "call " + std::to_string(i);
        auto id = t.client.bytes(mk::Bytes(data.data(), data.size()), note.c_str(), &results[i]);
        REQUIRE(id.ok());
        ids.push_back(*id);
        (void)t.server.poll();  // the server answers; the client does not look yet
    }
    CHECK(t.client.calls_in_flight() == n);

    // Deliver whole reply messages in reverse order of the calls.
    std::map<mk::idl::CallId, std::vector<Payload>> by_call;
    std::vector<mk::idl::CallId> order;
    for (const Payload& p : t.ch.down.q) {
        mk::idl::CallId call = mk::idl::Header::unpack(p.w[0]).call;
        if (by_call[call].empty()) order.push_back(call);
        by_call[call].push_back(p);
    }
    REQUIRE(order.size() == n);
    t.ch.down.q.clear();
    std::reverse(order.begin(), order.end());
    for (mk::idl::CallId call : order) {
        for (const Payload& p : by_call[call]) t.ch.down.q.push_back(p);
    }
    (void)t.client.poll(1000);

    for (int i = 0; i < n; ++i) {
        REQUIRE(t.client.status(ids[i]).ok());
        CHECK(results[i].data.size == 40 * i + 10);
        CHECK(results[i].data.bytes[0] == i + 1);
        CHECK(std::string(results[i].note.c_str()) == "call " + std::to_string(i));
    }
}

TEST_CASE("A handler's error comes back as the call's status", "[idl]") {
    Setup t;
    auto bad_enum = t.client.fail(static_cast<mk::u16>(Error::BadEnum));
    auto revoked = t.client.fail(static_cast<mk::u16>(Error::Revoked));
    auto ok = t.client.fail(0);
    auto nonsense = t.client.fail(0xfff0);  // not an Error: the reply is invalid
    t.run();
    CHECK(t.client.status(*bad_enum).error() == Error::BadEnum);
    CHECK(t.client.status(*revoked).error() == Error::Revoked);
    CHECK(t.client.status(*ok).ok());
    CHECK(t.client.status(*nonsense).error() == Error::BadMessage);
    CHECK(t.client.stats().rejected == 1);
}

TEST_CASE("Results a handler cannot encode become a TooLong error reply", "[idl]") {
    Setup t;
    t.impl.break_results = true;
    const mk::u8 one[] = {1};
    auto id = t.client.bytes(mk::Bytes(one, 1), "n");
    t.run();
    CHECK(t.client.status(*id).error() == Error::TooLong);
}

TEST_CASE("One-way calls reach the handler and leave no call behind", "[idl]") {
    Setup t;
    REQUIRE(t.client.notify(7).ok());
    REQUIRE(t.client.notify(K::NotifyParams{8}).ok());
    CHECK(t.client.calls_in_flight() == 0);
    t.run();
    CHECK(t.impl.notes == std::vector<mk::u16>{7, 8});
    CHECK(t.ch.down.q.empty());
}

TEST_CASE("Full rings delay fragments but lose nothing", "[idl]") {
    Setup t;
    t.ch.up.capacity = 3;
    t.ch.down.capacity = 2;
    std::vector<mk::u8> data(1000, 0x5c);
    K::BytesResults r;
    auto id = t.client.bytes(mk::Bytes(data.data(), data.size()), "slow", &r);
    REQUIRE(id.ok());
    CHECK(t.ch.up.q.size() == 3);
    CHECK(t.client.sending());
    // A second call must wait for the first request to leave the outbox.
    CHECK(t.client.noop().error() == Error::Full);
    t.run();
    REQUIRE(t.client.status(*id).ok());
    CHECK(r.data.size == 1000);
    CHECK(r.sum == 1000u * 0x5c);
    CHECK(t.client.noop().ok());
}

TEST_CASE("The call table has limits, and status() tells every state apart", "[idl]") {
    Channel ch;
    KitchenImpl impl;
    k::KitchenClient<Port, 2> client(ch.client);
    Server server(impl, ch.server);
    auto a = client.noop();
    auto b = client.noop();
    REQUIRE((a.ok() && b.ok()));
    CHECK(*a != *b);
    CHECK(client.noop().error() == Error::Full);
    CHECK(client.status(*a).error() == Error::Empty);
    CHECK(client.wait(*a, 3).error() == Error::Timeout);
    CHECK(client.status(static_cast<mk::idl::CallId>(*a + 100)).error() == Error::InvalidArgument);

    client.cancel(*b);
    pump(ch, client, server);
    CHECK(client.status(*a).ok());
    CHECK(client.status(*a).error() == Error::InvalidArgument);  // reported once
    CHECK(client.stats().rejected == 1);  // the reply to the cancelled call
    CHECK(client.stats().last_error == Error::BadMessage);

    auto c = client.noop();
    REQUIRE(c.ok());
    (void)server.poll();
    CHECK(client.wait(*c).ok());
}

TEST_CASE("A request that does not encode sends nothing and records no call", "[idl]") {
    Setup t;
    K::BytesParams p;
    p.note.size = 201;
    CHECK(t.client.bytes(p).error() == Error::TooLong);
    std::string long_note(201, 'y');
    const mk::u8 one[] = {1};
    CHECK(t.client.bytes(mk::Bytes(one, 1), long_note.c_str()).error() == Error::TooLong);
    CHECK(t.ch.up.q.empty());
    CHECK(t.client.calls_in_flight() == 0);
    CHECK_FALSE(t.client.sending());
}

namespace {

// A transport in the style of mk::urpc::Endpoint whose ring is corrupt.
struct CorruptRing {
    Status try_send(const Payload&) { return {}; }
    mk::Result<Payload> try_recv() { return Error::BadMessage; }
};

}  // namespace

TEST_CASE("A transport's receive error comes out of poll()", "[idl]") {
    CorruptRing ring;
    KitchenImpl impl;
    k::KitchenClient<CorruptRing> client(ring);
    k::KitchenServer<KitchenImpl, CorruptRing> server(impl, ring);
    CHECK(client.poll().error() == Error::BadMessage);
    CHECK(server.poll().error() == Error::BadMessage);
    CHECK(client.stats().frames == 0);
}
