# The monitors' interfaces (docs/monitor.md). Core 0's monitor starts every
# other core's monitor (Kernel.startCore) with a control channel, then builds
# the mesh: a channel between every pair of monitors, whose frames it makes
# and sends to the ends as capabilities (the first capabilities that cross
# cores). Programs a monitor starts get a channel to it as well.

@0xa3c1e5d7f9b20468;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::monitor");

interface Monitor {
  # Served by the monitors of cores 1..n-1 on their control channel to core 0's.

  # A mesh channel to the monitor of core `peer`: a 4 KiB Frame capability,
  # described by type, rights, base and size as the sending monitor's CPU
  # driver identified it; this monitor takes side A or B of the channel.
  attachPeer @0 (peer :UInt32, sideA :Bool, capType :UInt32, rights :UInt32, base :UInt64, bytes :UInt64) -> ();

  # Ping every mesh peer `rounds` times (while answering their pings).
  checkMesh @1 (rounds :UInt32) -> (peers :UInt32, roundTrips :UInt64, failed :UInt32);

  # Every monitor's programs have ended: end.
  finish @2 () $Urpc.oneway;

  # The mesh is complete: start the programs the command line names.
  startPrograms @3 () $Urpc.oneway;

  # Once this monitor's agreement engine is quiet: its replica of the memory
  # ownership map (a digest), the chunks it owns there, the chunk capabilities
  # it holds, its moves, and whether map and capabilities match.
  collectState @4 () -> (digest :UInt64, owned :UInt32, held :UInt32, movedIn :UInt32, movedOut :UInt32,
                          consistent :Bool, retries :UInt32, refused :UInt32);

  # The agreement benchmark (bench-agree), all monitors at once: `count`
  # operations one after another of kind `what` (0: empty agreed operations,
  # 1: local 4 KiB allocations, 2: chunk moves to this core from another's
  # pool); the TSC cycles they took and how many were done.
  benchAgree @5 (count :UInt32, what :UInt8) -> (cycles :UInt64, done :UInt32);

  # Once this monitor's agreement engine is quiet: what became of the memory
  # it handed out and of the capability operations it took part in. Pieces
  # still handed out (all, and those of the program named capstorm), pieces
  # given back and handed out again, deletes agreed and local, revokes
  # applied here and the capabilities that survived one here (must be 0),
  # give-backs refused because something here still held the memory, free
  # memory of its pool that a capability here still covers (must be 0), and
  # offers not yet claimed.
  collectCaps @6 () -> (outstanding :UInt32, stormOutstanding :UInt32, givenBack :UInt32, reused :UInt32,
                         deletesAgreed :UInt32, deletesLocal :UInt32, revokes :UInt32, survivors :UInt32,
                         refusedGiveBacks :UInt32, heldFree :UInt32, offersWaiting :UInt32, notNow :UInt32);
}

interface MonitorPeer {
  # Between any two monitors, in both directions, on their mesh channel.

  ping @0 (from :UInt32, seq :UInt64) -> (from :UInt32, seq :UInt64);

  # To core 0's monitor: every program this monitor started has ended.
  programsEnded @1 (core :UInt32, programs :UInt32, failed :UInt32) $Urpc.oneway;

  # A capability a program on the sender's core sends to a program on the
  # receiver's core: its description (as the sender's CPU driver identified
  # it, already marked as having a remote copy), under a ticket that the
  # receiving program names to claim it (Local.receiveCap).
  capOffer @2 (ticket :UInt64, capType :UInt32, rights :UInt32, base :UInt64, bytes :UInt64) $Urpc.oneway;

  # The agreement protocol (lib/agree, docs/agreement.md): a Prepare with its
  # operation, and the other steps (Vote, Commit, Abort, Ack), which carry
  # none. The sender is the channel's other end.
  agreePrepare @3 (coordinator :UInt8, attempt :UInt16, seq :UInt32, stamp :UInt64,
                   family :UInt8, action :UInt8, small :UInt16, word :UInt32,
                   arg0 :UInt64, arg1 :UInt64, arg2 :UInt64) $Urpc.oneway;
  agreeStep @4 (kind :UInt8, coordinator :UInt8, vote :UInt8, attempt :UInt16, answers :UInt16,
                seq :UInt32, stamp :UInt64) $Urpc.oneway;

