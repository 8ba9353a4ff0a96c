// Names and channels across cores (docs/services/names.md): every core's
// copy registers `probe-<core>` with its monitor (an agreed operation of
// every monitor), then looks up every other core's name in its own
// monitor's replica of the table and must find exactly that core. Then each
// opens a channel to the next core's copy by name (Local.connect), takes the
// one the previous core opened to it (Local.acceptChannel) and exchanges a
// message on both. The refusals: bad names, unknown services, cores that do
// not exist.
#include "check.hpp"
#include "svc/service.hpp"

using namespace mk;
using mk::guest_test::check;
using mk::guest_test::g_failed;
using mk::guest_test::g_passed;
namespace midl = mk::idl::monitor;

namespace {

constexpr u64 kMagic = 0x4e414d4500000000;

void name_of(u32 core, char (&out)[16]) {
    const char prefix[] = "probe-";
    usize n = 0;
    for (; prefix[n] != '\0'; ++n) out[n] = prefix[n];
    char digits[4];
    usize k = 0;
    do digits[k++] = static_cast<char>('0' + core % 10); while ((core /= 10) != 0);
    while (k > 0) out[n++] = digits[--k];
    out[n] = '\0';
}

Status lookup(svc::Domain& d, const char* name, midl::Local::LookupResults& r) {
    midl::Local::LookupParams p;
    TRY_STATUS(p.name.assign(name));
    return d.ask(d.monitor().lookup(p, &r));
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    svc::Domain& d = svc::Domain::get();
    check(d.open().ok(), "a channel to the monitor");
    char mine[16];
    name_of(core, mine);
    midl::Local::RegisterNameParams reg;
    check(reg.name.assign(mine).ok() && d.ask(d.monitor().register_name(reg)).ok(), "register our name");
    midl::Local::LookupResults r{};
    check(lookup(d, mine, r).ok() && r.cores == (u64{1} << core) && r.planned == 0,
          "our own name is in our monitor's table, on our core only");

    // Every other core's name, registered there, found here.
    u32 found = 0;
    u64 until = svc::rdtsc() + 30 * svc::tsc_hz();
    for (u32 k = 0; k < cores; ++k) {
        char theirs[16];
        name_of(k, theirs);
        for (;;) {
            midl::Local::LookupResults q{};
            Status s = lookup(d, theirs, q);
            if (s.ok() && q.cores == (u64{1} << k)) {
                ++found;
                break;
            }
            if (!s.ok() || q.cores != 0 || svc::rdtsc() > until) break;
            for (int i = 0; i < 20; ++i) user::yield();
        }
    }
    check(found == cores, "every core's name found on this core, with its core");

    // Refusals.
    check(lookup(d, "no-such-service", r).ok() && r.cores == 0 && r.planned == 0, "an unknown name: no cores");
    check(lookup(d, "Bad Name", r).error() == Error::InvalidArgument, "lookup of a malformed name is refused");
    midl::Local::RegisterNameParams bad;
    check(bad.name.assign("toolongtoolongtoolongtoo").error() == Error::TooLong, "a 24-character name does not fit");
    check(bad.name.assign("UPPER").ok() && d.ask(d.monitor().register_name(bad)).error() == Error::InvalidArgument,
          "register of a malformed name is refused");
    check(d.connect("no-such-service", core).error() == Error::NotFound, "connect to an unknown service: NotFound");
    check(d.connect(mine, cores).error() == Error::OutOfRange, "connect beyond the cores: OutOfRange");
    u32 other = (core + 1) % cores;
    if (cores > 1) {
        check(d.connect(mine, other).error() == Error::NotFound, "connect to a core where the name is not: NotFound");
    }

    // A channel to the next core's copy, by name; and the previous core's to us.
    char next_name[16];
    name_of(other, next_name);
    auto out = d.connect(next_name, other, 7);
    check(out.ok(), "connect to the next core's copy");
    auto slot = d.slot();
    midl::Local::AcceptChannelResults acc{};
    until = svc::rdtsc() + 30 * svc::tsc_hz();
    while (slot.ok()) {
        Status s = d.ask(d.monitor().accept_channel(*slot, &acc));
        if (!s.ok() || acc.found || svc::rdtsc() > until) break;
        for (int i = 0; i < 20; ++i) user::yield();
    }
    u32 previous = (core + cores - 1) % cores;
    check(acc.found && acc.from_core == previous && acc.port == 7, "the previous core's channel arrived, with its port");
    if (out.ok() && acc.found) {
        auto in = d.map_channel(*slot);
        check(in.ok(), "map the accepted channel");
        if (in.ok()) {
            urpc::Endpoint a = urpc::Endpoint::init(**out, urpc::Side::A);
            urpc::Endpoint b = urpc::Endpoint::init(**in, urpc::Side::B);
            urpc::Payload p{};
            p.w[0] = kMagic | core;
            check(a.try_send(p).ok(), "send to the next core");
            bool got = false;
            until = svc::rdtsc() + 30 * svc::tsc_hz();
            while (!got && svc::rdtsc() < until) {
                auto m = b.try_recv();
                if (m.ok()) {
                    got = true;
                    check(m->w[0] == (kMagic | previous), "the previous core's message arrived intact");
                } else {
                    user::yield();
                }
            }
            check(got, "a message from the previous core");
        }
    }
    user::printf("NAMESTEST core=%u passed=%d failed=%d names=%u", core, g_passed, g_failed, found);
    return g_failed == 0 ? 0 : 1;
}
