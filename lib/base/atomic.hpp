// Thin wrappers over the compiler's __atomic builtins, so shared-memory code
// says exactly which order it relies on. Used by URPC channels and the boot
// links: the only memory two cores both touch after boot.
#pragma once

#include "base/types.hpp"

namespace mk {

template <typename T>
inline T load_acquire(const T* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
template <typename T>
inline T load_relaxed(const T* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
template <typename T>
inline void store_release(T* p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
template <typename T>
inline void store_relaxed(T* p, T v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
template <typename T>
inline bool compare_exchange(T* p, T& expected, T desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}
template <typename T>
inline T exchange_acquire(T* p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQUIRE); }

// Tells the CPU this is a spin-wait loop (PAUSE on x86): saves power and
// avoids the memory-order mis-speculation penalty when the line changes.
inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace mk
