// The small, stable set of error codes that crosses every boundary: parser
// results, capability invocations, IDL replies. User code prints them by name.
#pragma once

#include "base/types.hpp"

namespace mk {

enum class Error : u16 {
    Ok = 0,
    InvalidArgument,
    OutOfRange,
    BadChecksum,
    BadMagic,
    Truncated,
    Unsupported,
    NotFound,
    NoMemory,
    Full,
    Empty,
    Busy,
    Timeout,
    BadMessage,
    UnknownMethod,
    BadFragment,
    TooLong,
    BadEnum,
    // Capability errors (used from the user-level issue on).
    InvalidCap,
    WrongType,
    NoRights,
    Overlap,
    SlotOccupied,
    Revoked,
};

constexpr const char* error_name(Error e) {
    switch (e) {
        case Error::Ok: return "Ok";
        case Error::InvalidArgument: return "InvalidArgument";
        case Error::OutOfRange: return "OutOfRange";
        case Error::BadChecksum: return "BadChecksum";
        case Error::BadMagic: return "BadMagic";
        case Error::Truncated: return "Truncated";
        case Error::Unsupported: return "Unsupported";
        case Error::NotFound: return "NotFound";
        case Error::NoMemory: return "NoMemory";
        case Error::Full: return "Full";
        case Error::Empty: return "Empty";
        case Error::Busy: return "Busy";
        case Error::Timeout: return "Timeout";
        case Error::BadMessage: return "BadMessage";
        case Error::UnknownMethod: return "UnknownMethod";
        case Error::BadFragment: return "BadFragment";
        case Error::TooLong: return "TooLong";
        case Error::BadEnum: return "BadEnum";
        case Error::InvalidCap: return "InvalidCap";
        case Error::WrongType: return "WrongType";
        case Error::NoRights: return "NoRights";
        case Error::Overlap: return "Overlap";
        case Error::SlotOccupied: return "SlotOccupied";
        case Error::Revoked: return "Revoked";
    }
    return "UnknownError";
}

}  // namespace mk
