// The one message an endpoint is sending. A message is encoded once into the
// outbox, then cut into fragments as the transport has room; fragments that
// do not fit now go out on a later flush(). An endpoint therefore never spins
// on a full channel, and two endpoints that both poll cannot deadlock on each
// other's full rings.
#pragma once

#include "base/result.hpp"
#include "idl/codec.hpp"
#include "idl/frame_check.hpp"
#include "idl/transport.hpp"
#include "idl/wire.hpp"

namespace mk::idl {

template <usize kBytes>
class Outbox {
    static_assert(kBytes <= kMaxMessageBytes);

public:
    // True while fragments of the current message are still unsent.
    bool busy() const { return next_ < count_; }

    // Starts a message; the caller encodes the body through the returned
    // Writer and passes it to seal(). The outbox must not be busy.
    Writer begin(u16 tag, u8 method, bool reply, CallId call) {
        header_ = Header{};
        header_.interface_tag = tag;
        header_.method = method;
        header_.reply = reply;
        header_.call = call;
        next_ = count_ = 0;
        return Writer(bytes_, kBytes);
    }

    // Queues the encoded body, or returns the Writer's error (nothing queued).
    Status seal(const Writer& w) {
        TRY_STATUS(w.status());
        size_ = w.size();
        count_ = static_cast<u8>(fragments_for(size_));
        next_ = 0;
        return {};
    }

    // Queues an error reply carrying e.
    void seal_error(Error e) {
        header_.error = true;
        auto code = static_cast<u16>(e);
        bytes_[0] = static_cast<u8>(code);
        bytes_[1] = static_cast<u8>(code >> 8);
        size_ = kErrorReplyBytes;
        count_ = 1;
        next_ = 0;
    }

    // Sends queued fragments while the transport takes them. Ok when the
    // message is gone; Error::Full when some wait for room. Any other
    // transport error abandons the message and is returned.
    template <Transport T>
    Status flush(T& t) {
        while (busy()) {
            Header h = header_;
            h.index = next_;
            h.count = count_;
            usize offset = usize{next_} * kFragmentBytes;
            usize left = size_ - offset;
            h.length = static_cast<u8>(left < kFragmentBytes ? left : kFragmentBytes);
            Payload p{};
            p.w[0] = h.pack();
            body_store(p, bytes_ + offset, h.length);
            Status s = t.try_send(p);
            if (!s.ok()) {
                if (s.error() != Error::Full) next_ = count_;
                return s;
            }
            ++next_;
        }
        return {};
    }

    // Drops whatever is left of the current message.
    void discard() { next_ = count_ = 0; }

private:
    // Room for an error reply even in an outbox for empty messages.
    static constexpr usize kStorage = kBytes > kErrorReplyBytes ? kBytes : kErrorReplyBytes;

    Header header_;
    u8 bytes_[kStorage] = {};
    usize size_ = 0;
    u8 next_ = 0;
    u8 count_ = 0;
};

}  // namespace mk::idl
