# The boot-time interfaces between the bootstrap processor (BSP, core 0) and
# every other core. Each core shares one URPC channel with the BSP and speaks
# both interfaces over it: Boot from the core to the BSP (the BSP serves it),
# CoreControl from the BSP to the core (the core's CPU driver serves it).
# See docs/idl.md for the wire format, docs/boot.md for the sequence.

@0xd6b4a1f0c2e39587;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::boot");

interface Boot {
  # The core's CPU driver is up: its logical core number, its local APIC id,
  # and its time-stamp counter when it became ready (for skew estimates).
  coreReady @0 (coreId :UInt32, apicId :UInt32, tscAtReady :UInt64) -> ();

  # Round trip over the channel: echoes seq and returns a checksum of the
  # payload (the sum of its bytes), for link checks and latency benchmarks.
  ping @1 (seq :UInt64, payload :Data $Urpc.maxLength(256)) -> (seq :UInt64, checksum :UInt64);

  # The core is done with this link: it stops (the answer to CoreControl.stop).
  shutdown @2 () $Urpc.oneway;

  # The core has left the trampoline and consumed its start-up parameters,
  # so the BSP may reuse the trampoline page for the next core.
  coreAlive @3 (coreId :UInt32) $Urpc.oneway;

  # Every user domain on the core has ended.
  domainsEnded @4 (coreId :UInt32) $Urpc.oneway;
}

interface CoreControl {
  # A round trip, as Boot.ping, in the other direction.
  ping @0 (seq :UInt64, payload :Data $Urpc.maxLength(40)) -> (seq :UInt64, checksum :UInt64);

  # Load and run this core's domains (its monitor first). monitorChannel is
  # the physical address of a 4 KiB frame shared with core 0's monitor, which
  # this core's monitor receives as a Frame capability (0: none).
  startDomains @1 (monitorChannel :UInt64) -> ();

  # Raise a deliberate fault (test-only; see cpudriver/test_faults.hpp).
  testFault @2 (kind :UInt64) $Urpc.oneway;

  # Stop the core; it answers with Boot.shutdown and halts.
  stop @3 () $Urpc.oneway;

  # A channel to another core for the all-pairs test and benchmarks: the
  # frame's physical address, and which side of it this core takes.
  attachPeer @4 (peer :UInt32, peerApic :UInt32, framePhys :UInt64, sideA :Bool) -> ();

  # Exchange `messages` checksummed messages with every attached peer at once
  # (sending and receiving interleaved, so no pair can deadlock).
  exchange @5 (messages :UInt32) -> (sent :UInt64, received :UInt64, sentSum :UInt64, receivedSum :UInt64);

  # Measure the round trip to `peer` (which serves it) over their channel.
  measureLatency @6 (peer :UInt32, samples :UInt32) -> (medianCycles :UInt64, p99Cycles :UInt64);

  # Stream `messages` one-way messages to `peer`; the cycles until the last is consumed.
  measureThroughput @7 (peer :UInt32, messages :UInt32) -> (cycles :UInt64);

  # The shared-state experiment (bench-shared, cpudriver/bench_shared.cpp):
  # warmup + samples updates of a `lines`-line record, method 0 under the lock
  # in the shared page at regionPhys (with `participants` cores), method 1 as
  # messages to core 0 over the channel frame at regionPhys. Per-update cycles.
  benchShared @8 (method :UInt32, lines :UInt32, warmup :UInt32, samples :UInt32,
                  participants :UInt32, regionPhys :UInt64) -> (medianCycles :UInt64, p99Cycles :UInt64);
}
