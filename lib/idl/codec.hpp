// Marshalling of message bodies (docs/idl.md, "Body encoding"): fixed-width
// little-endian scalars in field order, with no padding and no pointers, and
// the bounded value types that generated messages are made of. Nothing here
// allocates: a Text<N> holds its N bytes inline.
//
// A Writer never writes past its buffer and remembers its first error; a
// Reader checks every length before it copies and rejects anything that is
// not the single canonical encoding of a value.
#pragma once

#include "base/result.hpp"
#include "base/span.hpp"
#include "base/string.hpp"
#include "base/types.hpp"

namespace mk::idl {

// Text with at most N bytes, always NUL-terminated in memory. On the wire:
// u16 length, the bytes, then a NUL; the bytes may not contain a NUL.
template <usize N>
struct Text {
    static_assert(N >= 1 && N <= 0xffff, "maxLength is 1..65535");
    static constexpr usize kMaxLength = N;

    u16 size = 0;
    char chars[N + 1] = {};

    // Copies a C string; Error::TooLong if it has more than N bytes.
    Status assign(const char* s) { return assign(s, str_nlen(s, N + 1)); }
    // Copies n bytes; Error::InvalidArgument if they contain a NUL.
    Status assign(const char* s, usize n) {
        if (n > N) return Error::TooLong;
        for (usize i = 0; i < n; ++i) {
            if (s[i] == '\0') return Error::InvalidArgument;
        }
        for (usize i = 0; i <= N; ++i) chars[i] = i < n ? s[i] : '\0';
        size = static_cast<u16>(n);
        return {};
    }
    const char* c_str() const { return chars; }

    friend bool operator==(const Text& a, const Text& b) {
        return a.size == b.size && a.size <= N && mem_eq(a.chars, b.chars, a.size);
    }
};

// Bytes, at most N. On the wire: u16 length, then the bytes.
template <usize N>
struct Data {
    static_assert(N >= 1 && N <= 0xffff, "maxLength is 1..65535");
    static constexpr usize kMaxLength = N;

    u16 size = 0;
    u8 bytes[N] = {};

    Status assign(const u8* src, usize n) {
        if (n > N) return Error::TooLong;
        for (usize i = 0; i < N; ++i) bytes[i] = i < n ? src[i] : 0;
        size = static_cast<u16>(n);
        return {};
    }
    Status assign(Bytes b) { return assign(b.data(), b.size()); }
    Bytes view() const { return Bytes(bytes, size <= N ? size : N); }

    friend bool operator==(const Data& a, const Data& b) {
        return a.size == b.size && a.size <= N && mem_eq(a.bytes, b.bytes, a.size);
    }
};

// At most N elements. On the wire: u16 count, then the elements.
template <typename T, usize N>
struct List {
    static_assert(N >= 1 && N <= 0xffff, "maxLength is 1..65535");
    static constexpr usize kMaxLength = N;

    u16 size = 0;
    T items[N] = {};

    Status push(const T& v) {
        if (size >= N) return Error::TooLong;
        items[size++] = v;
        return {};
    }
    Status assign(Span<const T> src) {
        if (src.size() > N) return Error::TooLong;
        for (usize i = 0; i < src.size(); ++i) items[i] = src[i];
        size = static_cast<u16>(src.size());
        return {};
    }
    Span<const T> view() const { return Span<const T>(items, size <= N ? size : N); }

    friend bool operator==(const List& a, const List& b) {
        if (a.size != b.size || a.size > N) return false;
        for (usize i = 0; i < a.size; ++i) {
            if (!(a.items[i] == b.items[i])) return false;
        }
        return true;
    }
};

// An interface-typed field: a capability the sender hands over. For now it
// is an opaque slot reference that travels as one u64; the capability itself
// is moved by the monitors, not by the channel (docs/idl.md, "Capabilities").
struct CapRef {
    u64 slot = 0;
    friend bool operator==(const CapRef&, const CapRef&) = default;
};

class Writer {
public:
    Writer() = default;
    Writer(u8* buf, usize cap) : buf_(buf), cap_(cap) {}

