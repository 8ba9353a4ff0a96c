// Domains that span cores, and TLB shootdown (docs/shootdown.md).
//
// Home side (the monitor that started the program): Local.span sends the
// program's Pml4 to another core's monitor (MonitorPeer.spanStart), which
// runs a dispatcher of the program there in that same address space; the
// home monitor remembers which cores the program spans. Local.shootdown
// multicasts MonitorPeer.shootdown to every one of them and answers only when
// each has acknowledged. When the program ends, MonitorPeer.spanEnd ends its
// dispatchers everywhere before the program counts as ended.
//
// Span side: a span is a Dispatcher made from this monitor's memory, with a
// capability space of its own (an empty CNode) and a dispatcher frame from
// this monitor's memory too, so the CPU driver here never writes into memory
// the domain could take away; only the page tables are the home core's. The
// page tables change only on the home core: nothing here holds a capability
// that could map or unmap in them (the Dispatcher's own copy of the Pml4 is
// not invocable).
#include "mem/page_table.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

using namespace mk::user;

constexpr usize kMaxSpans = 16;           // dispatchers of other cores' domains on this core
constexpr u64 kSpanFrameVa = 0x23000000000;  // their dispatcher frames, a page each, by span

struct SpanHere {
    bool used;
    bool ended;
    u64 domain;
    u32 home;
    u32 dispatcher, cspace, vspace, frame;
};
SpanHere g_spans[kMaxSpans] = {};
u64 g_shootdowns_served = 0;

Status ok_or(Error e) { return e == Error::Ok ? Status{} : Status{e}; }

SpanHere* find_span(u64 domain) {
    for (SpanHere& s : g_spans) {
        if (s.used && s.domain == domain) return &s;
    }
    return nullptr;
}

// Deletes what a span holds but its frame (the home program has a copy of
// it mapped; this monitor never reuses the page). Deleting the Dispatcher
// ends it if it still runs: the CPU driver retires it and drops its copies
// of the capability space and the Pml4.
void release(SpanHere& s) {
    for (u32 cap : {s.dispatcher, s.cspace, s.vspace}) {
        if (cap != 0) (void)remove(cap);  // 0 would name our own root CNode: never made
    }
    s.ended = true;
}

u64 frame_va(usize index) { return kSpanFrameVa + index * kPageSize; }

// Waits for the replies of calls to several peers at once, serving
// everything else meanwhile. Returns how many answered Ok; `first_error`
// keeps the first failure.
template <usize N>
u32 wait_peers(const u32 (&cores)[N], const idl::CallId (&ids)[N], bool (&waiting)[N], usize count, Status& first_error) {
    u32 ok = 0;
    u64 until = deadline();
    for (bool any = true; any;) {
        serve_all();
        any = false;
        for (usize i = 0; i < count; ++i) {
            if (!waiting[i]) continue;
            auto* client = peer_client(cores[i]);
            Status s = client->status(ids[i]);
            if (s.error() == Error::Empty && rdtsc() < until) {
                any = true;
                continue;
            }
            if (s.error() == Error::Empty) {
                client->cancel(ids[i]);
                s = Error::Timeout;
            }
            if (s.ok()) ++ok;
            else if (first_error.ok()) first_error = s;
            waiting[i] = false;
        }
        if (any) idle_wait();
    }
    return ok;
}

}  // namespace

// ---- home side ----

