@0xa1b2c3d4e5f60704;

interface Files {
  open @0 (path :Text) -> (handle :UInt64);
  read @1 (handle :UInt64) -> (data :Data);
  list @2 () -> (handles :List(UInt64));
}
