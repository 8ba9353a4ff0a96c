/*
 * agree.pml: the agreement engine's commit protocol (lib/agree/engine.cpp),
 * model-checked with Spin. See docs/agreement.md, "Model checking".
 *
 * Three cores on the flat topology. Cores 0 and 1 each coordinate one
 * operation, A (op 0) and B (op 1), and both operations claim the same key,
 * so they conflict on every core; core 2 only participates. Their priority
 * stamps are chosen nondeterministically (equal stamps: lower core wins).
 * Channels are FIFO per ordered pair of cores; Spin interleaves the cores
 * in every order, so messages on different channels arrive in every order.
 * Up to DUPS delivered messages are delivered a second time, later (the copy
 * goes to the back of its channel), as in the simulation. A coordinator
 * retries a conflict-aborted operation at most MAXATT times (the engine has
 * no limit; its backoff keeps retries apart in time, which a model without
 * time cannot express).
 *
 * Checked: conflicting claims are never locked together on a core; a core
 * commits only after its own Yes and never applies an operation twice;
 * every core applies the same decision; the older operation never receives
 * a Conflict (wait-die), so it always commits; both operations finish; no
 * deadlock (invalid end state) and no non-progress cycle.
 */

#ifndef DUPS
#define DUPS 1
#endif
#ifndef MAXATT
#define MAXATT 2
#endif

#define N 3
#define CH(f, t) ch[(f) * N + (t)]

mtype = { PREPARE, VOTE, COMMIT, ABORT, ACK };

/* Participant phases, as in engine.hpp. */
#define IDLE 0
#define WAITING 1
#define VOTED 2
#define COMMITTED 3
#define ABORTED 4
/* Votes. */
#define YES 0
#define CONFLICT 1
/* Coordinator states. */
#define COLLECT 0
#define ACKING 1
#define DONE 2
#define GAVEUP 3

chan ch[N * N] = [4] of { mtype, byte, byte, byte };  /* kind, op, attempt, vote */

byte stamp[2];
byte dups = DUPS;

/* Participant slots: [core * 2 + op]. */
byte ph[N * 2];
byte seen[N * 2];     /* attempt of the slot */
bool locked[N * 2];
byte lvote[N * 2];
byte applied[N * 2];  /* commits carried out */

/* Coordinators (cores 0 and 1, op = core). */
byte cst[2];
byte att[2];
byte votes[2];  /* bit per core that has voted (a repeat is recognised) */
byte worst[2];
byte acks[2];   /* bit per core that has acknowledged */
bool rootvote[2];  /* the root's own vote is decided and not yet counted */
bool recheck[N];   /* claims were released on this core: waiting slots look again */
byte first_commit[N] = 255;  /* the op each core committed first */
byte finished;

#define S(c, o) ((c) * 2 + (o))
#define older(a, b) (stamp[a] < stamp[b] || (stamp[a] == stamp[b] && (a) < (b)))

inline send(s_from, s_to, s_k, s_o, s_a, s_v) {
    CH(s_from, s_to)!s_k, s_o, s_a, s_v
}

/* Wait-die (engine.cpp, try_vote). */
inline try_vote(t_me, t_o) {
    if
    :: ph[S(t_me, t_o)] == WAITING ->
        if
        :: (locked[S(t_me, 1 - t_o)] || ph[S(t_me, 1 - t_o)] == WAITING) && older(1 - t_o, t_o) ->
            lvote[S(t_me, t_o)] = CONFLICT; ph[S(t_me, t_o)] = VOTED
        :: locked[S(t_me, 1 - t_o)] && !older(1 - t_o, t_o) -> skip  /* wait for the younger holder */
        :: else ->
            assert(!locked[S(t_me, 1 - t_o)]);
            locked[S(t_me, t_o)] = 1; lvote[S(t_me, t_o)] = YES; ph[S(t_me, t_o)] = VOTED
        fi;
        if
        :: ph[S(t_me, t_o)] == VOTED && t_me == t_o -> rootvote[t_o] = 1
        :: ph[S(t_me, t_o)] == VOTED && t_me != t_o -> send(t_me, t_o, VOTE, t_o, seen[S(t_me, t_o)], lvote[S(t_me, t_o)])
        :: else -> skip
        fi
    :: else -> skip
    fi
}

inline prepare(p_me, p_o, p_a) {
    ph[S(p_me, p_o)] = WAITING; seen[S(p_me, p_o)] = p_a; locked[S(p_me, p_o)] = 0; lvote[S(p_me, p_o)] = YES;
    try_vote(p_me, p_o)
}

inline apply_decision(d_me, d_o, d_commit) {
    if
    :: d_commit ->
        assert(ph[S(d_me, d_o)] == VOTED && lvote[S(d_me, d_o)] == YES && locked[S(d_me, d_o)]);
        applied[S(d_me, d_o)]++;
        assert(applied[S(d_me, d_o)] == 1);
        if :: first_commit[d_me] == 255 -> first_commit[d_me] = d_o :: else -> skip fi;
        ph[S(d_me, d_o)] = COMMITTED
    :: else -> ph[S(d_me, d_o)] = ABORTED
    fi;
    locked[S(d_me, d_o)] = 0;
    recheck[d_me] = 1
}

