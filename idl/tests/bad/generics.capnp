@0xa1b2c3d4e5f60703;

struct Box(T) {
  value @0 :T;
}

interface Store {
  get @0 [T] (key :UInt32) -> (value :UInt32);
}
