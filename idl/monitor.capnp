# The monitors' interfaces. Core 0's monitor starts every other core's
# monitor (Kernel.startCore) with a channel of its own, then builds a full
# mesh: a channel between every pair of monitors, whose frames it makes and
# sends to both ends as capabilities (the first capabilities that cross
# cores). See docs/monitor.md.

@0xa3c1e5d7f9b20468;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::monitor");

interface Monitor {
  # Served by the monitors of cores 1..n-1 on their channel to core 0's.

  # A channel to the monitor of core `peer`: a 4 KiB Frame capability
  # (described by type, rights, base and size, as the sending monitor's
  # CPU driver identified it), of which this monitor takes side A or B.
  attachPeer @0 (peer :UInt32, sideA :Bool, capType :UInt32, rights :UInt32, base :UInt64, bytes :UInt64) -> ();

  # Ping every attached peer `rounds` times (while answering their pings).
  checkMesh @1 (rounds :UInt32) -> (peers :UInt32, roundTrips :UInt64, failed :UInt32);

  # A round trip on this channel.
  ping @2 (from :UInt32, seq :UInt64) -> (from :UInt32, seq :UInt64);

  # The monitor's work is done: it ends.
  finish @3 () $Urpc.oneway;
}

interface MonitorPeer {
  # Between any two monitors of cores 1..n-1, in both directions.
  ping @0 (from :UInt32, seq :UInt64) -> (from :UInt32, seq :UInt64);
}