/* The root's decision: apply locally, tell the others. */
inline decide(c_o, c_commit) {
    apply_decision(c_o, c_o, c_commit);
    cst[c_o] = ACKING; acks[c_o] = 0;
    if
    :: c_commit -> send(c_o, 1 - c_o, COMMIT, c_o, att[c_o], 0); send(c_o, 2, COMMIT, c_o, att[c_o], 0)
    :: else -> send(c_o, 1 - c_o, ABORT, c_o, att[c_o], 0); send(c_o, 2, ABORT, c_o, att[c_o], 0)
    fi
}

inline count_vote(v_o, v_from, v_v) {
    if
    :: cst[v_o] == COLLECT && (votes[v_o] & (1 << v_from)) == 0 ->
        votes[v_o] = votes[v_o] | (1 << v_from);
        if :: v_v == CONFLICT -> worst[v_o] = CONFLICT; assert(!older(v_o, 1 - v_o)) :: else -> skip fi;
        if
        :: v_v != YES -> decide(v_o, 0)      /* a No decides at once */
        :: v_v == YES && votes[v_o] == 7 -> decide(v_o, 1)
        :: else -> skip
        fi
    :: else -> skip  /* a repeat, or a late vote after an early abort */
    fi
}

inline start_attempt(b_o) {
    cst[b_o] = COLLECT; votes[b_o] = 0; worst[b_o] = YES;
    send(b_o, 1 - b_o, PREPARE, b_o, att[b_o], 0);
    send(b_o, 2, PREPARE, b_o, att[b_o], 0);
    prepare(b_o, b_o, att[b_o])
}

inline handle(h_me, h_from) {
    CH(h_from, h_me)?k, o, a, v;
    /* A later second copy of this message, at the back of the channel. */
    if :: dups > 0 -> dups--; CH(h_from, h_me)!k, o, a, v :: true -> skip fi;
    if
    :: k == PREPARE ->
        if
        :: ph[S(h_me, o)] == IDLE || a > seen[S(h_me, o)] ->
            assert(ph[S(h_me, o)] == IDLE || ph[S(h_me, o)] >= COMMITTED);
            prepare(h_me, o, a)
        :: else -> skip  /* duplicate or stale */
        fi
    :: k == VOTE ->
        if :: a == att[o] -> count_vote(o, h_from, v) :: else -> skip fi
    :: k == COMMIT || k == ABORT ->
        if
        :: a == seen[S(h_me, o)] && ph[S(h_me, o)] < COMMITTED ->
            apply_decision(h_me, o, k == COMMIT);
            send(h_me, o, ACK, o, a, 0)
        :: else ->
            /* A repeat must agree with what was done. */
            assert(a != seen[S(h_me, o)] || ph[S(h_me, o)] == (k == COMMIT -> COMMITTED : ABORTED))
        fi
    :: k == ACK ->
        if
        :: a == att[o] && cst[o] == ACKING && (acks[o] & (1 << h_from)) == 0 ->
            acks[o] = acks[o] | (1 << h_from);
            if
            :: acks[o] == (7 & ~(1 << o)) && ph[S(o, o)] == COMMITTED ->
progress_commit:
                cst[o] = DONE; finished++
            :: acks[o] == (7 & ~(1 << o)) && ph[S(o, o)] == ABORTED && att[o] + 1 < MAXATT ->
                att[o]++; start_attempt(o)
            :: acks[o] == (7 & ~(1 << o)) && ph[S(o, o)] == ABORTED && att[o] + 1 >= MAXATT ->
progress_gaveup:
                cst[o] = GAVEUP; finished++
            :: else -> skip
            fi
        :: else -> skip
        fi
    fi
}

proctype Core(byte me) {
    byte k, o, a, v;  /* the message being handled */
    byte i;
    if :: me < 2 -> atomic { start_attempt(me) } :: else -> skip fi;
end:
    do
    :: atomic { recheck[me] -> recheck[me] = 0; i = 0;
                do :: i < 2 -> try_vote(me, i); i++ :: else -> break od }
    :: atomic { me < 2 && rootvote[me] && !recheck[me] -> rootvote[me] = 0; count_vote(me, me, lvote[S(me, me)]) }
    :: atomic { !recheck[me] && !(me < 2 && rootvote[me]) && nempty(CH((me + 1) % N, me)) -> handle(me, (me + 1) % N) }
    :: atomic { !recheck[me] && !(me < 2 && rootvote[me]) && nempty(CH((me + 2) % N, me)) -> handle(me, (me + 2) % N) }
    od
}

init {
    byte c;
    if :: stamp[0] = 1 :: stamp[0] = 2 fi;
    if :: stamp[1] = 1 :: stamp[1] = 2 fi;
    atomic { run Core(0); run Core(1); run Core(2) }
    (finished == 2);
    /* Both finished; the older committed everywhere, the younger everywhere or nowhere. */
    c = 0;
    do
    :: c < N ->
        if
        :: older(0, 1) -> assert(applied[S(c, 0)] == 1)
        :: else -> assert(applied[S(c, 1)] == 1)
        fi;
        assert(applied[S(c, 0)] == applied[S(0, 0)] && applied[S(c, 1)] == applied[S(0, 1)]);
        /* Every core committed them in the same order. */
        assert(first_commit[c] == first_commit[0]);
        c++
    :: else -> break
    od;
    assert(cst[0] == DONE || cst[1] == DONE)
}
