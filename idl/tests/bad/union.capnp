@0xa1b2c3d4e5f60701;

struct Message {
  id @0 :UInt32;
  union {
    small @1 :UInt8;
    large @2 :UInt64;
  }
}