    void put_u8(u8 v) { put_le(v, 1); }
    void put_u16(u16 v) { put_le(v, 2); }
    void put_u32(u32 v) { put_le(v, 4); }
    void put_u64(u64 v) { put_le(v, 8); }
    void put_i8(i8 v) { put_le(static_cast<u8>(v), 1); }
    void put_i16(i16 v) { put_le(static_cast<u16>(v), 2); }
    void put_i32(i32 v) { put_le(static_cast<u32>(v), 4); }
    void put_i64(i64 v) { put_le(static_cast<u64>(v), 8); }
    void put_bool(bool v) { put_le(v ? 1 : 0, 1); }
    void put_cap(CapRef c) { put_le(c.slot, 8); }
    // An element count or length, checked against the declared maximum.
    void put_count(usize n, usize max);
    void put_bytes(const u8* p, usize n);

    template <usize N>
    void put_text(const Text<N>& t) {
        put_count(t.size, N);
        if (failed()) return;
        put_bytes(reinterpret_cast<const u8*>(t.chars), t.size);
        put_u8(0);
    }
    template <usize N>
    void put_data(const Data<N>& d) {
        put_count(d.size, N);
        if (failed()) return;
        put_bytes(d.bytes, d.size);
    }
    template <typename E>
    void put_enum(E v) { put_u16(static_cast<u16>(v)); }

    bool failed() const { return error_ != Error::Ok; }
    Status status() const;
    usize size() const { return pos_; }

private:
    void put_le(u64 v, usize n);
    void fail(Error e) {
        if (error_ == Error::Ok) error_ = e;
    }

    u8* buf_ = nullptr;
    usize cap_ = 0;
    usize pos_ = 0;
    Error error_ = Error::Ok;
};

class Reader {
public:
    Reader(const u8* p, usize n) : p_(p), size_(n) {}

    Status get_u8(u8& v);
    Status get_u16(u16& v);
    Status get_u32(u32& v);
    Status get_u64(u64& v);
    Status get_i8(i8& v);
    Status get_i16(i16& v);
    Status get_i32(i32& v);
    Status get_i64(i64& v);
    // Error::BadMessage unless the byte is 0 or 1.
    Status get_bool(bool& v);
    Status get_cap(CapRef& c) { return get_u64(c.slot); }
    // Error::TooLong if the count exceeds max.
    Status get_count(u16& n, usize max);
    Status get_bytes(u8* dst, usize n);
    // Error::BadEnum unless the value names one of the `count` enumerants.
    template <typename E>
    Status get_enum(E& v, u16 count) {
        u16 raw = 0;
        TRY_STATUS(get_u16(raw));
        if (raw >= count) return Error::BadEnum;
        v = static_cast<E>(raw);
        return {};
    }
    template <usize N>
    Status get_text(Text<N>& t) {
        u16 n = 0;
        TRY_STATUS(get_count(n, N));
        TRY_STATUS(check_text(n));
        TRY_STATUS(get_bytes(reinterpret_cast<u8*>(t.chars), n));
        for (usize i = n; i <= N; ++i) t.chars[i] = '\0';
        t.size = n;
        ++pos_;  // the terminator, checked by check_text
        return {};
    }
    template <usize N>
    Status get_data(Data<N>& d) {
        u16 n = 0;
        TRY_STATUS(get_count(n, N));
        TRY_STATUS(get_bytes(d.bytes, n));
        for (usize i = n; i < N; ++i) d.bytes[i] = 0;
        d.size = n;
        return {};
    }

    usize remaining() const { return size_ - pos_; }
    // Error::BadMessage if bytes are left over after the last field.
    Status finish() const;

private:
    Status get_le(u64& v, usize n);
    // n bytes and a NUL must follow, and the n bytes must not contain a NUL.
    Status check_text(usize n) const;

    const u8* p_;
    usize size_;
    usize pos_ = 0;
};

// A whole message: the fields, then nothing. decode/encode are the overloads
// generated for each message type, found by argument-dependent lookup.
template <typename M>
Status decode_message(Reader& r, M& m) {
    TRY_STATUS(decode(r, m));
    return r.finish();
}

}  // namespace mk::idl
