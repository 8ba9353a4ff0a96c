@0xa1b2c3d4e5f6070d;

const greeting :Text = "hello";
const limits :List(UInt32) = [1, 2];
const fine :UInt32 = 7;
