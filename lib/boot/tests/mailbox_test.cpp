#include <catch2/catch.hpp>

#include <thread>

#include "boot/mailbox.hpp"

using namespace mk;
using namespace mk::boot;

TEST_CASE("Mailbox: one message in flight each way, acked by the receiver's own line", "[boot]") {
    MailboxFrame frame{};
    auto bsp = MailboxEnd::bsp_side(&frame);
    auto core = MailboxEnd::core_side(&frame);
    Mail m{};
    CHECK_FALSE(core.try_recv(m));
    REQUIRE(bsp.try_send({kMailPing, {7}}));
    CHECK_FALSE(bsp.try_send({kMailPing, {8}}));  // not consumed yet
    REQUIRE(core.try_recv(m));
    CHECK(m.kind == kMailPing);
    CHECK(m.arg[0] == 7);
    CHECK_FALSE(core.try_recv(m));  // no duplicate delivery
    REQUIRE(bsp.try_send({kMailPing, {8}}));
    REQUIRE(core.try_recv(m));
    CHECK(m.arg[0] == 8);
    // The receiver only ever wrote its own line.
    CHECK(frame.to_bsp.seq == 0);
    CHECK(frame.to_bsp.ack == 2);
}

TEST_CASE("Mailbox: two threads ping-pong 200000 messages in order", "[boot]") {
    MailboxFrame frame{};
    constexpr u64 kCount = 200000;
    u64 core_sum = 0;
    std::thread core_thread([&] {
        auto core = MailboxEnd::core_side(&frame);
        for (u64 i = 0; i < kCount; ++i) {
            Mail m{};
            while (!core.try_recv(m)) cpu_relax();
            core_sum += m.arg[0];
            while (!core.try_send({kMailPong, {m.arg[0] * 2}})) cpu_relax();
        }
    });
    auto bsp = MailboxEnd::bsp_side(&frame);
    u64 mismatches = 0;
    for (u64 i = 0; i < kCount; ++i) {
        while (!bsp.try_send({kMailPing, {i}})) cpu_relax();
        Mail m{};
        while (!bsp.try_recv(m)) cpu_relax();
        if (m.kind != kMailPong || m.arg[0] != i * 2) ++mismatches;
    }
    core_thread.join();
    CHECK(mismatches == 0);
    CHECK(core_sum == kCount * (kCount - 1) / 2);
}
