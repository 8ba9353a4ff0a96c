# kv: the tutorial service (docs/tutorial-new-service.md, docs/services/kv.md).
# A map from 64-bit keys to 64-bit values, replicated on every core: each
# update is agreed by every replica and applied by all in one order, so the
# replicas stay identical; reads are answered by the caller's replica alone.

@0xf24cb5bbb7d6a2a9;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::kv");

interface Kv {
  # Sets `key` to `value`. Returns once this replica has applied it; `seq`
  # is its place in the agreed order (the same on every replica).
  put @0 (key :UInt64, value :UInt64) -> (seq :UInt64);

  # Adds `delta` to the value of `key` (a missing key counts as 0); the value
  # right after this update, in the agreed order.
  add @1 (key :UInt64, delta :UInt64) -> (value :UInt64, seq :UInt64);

  # The value of `key` in this replica.
  get @2 (key :UInt64) -> (found :Bool, value :UInt64);

  # This replica's state: how many updates it applied, a digest of their
  # sequence (equal digests: the same updates in the same order), how many
  # keys it holds and the sum of their values.
  summary @3 () -> (applied :UInt64, digest :UInt64, keys :UInt32, sum :UInt64);
}