Status span_domain(u64 domain, u32 child_root, u32 core, u64 entry, u64 stack_top, u64 arg, u32 frame_slot,
                   u64& spans) {
    if (core >= g_self.cores) return Error::OutOfRange;
    if (core == g_self.core || entry == 0 || entry >= mem::kUserTop || stack_top >= mem::kUserTop) {
        return Error::InvalidArgument;
    }
    if ((spans >> core) & 1) return Error::Busy;
    auto* client = peer_client(core);
    if (client == nullptr) return Error::NotFound;
    // The frame's slot must be empty before anything starts: a span whose
    // frame cannot be handed over would run with no way to install a handler.
    u32 probe = TRY(g_self.slots->next());
    if (take_from_child(child_root, frame_slot, probe).ok()) {
        (void)remove(probe);
        return Error::SlotOccupied;
    }
    u32 vspace = TRY(g_self.slots->next());
    TRY_STATUS(take_from_child(child_root, abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace), vspace));
    abi::CapIdentity id{};
    Status s = ok_or(identify(vspace, id));
    if (s.ok() && id.type != u64(CapType::Pml4)) s = Error::WrongType;
    if (s.ok()) s = ok_or(invoke(kKernel, abi::kKernelMarkRemote, vspace).error);
    (void)remove(vspace);  // the program's copy (and the dispatcher's) stay, marked
    TRY_STATUS(s);
    midl::MonitorPeer::SpanStartResults r{};
    auto call = client->span_start(domain, id.base, entry, stack_top, arg, &r);
    if (!call.ok()) return call.error();
    (void)client->poll(0);  // flush only: requests on this channel are the server's
    const u32 cores[1] = {core};
    const idl::CallId ids[1] = {*call};
    bool waiting[1] = {true};
    Status failed{};
    if (wait_peers(cores, ids, waiting, 1, failed) != 1) return failed;
    spans |= u64{1} << core;  // from here on, shootdowns go there
    // The span's frame: a copy here, placed in the program's slot.
    u32 frame = TRY(g_self.slots->next());
    auto rights = static_cast<u32>(kRead | kWrite);
    s = ok_or(invoke(kKernel, abi::kKernelCapCreate, frame, u64(CapType::Frame) | (u64{rights} << 8), r.frame_base,
                     r.frame_bytes).error);
    if (s.ok()) s = place_in_child(child_root, frame_slot, frame);
    (void)remove(frame);
    return s;
}

Result<u32> shootdown_domain(u64 domain, u64 spans, u64 vaddr, u64 pages) {
    if (!is_aligned(vaddr, kPageSize) || pages == 0) return Error::InvalidArgument;
    if (vaddr >= mem::kUserTop || pages > (mem::kUserTop - vaddr) / kPageSize) return Error::OutOfRange;
    if (spans == 0) return Error::NotFound;
    // The multicast: every request goes out before any reply is awaited, and
    // wake_peers (in serve_all) interrupts the cores whose monitors wait.
    u32 cores[kMaxCores] = {};
    idl::CallId ids[kMaxCores] = {};
    bool waiting[kMaxCores] = {};
    usize count = 0;
    Status failed{};
    for (u32 c = 0; c < g_self.cores; ++c) {
        if (((spans >> c) & 1) == 0) continue;
        auto* client = peer_client(c);
        auto call = client != nullptr ? client->shootdown(domain, vaddr, pages) : Result<idl::CallId>(Error::NotFound);
        if (!call.ok()) {
            if (failed.ok()) failed = call.error();
            continue;
        }
        (void)client->poll(0);
        cores[count] = c;
        ids[count] = *call;
        waiting[count] = true;
        ++count;
    }
    wake_peers();
    u32 acked = wait_peers(cores, ids, waiting, count, failed);
    if (!failed.ok()) return failed.error();
    return acked;
}

void end_spans(u64 domain, u64& spans) {
    u32 cores[kMaxCores] = {};
    idl::CallId ids[kMaxCores] = {};
    bool waiting[kMaxCores] = {};
    usize count = 0;
    for (u32 c = 0; c < g_self.cores; ++c) {
        if (((spans >> c) & 1) == 0) continue;
        auto* client = peer_client(c);
        auto call = client != nullptr ? client->span_end(domain) : Result<idl::CallId>(Error::NotFound);
        if (!call.ok()) {
            printf("span of domain %lx on core %u not ended: %s", domain, c, error_name(call.error()));
            continue;
        }
        (void)client->poll(0);
        cores[count] = c;
        ids[count] = *call;
        waiting[count] = true;
        ++count;
    }
    wake_peers();
    Status failed{};
    if (wait_peers(cores, ids, waiting, count, failed) != count) {
        printf("ending the spans of domain %lx: %s", domain, error_name(failed.error()));
    }
    spans = 0;
}

// ---- span side ----

