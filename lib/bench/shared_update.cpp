// The hardware-free parts of the shared-state experiment; see shared_update.hpp.
#include "bench/shared_update.hpp"

namespace mk::bench {

bool record_holds(const RecordLine* record, u32 lines, u64 updates, u64 value_sum) {
    for (u32 l = 0; l < kMaxRecordLines; ++l) {
        const bool used = l < lines;
        if (record[l].w[0] != (used ? updates : 0)) return false;
        for (u32 k = 1; k < 8; ++k) {
            if (record[l].w[k] != (used ? value_sum * k : 0)) return false;
        }
    }
    return true;
}

namespace {

void sift_down(u64* v, usize root, usize n) {
    for (;;) {
        usize child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && v[child + 1] > v[child]) ++child;
        if (v[root] >= v[child]) return;
        const u64 t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

}  // namespace

void sort_u64(u64* v, usize n) {
    if (n < 2) return;
    for (usize i = n / 2; i-- > 0;) sift_down(v, i, n);
    for (usize end = n - 1; end > 0; --end) {
        const u64 t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

Summary summarize(u64* samples, usize n) {
    sort_u64(samples, n);
    // The nearest-rank percentile, as the other benchmarks take it.
    return Summary{samples[n / 2], samples[n * 99 / 100]};
}

urpc::Payload make_message(MsgKind kind, u64 a, u64 b) {
    urpc::Payload p{};
    p.w[0] = kMsgTag | static_cast<u64>(kind);
    p.w[1] = a;
    p.w[2] = b;
    return p;
}

Result<MsgKind> message_kind(const urpc::Payload& m) {
    const u64 kind = m.w[0] & 0xFFFF;
    if ((m.w[0] & ~u64{0xFFFF}) != kMsgTag || kind < static_cast<u64>(MsgKind::Ready) ||
        kind > static_cast<u64>(MsgKind::Applied)) {
        return Error::BadMessage;
    }
    return static_cast<MsgKind>(kind);
}

UpdateOwner::UpdateOwner(urpc::Endpoint* const* clients, u32 count, RecordLine* record, u32 lines,
                         u64 updates_per_client)
    : count_(count < kMaxClients ? count : kMaxClients),
      record_(record),
      lines_(lines),
      expected_(u64{count_} * updates_per_client) {
    for (u32 i = 0; i < count_; ++i) clients_[i] = clients[i];
}

Status UpdateOwner::reply(u32 client, const urpc::Payload& m) {
    // A client waits for each answer before it sends again, so its ring
    // back always has room; a full one means a misbehaving client.
    for (u32 tries = 0; tries < 1000; ++tries) {
        Status s = clients_[client]->try_send(m);
        if (s.ok() || s.error() != Error::Full) return s;
        cpu_relax();
    }
    return Error::Full;
}

Status UpdateOwner::handle(u32 client, const urpc::Payload& m) {
    switch (TRY(message_kind(m))) {
        case MsgKind::Ready:
            if (is_ready_[client]) return Error::BadMessage;
            is_ready_[client] = true;
            ++ready_;
            return {};
        case MsgKind::Update:
            // In order, and only after Go: anything else is a protocol error.
            if (!go_sent_ || m.w[1] != next_seq_[client]) return Error::BadMessage;
            apply_update(record_, lines_, m.w[2]);
            ++next_seq_[client];
            ++applied_;
            return reply(client, make_message(MsgKind::Applied, m.w[1], applied_));
        default: return Error::BadMessage;
    }
}

Status UpdateOwner::poll() {
    for (u32 i = 0; i < count_; ++i) {
        // A few messages per client per round, so that one busy client
        // cannot starve the others.
        for (int budget = 0; budget < 4; ++budget) {
            auto m = clients_[i]->try_recv();
            if (!m.ok()) {
                if (m.error() != Error::Empty) return m.error();
                break;
            }
            TRY_STATUS(handle(i, *m));
        }
    }
    if (!go_sent_ && ready_ == count_) {
        go_sent_ = true;
        for (u32 i = 0; i < count_; ++i) TRY_STATUS(reply(i, make_message(MsgKind::Go)));
    }
    return {};
}

}  // namespace mk::bench
