// Reassembly of fragmented messages (docs/idl.md, "Fragmentation"). A sender
// emits the fragments of one message in index order, but a receiver may see
// fragments of several calls interleaved (several clients' requests through a
// forwarding monitor, for example), so partial messages are kept per call id
// in a fixed number of slots. Single-fragment messages need no slot.
//
// add() expects a payload that check_frame() accepted, which bounds every
// write below by the buffer size; it checks that bound again anyway.
#pragma once

#include "base/result.hpp"
#include "idl/wire.hpp"

namespace mk::idl {

// A complete message body. The bytes stay valid until the next add().
struct Message {
    Header header;
    const u8* bytes = nullptr;
    usize size = 0;
};

template <usize kBytes, usize kSlots>
class Reassembler {
    static_assert(kBytes <= kMaxMessageBytes);
    static_assert(kSlots >= 1);

public:
    // Adds one fragment. Returns true and fills `out` when it completes a
    // message, false when more fragments are needed. Errors:
    //   BadFragment  the fragment does not continue the message its call id
    //                names (wrong index, count, method or E flag), continues
    //                no message, or restarts one: the partial message is dropped
    //   Full         a first fragment while every slot holds a partial message
    Result<bool> add(const Header& h, const Payload& p, Message& out) {
        if (h.count == 1) {
            body_load(p, single_, h.length);
            out = Message{h, single_, h.length};
            return true;
        }
        Slot* s = find(h.call);
        if (h.index == 0) {
            if (s != nullptr) return drop(*s);
            s = find_free();
            if (s == nullptr) return Error::Full;
            s->busy = true;
            s->call = h.call;
            s->method = h.method;
            s->error = h.error;
            s->count = h.count;
            s->next = 0;
        } else if (s == nullptr) {
            return Error::BadFragment;
        } else if (h.index != s->next || h.count != s->count || h.method != s->method ||
                   h.error != s->error) {
            return drop(*s);
        }
        usize offset = usize{h.index} * kFragmentBytes;
        if (offset + h.length > kBytes) return drop(*s);
        body_load(p, s->bytes + offset, h.length);
        if (++s->next < s->count) return false;
        s->busy = false;
        out = Message{h, s->bytes, offset + h.length};
        return true;
    }

    // Forgets every partial message (after a peer restarts, for example).
    void reset() {
        for (Slot& s : slots_) s.busy = false;
    }
    usize partial_messages() const {
        usize n = 0;
        for (const Slot& s : slots_) n += s.busy ? 1 : 0;
        return n;
    }

private:
    struct Slot {
        bool busy = false;
        CallId call = 0;
        u8 method = 0;
        bool error = false;
        u8 count = 0;
        u8 next = 0;
        u8 bytes[kBytes > 0 ? kBytes : 1] = {};
    };

    Slot* find(CallId call) {
        for (Slot& s : slots_) {
            if (s.busy && s.call == call) return &s;
        }
        return nullptr;
    }
    Slot* find_free() {
        for (Slot& s : slots_) {
            if (!s.busy) return &s;
        }
        return nullptr;
    }
    Error drop(Slot& s) {
        s.busy = false;
        return Error::BadFragment;
    }

    u8 single_[kFragmentBytes] = {};
    Slot slots_[kSlots];
};

}  // namespace mk::idl