  # The sender's memory pool at boot: chunks [first, first + count) of the
  # ownership map are its own (one message per run of chunks).
  poolAnnounce @5 (core :UInt32, first :UInt32, count :UInt32) $Urpc.oneway;

  # The offer with this ticket is recorded here (the answer to capOffer):
  # until it arrives the sender answers "not now" to agreed operations on
  # the offered memory, so none can commit here before the offer is known.
  capOfferRecorded @6 (ticket :UInt64) $Urpc.oneway;

  # To the core that owns the memory: an agreed delete of the last copy (or
  # a revoke) has finished on every core and nothing holds
  # [base, base + bytes) any more; if it is a piece handed out there, it
  # goes back to that core's pool.
  pieceFree @7 (base :UInt64, bytes :UInt64) $Urpc.oneway;
  # Services (docs/services.md). A channel a program on the sender's core
  # opened to the replica of service `name` on the receiver's core
  # (Local.connect): a 4 KiB Frame, described as capOffer describes one,
  # which waits here until that replica takes it (Local.acceptChannel).
  channelOffer @8 (name :Text $Urpc.maxLength(23), fromCore :UInt32, port :UInt32,
                   capType :UInt32, rights :UInt32, base :UInt64, bytes :UInt64) $Urpc.oneway;
  # Start service `name` on the receiver's core if the manifest places a
  # replica there and it is not running yet (a service starts when it is
  # first looked up or connected to).
  startService @9 (name :Text $Urpc.maxLength(23)) $Urpc.oneway;
  # A domain spans cores (docs/shootdown.md): run a dispatcher of domain
  # `domain` (its home core << 32 | its number there) on the receiver's core,
  # in the address space whose Pml4 is at `pml4Base` (the sender's copy is
  # marked as having a remote copy), entering `entry` with `arg` in RDI on
  # the stack below `stackTop`. The receiver makes the dispatcher, its small
  # capability space and its dispatcher frame from its own memory and answers
  # with the frame, so that the domain can map it.
  spanStart @10 (domain :UInt64, pml4Base :UInt64, entry :UInt64, stackTop :UInt64, arg :UInt64)
      -> (frameBase :UInt64, frameBytes :UInt64);

  # The domain unmapped [vaddr, vaddr + pages * 4 KiB): invalidate the
  # receiver core's TLB entries for it. The reply is the acknowledgement.
  shootdown @11 (domain :UInt64, vaddr :UInt64, pages :UInt64) -> ();

  # The domain ended on its home core: end its dispatcher here.
  spanEnd @12 (domain :UInt64) -> ();
  # Spawn (monitor/spawn.cpp, docs/services/spawn.md). Start boot module
  # `name` on the receiver's core with argument text `args`; if `hasCap`, the
  # capability offered under `ticket` (a capOffer sent just before on this
  # channel) goes to the child's task slot kTaskSpawnCap. -> the new domain's id.
  spawnStart @13 (name :Text $Urpc.maxLength(31), args :Text $Urpc.maxLength(127), hasCap :Bool,
                 ticket :UInt64) -> (id :UInt64);

  # The state of domain `id` on the receiver's core (see Local.domainStatus).
  domainStatus @14 (id :UInt64) -> (ended :Bool, exitCode :Int32);

  # The programs the receiver's monitor started (see Local.listDomains).
  listDomains @15 () -> (domains :List(DomainInfo) $Urpc.maxLength(16));

  # Part of domain `id`'s capability space (see Local.listCaps).
  listCaps @16 (id :UInt64, from :UInt32) -> (caps :List(CapInfo) $Urpc.maxLength(16), next :UInt32);
}

interface Local {
  # A program and its core's monitor, on a channel of their own on that core.

