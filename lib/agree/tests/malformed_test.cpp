// Messages that must not happen: each gets a named Receipt and leaves the
// receiving engine, its application and the network exactly as they were.
#include <cstring>

#include "cluster.hpp"

using namespace agree_test;

namespace {

// Everything observable about a cluster, as numbers.
std::vector<u64> snapshot(Cluster& cl) {
    std::vector<u64> v;
    for (u8 c = 0; c < cl.topo.cores(); ++c) {
        Engine& e = cl.engine(c);
        v.push_back(e.clock());
        v.push_back(u64(e.state()));
        v.push_back(e.stats().sent_total());
        for (u8 k = 0; k < cl.topo.cores(); ++k) {
            const Slot& s = e.slot(k);
            v.insert(v.end(), {u64(s.phase), s.locked, s.vote_sent, s.ack_sent, u64(s.local), u64(s.combined),
                               s.attempt, s.answers, s.seq, s.stamp, s.votes_pending, s.acks_pending});
        }
        CounterApp& a = cl.app(c);
        v.insert(v.end(), {u64(a.prepares), u64(a.commits), u64(a.aborts), u64(a.reserved), a.value});
    }
    v.push_back(cl.pending());
    return v;
}

void expect_rejected(Cluster& cl, u8 to, const Message& m, Receipt expected) {
    const auto before = snapshot(cl);
    CHECK(receipt_name(cl.engine(to).receive(m)) == std::string(receipt_name(expected)));
    CHECK(snapshot(cl) == before);
}

// A cluster of three on a flat topology, core 0 coordinating; stopped after
// the prepares reached cores 1 and 2 (their votes are queued).
struct Prepared {
    Cluster cl{Topology::flat(3)};
    Message prepare;
    Prepared() {
        REQUIRE(cl.engine(0).start(key_op(0, 10)).ok());
        prepare = cl.channel(0, 1).front();
        REQUIRE(cl.deliver(0, 1) == Receipt::Accepted);
        REQUIRE(cl.deliver(0, 2) == Receipt::Accepted);
    }
    Message make(Kind k, u8 from) const {
        Message m = prepare;
        m.kind = k;
        m.from = from;
        if (k != Kind::Prepare) m.op = Op{};
        return m;
    }
};

}  // namespace

TEST_CASE("Bad core numbers and senders", "[agree]") {
    Prepared p;
    Message m = p.make(Kind::Vote, 1);
    m.from = 3;
    expect_rejected(p.cl, 0, m, Receipt::BadCore);
    m = p.make(Kind::Vote, 1);
    m.coordinator = 200;
    expect_rejected(p.cl, 0, m, Receipt::BadCore);
    // A message from the receiver itself.
    expect_rejected(p.cl, 1, p.make(Kind::Commit, 1), Receipt::BadSender);
    // A decision not from the tree parent (core 2 is no parent of core 1).
    expect_rejected(p.cl, 1, p.make(Kind::Abort, 2), Receipt::BadSender);
    // A vote from a core that is not a child of the receiver.
    expect_rejected(p.cl, 1, p.make(Kind::Vote, 2), Receipt::BadSender);
    // A prepare for core 0's operation coming from core 2.
    expect_rejected(p.cl, 1, p.make(Kind::Prepare, 2), Receipt::BadSender);
}

TEST_CASE("Unknown kinds, votes, reserved fields and invalid operations", "[agree]") {
    Prepared p;
    Message m = p.make(Kind::Vote, 1);
    m.kind = Kind(0);
    expect_rejected(p.cl, 0, m, Receipt::BadKind);
    m.kind = Kind(9);
    expect_rejected(p.cl, 0, m, Receipt::BadKind);
    m = p.make(Kind::Vote, 1);
    m.vote = Vote(3);
    expect_rejected(p.cl, 0, m, Receipt::BadKind);
    m = p.make(Kind::Vote, 1);
    m.reserved32 = 1;
    expect_rejected(p.cl, 0, m, Receipt::Malformed);
    // Answers travel only in votes and commits.
    m = p.make(Kind::Ack, 1);
    m.answers = 1;
    expect_rejected(p.cl, 0, m, Receipt::Malformed);
    // A vote carrying an operation body, an ack carrying a vote.
    m = p.make(Kind::Vote, 1);
    m.op.arg[0] = 1;
    expect_rejected(p.cl, 0, m, Receipt::Malformed);
    m = p.make(Kind::Ack, 1);
    m.vote = Vote::Refused;
    expect_rejected(p.cl, 0, m, Receipt::Malformed);
    // The same attempt with another stamp.
    m = p.make(Kind::Vote, 1);
    m.stamp += 1;
    expect_rejected(p.cl, 0, m, Receipt::Malformed);
    // A prepare for a new operation the application cannot decode.
    Cluster fresh(Topology::flat(2));
    m = p.make(Kind::Prepare, 0);
    m.op.family = 99;
    expect_rejected(fresh, 1, m, Receipt::Malformed);
    // A repeated prepare whose body changed.
    m = p.make(Kind::Prepare, 0);
    m.op.arg[1] = 11;
    expect_rejected(p.cl, 1, m, Receipt::Malformed);
}

TEST_CASE("Steps for attempts that were never prepared", "[agree]") {
    Prepared p;
    Message m = p.make(Kind::Commit, 0);
    m.seq += 1;
    expect_rejected(p.cl, 1, m, Receipt::UnknownOp);
    m = p.make(Kind::Vote, 1);
    m.attempt += 1;
    expect_rejected(p.cl, 0, m, Receipt::UnknownOp);
    // Core 2 never saw anything from coordinator 1.
    m = p.make(Kind::Abort, 1);
    m.coordinator = 1;
    expect_rejected(p.cl, 2, m, Receipt::UnknownOp);
}

TEST_CASE("Steps out of order: wrong phase", "[agree]") {
    Prepared p;
    // An ack before any decision.
    expect_rejected(p.cl, 0, p.make(Kind::Ack, 1), Receipt::WrongPhase);
    // A prepare for the next attempt before this one is over.
    Message m = p.make(Kind::Prepare, 0);
    m.attempt += 1;
    expect_rejected(p.cl, 1, m, Receipt::WrongPhase);
    // A commit to a core that voted no.
    Cluster cl(Topology::flat(2));
    cl.app(1).refuse = true;
    REQUIRE(cl.engine(0).start(key_op(0, 10)).ok());
    const Message prep = cl.channel(0, 1).front();
    REQUIRE(cl.deliver(0, 1) == Receipt::Accepted);
    Message commit = prep;
    commit.kind = Kind::Commit;
    commit.op = Op{};
    expect_rejected(cl, 1, commit, Receipt::WrongPhase);
    // After the abort: a contradicting commit is refused, a repeated abort ignored.
    cl.run();
    expect_rejected(cl, 1, commit, Receipt::WrongPhase);
    Message abort = commit;
    abort.kind = Kind::Abort;
    expect_rejected(cl, 1, abort, Receipt::Duplicate);
}

TEST_CASE("Receipt names are printable", "[agree]") {
    for (u8 r = 0; r <= u8(Receipt::WrongPhase); ++r) CHECK(std::string(receipt_name(Receipt(r))) != "Unknown");
    CHECK(std::string(kind_name(Kind::Ack)) == "Ack");
    CHECK(std::string(vote_name(Vote::Conflict)) == "Conflict");
    CHECK(std::string(phase_name(Phase::Waiting)) == "Waiting");
}
