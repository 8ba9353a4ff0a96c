# Test schema: capabilities through IDL calls between programs on different
# cores (test/guest/caprpc.cpp; docs/idl.md, "Capabilities"). A Memory
# parameter or result is a RAM or Frame capability that the stubs move to the
# receiver's own capability space through the monitors.

@0xb74fab2a4b45ec95;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::share");

# Memory the holder may map: a Frame (or RAM) capability. It has no methods:
# what matters is the capability itself.
interface Memory {}

interface Share {
  # The server maps `memory` (a 4 KiB Frame of the client's), checks that its
  # first `words` words hold the client's pattern for `seed`, writes its
  # answer into the words after them, and returns the sum of what it read.
  lend @0 (memory :Memory, seed :UInt64, words :UInt32) -> (sum :UInt64);

  # A Frame of the server's own, holding the server's pattern for `seed`.
  give @1 (seed :UInt64) -> (memory :Memory);

  # Whether the Frame given for `seed` now holds the client's answer.
  check @2 (seed :UInt64) -> (answered :Bool);

  # Takes a capability and deletes it: what carrying one costs.
  hold @3 (memory :Memory) -> ();

  # The same call without a capability: the baseline.
  ping @4 (seed :UInt64) -> (seed :UInt64);

  # Several capabilities in one request, one-way: the server keeps them
  # until the next `count` call.
  pass @5 (memories :List(Memory) $Urpc.maxLength(4)) $Urpc.oneway;

  # How many capabilities the server holds from `pass` calls; it deletes them.
  count @6 () -> (held :UInt32);

  # The client has made its last call.
  done @7 () -> ();
}
