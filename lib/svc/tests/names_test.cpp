// The name table: names in update words, registrations agreed by every
// replica, lookups that read the local replica.
#include "net.hpp"
#include "svc/names.hpp"

#include <string>

using namespace svc_test;

TEST_CASE("Names: what is a name, and its encoding in three words", "[svc]") {
    CHECK(svc::valid_name("kv"));
    CHECK(svc::valid_name("a-b_c9"));
    CHECK(svc::valid_name("abcdefghijklmnopqrstuvw"));  // 23
    CHECK_FALSE(svc::valid_name("abcdefghijklmnopqrstuvwx"));  // 24
    CHECK_FALSE(svc::valid_name(""));
    CHECK_FALSE(svc::valid_name("Kv"));
    CHECK_FALSE(svc::valid_name("k v"));
    CHECK_FALSE(svc::valid_name("k/v"));
    u64 w[3];
    for (const char* n : {"kv", "abcdefgh", "abcdefghi", "abcdefghijklmnopqrstuvw"}) {
        REQUIRE(svc::pack_name(n, w));
        char back[svc::kMaxName + 1];
        REQUIRE(svc::unpack_name(w, back));
        CHECK(std::string(back) == n);
    }
    CHECK_FALSE(svc::pack_name("Bad", w));
    u64 junk[3] = {'k' | (u64{'v'} << 8), 0, 0x100};  // bytes after the terminator
    char out[svc::kMaxName + 1];
    CHECK_FALSE(svc::unpack_name(junk, out));
    u64 upper[3] = {'K', 0, 0};
    CHECK_FALSE(svc::unpack_name(upper, out));
    u64 empty[3] = {0, 0, 0};
    CHECK_FALSE(svc::unpack_name(empty, out));
}

TEST_CASE("Names: registrations from every core reach every replica", "[svc]") {
    for (u64 seed = 0; seed < 8; ++seed) {
        Replicas<svc::NameTable> r(6, agree::Topology::flat(6), seed);
        // Every core registers "kv"; even cores also "log"; core 3 withdraws from "kv" afterwards.
        for (u8 c = 0; c < 6; ++c) {
            REQUIRE(r.state(c).propose(*svc::NameTable::make(svc::NameAction::Register, "kv")).ok());
            if (c % 2 == 0) REQUIRE(r.state(c).propose(*svc::NameTable::make(svc::NameAction::Register, "log")).ok());
        }
        r.run();
        REQUIRE(r.state(3).propose(*svc::NameTable::make(svc::NameAction::Withdraw, "kv")).ok());
        r.run();
        for (u8 c = 0; c < 6; ++c) {
            CHECK(r.machine(c).lookup("kv") == 0b110111);
            CHECK(r.machine(c).lookup("log") == 0b010101);
            CHECK(r.machine(c).lookup("nope") == 0);
            CHECK(r.machine(c).size() == 2);
            CHECK(r.state(c).digest() == r.state(0).digest());
        }
    }
}

TEST_CASE("Names: a full table refuses a new name on every replica", "[svc]") {
    Replicas<svc::NameTable> r(2, agree::Topology::flat(2), 5);
    for (usize i = 0; i < svc::NameTable::kMaxNames; ++i) {
        std::string n = "s" + std::to_string(i);
        REQUIRE(r.state(i % 2).propose(*svc::NameTable::make(svc::NameAction::Register, n.c_str())).ok());
    }
    r.run();
    u32 refused = *r.state(1).propose(*svc::NameTable::make(svc::NameAction::Register, "onemore"));
    u32 again = *r.state(1).propose(*svc::NameTable::make(svc::NameAction::Register, "s0"));  // known: fine
    r.run();
    CHECK(r.state(1).status(refused).error() == Error::NoRights);
    CHECK(r.state(1).status(again).ok());
    for (u8 c = 0; c < 2; ++c) {
        CHECK(r.machine(c).size() == svc::NameTable::kMaxNames);
        CHECK(r.machine(c).lookup("onemore") == 0);
        CHECK(r.machine(c).lookup("s0") == 0b11);
    }
    const char* name = nullptr;
    u64 cores = 0;
    REQUIRE(r.machine(0).entry(0, name, cores));
    CHECK(std::string(name) == "s0");
    CHECK_FALSE(r.machine(0).entry(svc::NameTable::kMaxNames, name, cores));
    CHECK(svc::NameTable::make(svc::NameAction::Register, "Not a name").error() == Error::InvalidArgument);
}
