// Float32/Float64 fields travel as their IEEE-754 bit patterns (u32/u64,
// little-endian), so NaN payloads and signed zeros survive a round trip.
// Kept apart from codec.hpp: generated code includes this header only when a
// schema has float fields, so stubs for integer-only interfaces compile with
// -mgeneral-regs-only (the CPU driver has no FPU state to spare).
#pragma once

#include "idl/codec.hpp"

namespace mk::idl {

inline void put_f32(Writer& w, float v) { w.put_u32(__builtin_bit_cast(u32, v)); }
inline void put_f64(Writer& w, double v) { w.put_u64(__builtin_bit_cast(u64, v)); }

inline Status get_f32(Reader& r, float& v) {
    u32 raw = 0;
    TRY_STATUS(r.get_u32(raw));
    v = __builtin_bit_cast(float, raw);
    return {};
}

inline Status get_f64(Reader& r, double& v) {
    u64 raw = 0;
    TRY_STATUS(r.get_u64(raw));
    v = __builtin_bit_cast(double, raw);
    return {};
}

}  // namespace mk::idl
