// Writer and Reader: the bounds-checked byte cursors behind generated
// marshalling code (codec.hpp).
#include "idl/codec.hpp"

namespace mk::idl {

void Writer::put_le(u64 v, usize n) {
    if (failed()) return;
    if (n > cap_ - pos_) return fail(Error::TooLong);
    for (usize i = 0; i < n; ++i) buf_[pos_ + i] = static_cast<u8>(v >> (8 * i));
    pos_ += n;
}

void Writer::put_count(usize n, usize max) {
    if (n > max || n > 0xffff) return fail(Error::TooLong);
    put_u16(static_cast<u16>(n));
}

void Writer::put_bytes(const u8* p, usize n) {
    if (failed()) return;
    if (n > cap_ - pos_) return fail(Error::TooLong);
    for (usize i = 0; i < n; ++i) buf_[pos_ + i] = p[i];
    pos_ += n;
}

Status Writer::status() const {
    if (failed()) return error_;
    return {};
}

Status Reader::get_le(u64& v, usize n) {
    if (n > size_ - pos_) return Error::Truncated;
    v = 0;
    for (usize i = 0; i < n; ++i) v |= u64{p_[pos_ + i]} << (8 * i);
    pos_ += n;
    return {};
}

Status Reader::get_u8(u8& v) {
    u64 raw = 0;
    TRY_STATUS(get_le(raw, 1));
    v = static_cast<u8>(raw);
    return {};
}

Status Reader::get_u16(u16& v) {
    u64 raw = 0;
    TRY_STATUS(get_le(raw, 2));
    v = static_cast<u16>(raw);
    return {};
}

Status Reader::get_u32(u32& v) {
    u64 raw = 0;
    TRY_STATUS(get_le(raw, 4));
    v = static_cast<u32>(raw);
    return {};
}

Status Reader::get_u64(u64& v) { return get_le(v, 8); }

Status Reader::get_i8(i8& v) {
    u8 raw = 0;
    TRY_STATUS(get_u8(raw));
    v = static_cast<i8>(raw);
    return {};
}

Status Reader::get_i16(i16& v) {
    u16 raw = 0;
    TRY_STATUS(get_u16(raw));
    v = static_cast<i16>(raw);
    return {};
}

Status Reader::get_i32(i32& v) {
    u32 raw = 0;
    TRY_STATUS(get_u32(raw));
    v = static_cast<i32>(raw);
    return {};
}

Status Reader::get_i64(i64& v) {
    u64 raw = 0;
    TRY_STATUS(get_u64(raw));
    v = static_cast<i64>(raw);
    return {};
}

Status Reader::get_bool(bool& v) {
    u8 raw = 0;
    TRY_STATUS(get_u8(raw));
    if (raw > 1) return Error::BadMessage;
    v = raw == 1;
    return {};
}

Status Reader::get_count(u16& n, usize max) {
    u16 raw = 0;
    TRY_STATUS(get_u16(raw));
    if (raw > max) return Error::TooLong;
    n = raw;
    return {};
}

Status Reader::get_bytes(u8* dst, usize n) {
    if (n > size_ - pos_) return Error::Truncated;
    for (usize i = 0; i < n; ++i) dst[i] = p_[pos_ + i];
    pos_ += n;
    return {};
}

Status Reader::check_text(usize n) const {
    if (n >= size_ - pos_) return Error::Truncated;  // n bytes plus the NUL
    for (usize i = 0; i < n; ++i) {
        if (p_[pos_ + i] == 0) return Error::BadMessage;
    }
    if (p_[pos_ + n] != 0) return Error::BadMessage;
    return {};
}

Status Reader::finish() const {
    if (pos_ != size_) return Error::BadMessage;
    return {};
}

}  // namespace mk::idl
