// Result<T>: a value or an Error, never both, impossible to ignore.
// TRY(expr) returns early with the error, in the style of SerenityOS's ErrorOr.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "base/error.hpp"

namespace mk {

template <typename T>
class [[nodiscard]] Result {
public:
    Result(const T& v) : error_(Error::Ok) { new (&storage_) T(v); }
    Result(T&& v) : error_(Error::Ok) { new (&storage_) T(std::move(v)); }
    Result(Error e) : error_(e) {}
    Result(const Result& o) : error_(o.error_) {
        if (o.ok()) new (&storage_) T(o.value());
    }
    Result& operator=(const Result&) = delete;
    ~Result() {
        if (ok()) value().~T();
    }

    bool ok() const { return error_ == Error::Ok; }
    explicit operator bool() const { return ok(); }
    Error error() const { return error_; }

    T& value() { return *std::launder(reinterpret_cast<T*>(&storage_)); }
    const T& value() const { return *std::launder(reinterpret_cast<const T*>(&storage_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }

    T value_or(T fallback) const { return ok() ? value() : fallback; }

private:
    alignas(T) unsigned char storage_[sizeof(T)];
    Error error_;
};

// Result<void>: just the error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() : error_(Error::Ok) {}
    Result(Error e) : error_(e) {}
    bool ok() const { return error_ == Error::Ok; }
    explicit operator bool() const { return ok(); }
    Error error() const { return error_; }

private:
    Error error_;
};

using Status = Result<void>;

}  // namespace mk

// Evaluate a Result-valued expression; on error return it from the caller,
// otherwise yield its value (GNU statement expression, supported by GCC and clang).
#define TRY(expr)                                          \
    ({                                                     \
        auto _mk_try_result = (expr);                      \
        if (!_mk_try_result.ok()) return _mk_try_result.error(); \
        std::move(_mk_try_result.value());                 \
    })

// The same for Status-valued expressions, which have no value to yield.
#define TRY_STATUS(expr)                                   \
    do {                                                   \
        auto _mk_try_status = (expr);                      \
        if (!_mk_try_status.ok()) return _mk_try_status.error(); \
    } while (0)