  # A RAM capability of 2^sizeLog2 bytes (4 KiB to 1 MiB) from this core's
  # pool, placed in the caller's empty slot `slot` (a capability address in
  # its own space). Busy: the pool ran dry and the monitor is moving memory
  # from another core (an agreed operation); ask again. NoMemory: no core
  # could give any.
  allocRam @0 (sizeLog2 :UInt8, slot :UInt32) -> ();

  # Where the caller runs: its core, the core count, and how many programs
  # this monitor started.
  whereAmI @1 () -> (core :UInt32, cores :UInt32, programs :UInt32, poolChunks :UInt32);

  # Send the capability in the caller's slot to core `toCore` (RAM or Frame).
  # The caller keeps its copy, now marked as having a remote copy. The ticket
  # names the offer there: (this core << 32) | (the program's tag << 24) | a
  # sequence number per program. Programs are started in the same order on
  # every core, so the same program has the same tag everywhere and can name
  # the offers its counterpart on another core sends it. Returns once the
  # receiving monitor has recorded the offer.
  sendCap @2 (slot :UInt32, toCore :UInt32) -> (ticket :UInt64);

  # Claim an offer that arrived at this core into the caller's empty slot.
  # NotFound: it has not arrived (yet).
  receiveCap @3 (ticket :UInt64, slot :UInt32) -> ();

  # Remove the object the caller's capability names (RAM or Frame) from the
  # whole system: every copy and every descendant on every core, the caller's
  # own included, in one agreed operation. Busy: another agreed operation of
  # this monitor is running; ask again.
  revokeCap @4 (slot :UInt32) -> ();

  # Retype one object of `capType` and 2^sizeLog2 bytes at `offset` of the
  # caller's RAM capability into its empty slot `dest`, when that RAM has
  # copies on other cores (a plain retype answers Busy then): an agreed
  # operation in which every core votes no if it holds anything in the range.
  # NoRights: another core does (a conflicting descendant).
  retypeCap @5 (slot :UInt32, capType :UInt32, sizeLog2 :UInt8, offset :UInt64, dest :UInt32) -> ();

  # Delete the capability in the caller's slot. One whose object has
  # relations on other cores (a RAM or Frame capability sent or received)
  # is deleted in an agreed operation in which every core says whether it
  # still holds anything in the object's memory; any other is deleted here
  # alone. last: nothing on any core holds the memory any more, so if it was
  # a piece of a monitor's pool it went back there (and allocRam may hand it
  # out again). InvalidCap: the slot is empty, or the object went (a revoke)
  # before the delete could be agreed. Busy: an agreed operation of this
  # monitor is running; ask again.
  deleteCap @6 (slot :UInt32) -> (last :Bool);
  # The name service (docs/services/names.md): the caller runs a replica of
  # service `name` on this core. An agreed operation of every monitor: on
  # return every core's table has it. InvalidArgument: not a name
  # (1..23 of a-z 0-9 _ -); NoRights: the table is full.
  registerName @7 (name :Text $Urpc.maxLength(23)) -> ();

  # The cores that registered `name` (bit n: core n), read from this core's
  # replica of the table, and the cores the service manifest places it on
  # (0 if the manifest does not list it). Looking up a listed service starts
  # it on its cores if it is not running yet.
  lookup @8 (name :Text $Urpc.maxLength(23)) -> (cores :UInt64, planned :UInt64);

  # A channel to the replica of service `name` on core `toCore`: a fresh
  # 4 KiB Frame placed in the caller's empty slot `slot` (the caller is
  # side A of a URPC channel on it); the other end waits for that replica,
  # which takes it with acceptChannel. `port` is the service's own: it tells
  # the replica what kind of peer connects (docs/services.md: 0 a client,
  # 1 another replica). NotFound: no such service there.
  connect @9 (name :Text $Urpc.maxLength(23), toCore :UInt32, port :UInt32, slot :UInt32) -> ();

  # The oldest channel opened to a service the caller registered on this
  # core, placed in its empty slot `slot` (side B); found = false if none waits.
  acceptChannel @10 (slot :UInt32) -> (found :Bool, fromCore :UInt32, port :UInt32);

