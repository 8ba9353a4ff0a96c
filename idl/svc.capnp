# The service framework's own interface (docs/services.md): between two
# replicas of one service, on a channel that one opened to the other with
# Local.connect (port 1). It carries the agreement protocol of the service's
# replicated state (lib/svc/replicated.hpp), as MonitorPeer carries the
# monitors': a Prepare with its update, and the other steps, which carry
# none. The sender is the channel's other end. Both are one-way, in both
# directions.

@0xcc9168d514ae7079;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::svc");

interface Replica {
  agreePrepare @0 (coordinator :UInt8, attempt :UInt16, seq :UInt32, stamp :UInt64,
                   action :UInt8, small :UInt16, word :UInt32,
                   arg0 :UInt64, arg1 :UInt64, arg2 :UInt64) $Urpc.oneway;
  agreeStep @1 (kind :UInt8, coordinator :UInt8, vote :UInt8, attempt :UInt16, answers :UInt16,
                seq :UInt32, stamp :UInt64) $Urpc.oneway;
}
