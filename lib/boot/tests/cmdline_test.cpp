#include <catch2/catch.hpp>

#include <string>

#include "boot/cmdline.hpp"

using namespace mk;
using namespace mk::boot;

TEST_CASE("CommandLine finds flags and values", "[boot]") {
    CommandLine cl("  demo test-fault=ud fault-core=3 size=0x1000  shutdown");
    CHECK(cl.has("demo"));
    CHECK(cl.has("shutdown"));
    CHECK(cl.has("test-fault"));
    CHECK_FALSE(cl.has("test"));
    CHECK_FALSE(cl.has("dem"));
    char buf[8];
    REQUIRE(cl.get("test-fault", buf, sizeof buf).ok());
    CHECK(std::string(buf) == "ud");
    CHECK(cl.get("demo", buf, sizeof buf).error() == Error::NotFound);
    CHECK(cl.get("missing", buf, sizeof buf).error() == Error::NotFound);
    char tiny[2];
    CHECK(cl.get("test-fault", tiny, sizeof tiny).error() == Error::TooLong);
    CHECK(*cl.get_u64("fault-core", 0) == 3);
    CHECK(*cl.get_u64("size", 0) == 0x1000);
    CHECK(*cl.get_u64("absent", 42) == 42);
}

TEST_CASE("CommandLine rejects malformed numbers", "[boot]") {
    CommandLine cl("a=12x b=0x c=99999999999999999999999 d=");
    CHECK(cl.get_u64("a", 0).error() == Error::InvalidArgument);
    CHECK(cl.get_u64("b", 0).error() == Error::InvalidArgument);
    CHECK(cl.get_u64("c", 0).error() != Error::Ok);
    CHECK(cl.get_u64("d", 0).error() == Error::InvalidArgument);
}

TEST_CASE("skip_image_path drops a leading kernel path only", "[boot]") {
    CHECK(std::string(skip_image_path("/boot/kernel.elf shutdown demo")) == "shutdown demo");
    CHECK(std::string(skip_image_path("build/cpudriver/kernel.elf")) == "");
    CHECK(std::string(skip_image_path("kernel.elf idle")) == "idle");
    CHECK(std::string(skip_image_path("shutdown demo")) == "shutdown demo");
    CHECK(std::string(skip_image_path("")) == "");
}
