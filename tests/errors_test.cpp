// error, errc, message, is, multi_error and combine_errors (spec 1.1).
#include <catch2/catch.hpp>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/sec.hpp>

#include "test_support.hpp"

using namespace parallel;

namespace {

// What a CAF node does to an error on the way to another node.
error round_trip(caf::actor_system& sys, const error& e) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto x = e;
  REQUIRE(!sink(x));
  error out;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(out));
  return out;
}

} // namespace

TEST_CASE("make_error with a message is a runtime error carrying the text") {
  auto e = make_error("uh oh");
  CHECK(e);
  CHECK(message(e) == "uh oh");
  CHECK_FALSE(is(e, errc::cancelled));
  CHECK(message(error{}) == "");
  // errors.New(""): an error all the same, whose text is "".
  auto blank = make_error("");
  CHECK(blank);
  CHECK(message(blank) == "");
  // CAF's own runtime error with no text still says what it is.
  CHECK(message(caf::make_error(caf::sec::runtime_error)) != "");
}

TEST_CASE("errc sentinels are in the library's category and compare exactly") {
  for (auto c : {errc::cancelled, errc::deadline_exceeded, errc::group_done,
                 errc::group_abandoned, errc::panicked, errc::node_down,
                 errc::misuse}) {
    auto e = make_error(c);
    CHECK(is(e, c));
    CHECK(e.category() == error_category);
    CHECK(message(e) == to_string(c));
  }
  CHECK_FALSE(is(make_error(errc::cancelled), errc::deadline_exceeded));
  CHECK_FALSE(is(error{}, errc::cancelled));
  CHECK(message(make_error(errc::deadline_exceeded)) == "deadline exceeded");
  // caf::to_string prints them too.
  CHECK_FALSE(caf::to_string(make_error(errc::node_down)).empty());
}

TEST_CASE("misuse_error says what happened") {
  misuse_error e;
  CHECK(std::string{e.what()} == "parallel executor misuse: don't reuse executors");
  const std::logic_error& base = e;
  CHECK(std::string{base.what()} == e.what());
}

TEST_CASE("multi_error: empty, one, message, unwrap") {
  multi_error none;
  CHECK_FALSE(none);
  CHECK(none.size() == 0);
  CHECK_THROWS_AS(none.one(), std::logic_error);
  CHECK_FALSE(static_cast<error>(none));

  auto m = make_multi_error({make_error("uh oh"), make_error("bad foo")});
  CHECK(m);
  CHECK(m.size() == 2);
  CHECK(message(m.one()) == "uh oh");
  CHECK(m.message() == "uh oh\nbad foo");
  CHECK(message(m) == "uh oh\nbad foo");
  CHECK(message(static_cast<error>(m)) == "uh oh\nbad foo");
}

TEST_CASE("make_multi_error keeps the list as given, combine_errors drops empties") {
  auto kept = make_multi_error({error{}, make_error("a")});
  CHECK(kept.size() == 2);
  // A multi_error holding only an empty error is still an error, and so is
  // what it converts to.
  auto only_empty = make_multi_error({error{}});
  CHECK(only_empty);
  CHECK(static_cast<bool>(error{only_empty}));
  CHECK(only_empty.message() == "");
  CHECK(message(error{only_empty}) == "");
  CHECK(combine_errors({error{only_empty}}).size() == 0);
  auto combined = combine_errors({error{}, make_error("a"), error{}});
  REQUIRE(combined.size() == 1);
  CHECK(message(combined.one()) == "a");
  CHECK_FALSE(combine_errors({error{}, error{}}));
}

TEST_CASE("multi_error's text skips empty parts, like Go's MultiError.Error()") {
  auto foo = make_error("foo");
  auto bar = make_error("bar");
  auto baz = make_error("baz");
  auto m = make_multi_error({foo, bar, {}, baz});
  CHECK(m.size() == 4); // the list stays as given
  CHECK(m.message() == "foo\nbar\nbaz");
  CHECK(message(m) == "foo\nbar\nbaz");
  CHECK(to_string(m) == "foo\nbar\nbaz");
  // The error it converts to reads the same and flattens to the non-empty parts.
  error as_error = m;
  CHECK(message(as_error) == "foo\nbar\nbaz");
  auto parts = combine_errors({as_error});
  REQUIRE(parts.size() == 3);
  CHECK(message(parts.errors()[0]) == "foo");
  CHECK(message(parts.errors()[1]) == "bar");
  CHECK(message(parts.errors()[2]) == "baz");
  // A part whose text is "" is not empty: it is a line, as in Go's Join.
  auto blank_in_middle = make_multi_error({make_error("x"), make_error(""), make_error("y")});
  CHECK(blank_in_middle.message() == "x\n\ny");
  CHECK(message(error{blank_in_middle}) == "x\n\ny");
  auto blank_first = make_multi_error({make_error(""), make_error("y")});
  CHECK(blank_first.message() == "\ny");
  CHECK(message(error{blank_first}) == "\ny");
  // Empty parts first or last leave no blank line either.
  CHECK(make_multi_error({{}, foo, {}}).message() == "foo");
  CHECK(make_multi_error({{}, foo, bar, {}}).message() == "foo\nbar");
  // A lone non-empty part among empty ones converts to that part itself
  // (errors compare by code only, so compare the text too).
  error lone = make_multi_error({{}, foo});
  CHECK(lone == foo);
  CHECK(message(lone) == "foo");
}

TEST_CASE("combine_errors flattens an error that came from a multi_error") {
  error inner = make_multi_error({make_error("bad foo"), make_error("bad bar")});
  auto all = combine_errors({make_error("uh oh"), inner});
  REQUIRE(all.size() == 3);
  CHECK(all.message() == "uh oh\nbad foo\nbad bar");
  // Nested twice still flattens.
  error twice = make_multi_error({inner, make_error("baz")});
  CHECK(combine_errors({twice}).size() == 3);
  // Two multi_errors combine without nesting.
  auto ab = combine_errors(make_multi_error({make_error("a"), inner}),
                           make_multi_error({make_error("b")}));
  CHECK(ab.message() == "a\nbad foo\nbad bar\nb");
  for (auto& e : ab.errors())
    CHECK(message(e).find('\n') == std::string::npos);
}

TEST_CASE_METHOD(test::system_fixture, "errors cross a serialisation boundary unchanged") {
  auto runtime = make_error("uh oh");
  CHECK(round_trip(sys, runtime) == runtime);
  CHECK(message(round_trip(sys, runtime)) == "uh oh");
  auto sentinel = make_error(errc::node_down);
  CHECK(is(round_trip(sys, sentinel), errc::node_down));
  error multi = make_multi_error({make_error("x"), make_error(errc::cancelled)});
  auto back = round_trip(sys, multi);
  CHECK(back == multi);
  auto parts = combine_errors({back});
  REQUIRE(parts.size() == 2);
  CHECK(message(parts.errors()[0]) == "x");
  CHECK(is(parts.errors()[1], errc::cancelled));
}