Status span_here(u32 home, const midl::MonitorPeer::SpanStartParams& p, midl::MonitorPeer::SpanStartResults& r) {
    if ((p.domain >> 32) != home) return Error::InvalidArgument;  // a monitor speaks for its own domains only
    if (find_span(p.domain) != nullptr) return Error::Busy;
    SpanHere* s = nullptr;
    usize index = 0;
    for (; index < kMaxSpans; ++index) {
        if (!g_spans[index].used) {
            s = &g_spans[index];
            break;
        }
    }
    if (s == nullptr) return Error::Full;
    // The frame first: it is this monitor's memory, mapped here to fill in
    // the start fields (a frame slot once used is never reused, like its page).
    SpanHere made{true, false, p.domain, home, 0, 0, 0, 0};
    made.frame = TRY(g_self.ram->make(u32(CapType::Frame), 12));
    if (Status m = g_self.space->map_frame(frame_va(index), made.frame, abi::kMapWrite); !m.ok()) {
        (void)remove(made.frame);
        return m;
    }
    auto* df = reinterpret_cast<abi::DispatcherFrame*>(frame_va(index));
    // Entered as compiled code expects to be called: RSP + 8 aligned to 16.
    df->start_sp = (p.stack_top & ~u64{15}) - 8;
    df->start_arg = p.arg;
    __builtin_memcpy(df->start_name, "span", 5);
    auto vspace = g_self.slots->next();
    made.vspace = vspace.value_or(0);
    Status st = !vspace.ok() ? Status{vspace.error()} : ok_or(invoke(kKernel, abi::kKernelCapCreate, made.vspace,
                             u64(CapType::Pml4) | (u64(kRead | kWrite) << 8), p.pml4_base, kPageSize).error);
    if (st.ok()) st = ok_or(invoke(kKernel, abi::kKernelMarkRemote, made.frame).error);  // the home gets a copy
    auto cspace = st.ok() ? g_self.ram->make(u32(CapType::CNode), 10) : Result<u32>(st.error());  // 16 empty slots
    auto disp = cspace.ok() ? g_self.ram->make(u32(CapType::Dispatcher), 10) : Result<u32>(cspace.error());
    if (disp.ok()) {
        made.cspace = *cspace;
        made.dispatcher = *disp;
        st = ok_or(invoke(made.dispatcher, abi::kDispatcherSetup, made.cspace, made.vspace, made.frame, p.entry).error);
    } else {
        st = disp.error();
    }
    abi::CapIdentity id{};
    if (st.ok()) st = ok_or(identify(made.frame, id));
    if (!st.ok()) {
        release(made);
        (void)g_self.space->unmap_page(frame_va(index));
        (void)remove(made.frame);
        return st;
    }
    *s = made;
    r.frame_base = id.base;
    r.frame_bytes = id.bytes;
    return {};
}

Status shootdown_here(u32 home, u64 domain, u64 vaddr, u64 pages) {
    if ((domain >> 32) != home) return Error::InvalidArgument;
    // This monitor runs, so no span does on this core: flush, then acknowledge.
    Error e = invoke(kKernel, abi::kKernelFlushTlb, vaddr, pages).error;
    if (e == Error::Ok) ++g_shootdowns_served;
    return ok_or(e);
}

Status span_end_here(u32 home, u64 domain) {
    if ((domain >> 32) != home) return Error::InvalidArgument;
    SpanHere* s = find_span(domain);
    if (s == nullptr) return Error::NotFound;
    if (!s->ended) release(*s);
    // The home program keeps its copy of the frame; this monitor never hands
    // the page out again (its allocator does not reuse memory).
    (void)g_self.space->unmap_page(frame_va(static_cast<usize>(s - g_spans)));
    (void)remove(s->frame);
    s->used = false;
    return {};
}

void serve_spans() {
    for (SpanHere& s : g_spans) {
        if (!s.used || s.ended) continue;
        SyscallResult st = invoke(s.dispatcher, abi::kDispatcherStatus);
        if (st.error == Error::Ok && (st.value & 1) != 0) release(s);
    }
}

}  // namespace mk::monitor
