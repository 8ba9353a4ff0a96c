// Instantiates generated clients and servers with guest-code flags (built
// as a static library by idl/meson.build, and by check_clang.py with clang):
// the stubs must compile freestanding, without exceptions, RTTI, heap or
// floating point. Nothing here runs.
#include "boot.urpc.hpp"
#include "kitchen_sink.urpc.hpp"

namespace idl_guest {

// A transport shaped like a same-core endpoint invocation.
struct Invocation {
    mk::Status try_send(const mk::idl::Payload&) { return mk::Error::Full; }
    mk::Result<mk::idl::Payload> try_recv() { return mk::Error::Empty; }
};

namespace b = mk::idl::boot;
namespace t = mk::idl::test;

struct BootImpl {
    mk::Status core_ready(const b::Boot::CoreReadyParams&, b::Boot::CoreReadyResults&) { return {}; }
    mk::Status ping(const b::Boot::PingParams& p, b::Boot::PingResults& r) {
        r.seq = p.seq;
        return {};
    }
    void shutdown(const b::Boot::ShutdownParams&) {}
    void core_alive(const b::Boot::CoreAliveParams&) {}
    void domains_ended(const b::Boot::DomainsEndedParams&) {}
};

struct KitchenImpl {
    using K = t::Kitchen;
    mk::Status scalars(const K::ScalarsParams&, K::ScalarsResults&) { return {}; }
    mk::Status shape(const K::ShapeParams&, K::ShapeResults&) { return {}; }
    mk::Status bytes(const K::BytesParams&, K::BytesResults&) { return {}; }
    mk::Status lists(const K::ListsParams&, K::ListsResults&) { return {}; }
    mk::Status attach(const K::AttachParams&, K::AttachResults&) { return {}; }
    void notify(const K::NotifyParams&) {}
    mk::Status defaults(const K::DefaultsParams&, K::DefaultsResults&) { return {}; }
    mk::Status named(const K::NamedParams&, K::NamedResults&) { return {}; }
    mk::Status noop(const K::NoopParams&, K::NoopResults&) { return {}; }
    mk::Status fail(const K::FailParams&, K::FailResults&) { return mk::Error::Busy; }
    mk::Status keywords(const K::KeywordsParams&, K::KeywordsResults&) { return {}; }
};

}  // namespace idl_guest

using namespace idl_guest;

// Referenced so that every member function is compiled.
template class b::BootClient<Invocation>;
template class b::BootServer<BootImpl, Invocation>;
template class t::KitchenClient<Invocation, 4, 1>;
template class t::KitchenServer<KitchenImpl, Invocation, 1>;

mk::Status idl_guest_check(Invocation& link, BootImpl& impl) {
    b::BootServer<BootImpl, Invocation> server(impl, link);
    b::BootClient<Invocation> client(link);
    b::Boot::PingResults r;
    const mk::u8 bytes[] = {1, 2, 3};
    mk::Result<mk::idl::CallId> id = client.ping(1, mk::Bytes(bytes, 3), &r);
    if (!id.ok()) return id.error();
    (void)server.poll();
    return client.wait(*id, 100);
}
