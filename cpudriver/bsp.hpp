// What the bootstrap processor keeps about the other cores after starting
// them: only their numbers, APIC ids and its end of each boot mailbox. This
// table lives in the BSP's memory and no other core ever reads it.
#pragma once

#include "boot/mailbox.hpp"
#include "smp.hpp"

namespace mk {

struct PeerCore {
    u32 apic_id;
    bool alive;
    bool ready;
    boot::MailboxEnd mailbox;
};

struct BspPeers {
    usize count = 0;  // every core, the BSP included (entry 0)
    PeerCore core[smp::kMaxCores];
};

// Sends `m` to core `n`, with a wake-up IPI if the core announced it is
// halting. False when the mailbox stays full for `timeout_us`.
bool send_to_core(BspPeers& peers, u32 n, const boot::Mail& m, u64 timeout_us);
// Waits for the next message from core `n`.
bool receive_from_core(BspPeers& peers, u32 n, boot::Mail& m, u64 timeout_us);

// The boot demo: round trips to every core through the boot mailboxes, and
// the message-of-the-day module if the loader passed one.
void run_demo(BspPeers& peers);

}  // namespace mk
