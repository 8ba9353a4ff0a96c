# The boot-time interface between the bootstrap processor (BSP) and every
# other core. The BSP serves it; each application processor (AP) is a client
# on its own channel to the BSP once its CPU driver runs (docs/idl.md).

@0xd6b4a1f0c2e39587;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::boot");

interface Boot {
  # The AP's CPU driver is up: its logical core number, its local APIC id,
  # and its time-stamp counter when it became ready (for skew estimates).
  coreReady @0 (coreId :UInt32, apicId :UInt32, tscAtReady :UInt64) -> ();

  # Round trip over the channel: echoes seq and returns a checksum of the
  # payload (the sum of its bytes), for link checks and latency benchmarks.
  ping @1 (seq :UInt64, payload :Data $Urpc.maxLength(256)) -> (seq :UInt64, checksum :UInt64);

  # The AP should stop: park the core. No reply.
  shutdown @2 () $Urpc.oneway;
}
