// The serial console (COM1). Every line starts with the core that printed it
// and is written whole: a line is formatted into a buffer on the caller's
// stack first, then copied to the UART under the console lock.
//
// The console lock is one of the few words of kernel memory that several
// cores write after boot (docs/architecture.md lists them all): the UART is
// a single device, and a debug console that loses or mixes lines is worse
// than one short critical section.
#pragma once

#include "base/types.hpp"

namespace mk::console {

void init();

// Prints one line, prefixed with "[c<core>] ". A trailing newline is added.
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Holds the console across several lines (a fault report) so that other
// cores' lines cannot come between them. log() from the holder does not
// take the lock again.
class Hold {
public:
    Hold();
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

private:
    bool taken_;
};

}  // namespace mk::console