  # Whether the system is shutting down: a service polls it and ends.
  serviceStop @11 () -> (stop :Bool);
  # Run a dispatcher of the caller's domain on core `core`, in the caller's
  # own address space (docs/shootdown.md): it enters `entry` with `arg` in
  # RDI on the stack below `stackTop` (memory the caller mapped). Its
  # dispatcher frame, made on that core, is placed in the caller's empty slot
  # `frameSlot`, for the caller to map (fault handler, saved registers).
  # OutOfRange: no such core; InvalidArgument: the caller's own core, or a
  # zero or kernel-half entry; Busy: the domain spans that core already;
  # SlotOccupied: `frameSlot` is not empty.
  span @12 (core :UInt32, entry :UInt64, stackTop :UInt64, arg :UInt64, frameSlot :UInt32) -> ();

  # After unmapping [vaddr, vaddr + pages * 4 KiB) (kVNodeUnmap, which
  # flushed this core's TLB): every other core the domain spans invalidates
  # its TLB for the range and acknowledges; returns after the last
  # acknowledgement, with how many cores did. InvalidArgument: vaddr not
  # page-aligned or pages == 0; OutOfRange: beyond the user half; NotFound:
  # the domain spans no other core.
  shootdown @13 (vaddr :UInt64, pages :UInt64) -> (cores :UInt32);
  # Spawn (monitor/spawn.cpp, docs/services/spawn.md). Start boot module
  # `name` in a new domain on every core in the bitmask `cores`, each with
  # argument text `args` (the child reads it with `args`) and, unless capSlot
  # is 0xFFFFFFFF, a copy of the capability in the caller's slot `capSlot` in
  # the child's task slot kTaskSpawnCap (to another core: RAM or Frame only).
  # NotFound: no such boot module; OutOfRange: a core that does not exist, or
  # no core; WrongType: a capability that cannot cross cores. A core that
  # cannot start it (Full: too many programs there) reports its error in its
  # result; the others start.
  spawn @14 (name :Text $Urpc.maxLength(31), cores :UInt64, args :Text $Urpc.maxLength(127),
            capSlot :UInt32) -> (results :List(SpawnResult) $Urpc.maxLength(64));

  # Whether domain `id` (any core) has ended and its exit code (-1: the CPU
  # driver ended it for a fault). Answers at once; NotFound: no such domain
  # (or its record was reused).
  domainStatus @15 (id :UInt64) -> (ended :Bool, exitCode :Int32);

  # The caller's argument text and its own domain id.
  args @16 () -> (text :Text $Urpc.maxLength(127), id :UInt64);

  # The programs core `core`'s monitor started (boot programs and spawned ones).
  listDomains @17 (core :UInt32) -> (domains :List(DomainInfo) $Urpc.maxLength(16));

  # Domain `id`'s capability space (any core): its non-empty slots from
  # capability address `from` on, at most 16; `next` is where to go on
  # (0xFFFFFFFF: the end).
  listCaps @18 (id :UInt64, from :UInt32) -> (caps :List(CapInfo) $Urpc.maxLength(16), next :UInt32);

  # The memory pools: the 1 MiB chunks each core owns in this monitor's
  # replica of the ownership map, by core.
  memInfo @19 () -> (chunks :List(UInt32) $Urpc.maxLength(64), chunkBytes :UInt64);
}

struct SpawnResult {
  core @0 :UInt32;
  error @1 :UInt32;   # mk::Error, 0 (Ok) when it started
  id @2 :UInt64;      # the new domain: core << 32 | a sequence number of that core
}

struct DomainInfo {
  id @0 :UInt64;
  name @1 :Text $Urpc.maxLength(23);
  ended @2 :Bool;
  exitCode @3 :Int32;
}

struct CapInfo {
  slot @0 :UInt32;    # capability address: L1 slot << 8 | L2 slot
  type @1 :UInt8;     # as lib/caps/capability.hpp numbers them
  rights @2 :UInt8;
  remote @3 :Bool;    # copies on other cores
  base @4 :UInt64;
  bytes @5 :UInt64;
  word @6 :UInt64;    # CNode slots, IRQ line, first I/O port
}
