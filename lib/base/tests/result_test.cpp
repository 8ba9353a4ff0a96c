#include <catch2/catch.hpp>

#include "base/result.hpp"

using namespace mk;

static Result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return Error::InvalidArgument;
    return c - '0';
}

static Result<int> sum_two(const char* s) {
    int a = TRY(parse_digit(s[0]));
    int b = TRY(parse_digit(s[1]));
    return a + b;
}

TEST_CASE("Result carries a value or an error and TRY propagates", "[base]") {
    auto ok = sum_two("34");
    REQUIRE(ok.ok());
    CHECK(*ok == 7);
    auto bad = sum_two("3x");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == Error::InvalidArgument);
    CHECK(std::string(error_name(bad.error())) == "InvalidArgument");
    CHECK(bad.value_or(-1) == -1);
}
