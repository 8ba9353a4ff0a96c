// The kernel command line: space-separated words, each `flag` or `key=value`.
#pragma once

#include "base/result.hpp"
#include "base/types.hpp"

namespace mk::boot {

// Boot loaders disagree on whether the command line starts with the kernel
// image's path (QEMU's -kernel and GRUB's multiboot put it there). Returns the
// text after such a first word: one that contains a '/' or ends in ".elf".
const char* skip_image_path(const char* text);

class CommandLine {
public:
    explicit CommandLine(const char* text) : text_(text) {}
    // True when the word `key` or `key=...` is present.
    bool has(const char* key) const;
    // The value of `key=value` copied into buf, or NotFound / TooLong.
    Status get(const char* key, char* buf, usize cap) const;
    // The value of `key=<decimal or 0x-hex>` or fallback when absent; an
    // unparseable value is an error, so a typo is not silently ignored.
    Result<u64> get_u64(const char* key, u64 fallback) const;

private:
    const char* find(const char* key, bool& has_value) const;
    const char* text_;
};

}  // namespace mk::boot
