"""aaf's matcher against werkzeug's own ``MapAdapter.match``, on hand-picked and random paths."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from aaf._matcher import DEEPEST, NO_RULE, SlashRedirect, StateMatcher, Unknown
from aaf._rules import CONVERTERS

RULES = [
    ("/", ["GET"]),
    ("/dir/", ["GET"]),
    ("/a/<int:x>", ["GET"]),
    ("/a/<int:x>", ["POST"]),
    ("/a/<x>", ["PUT"]),
    ("/a/b", ["GET"]),
    ("/a/<x>-<int:y>/", ["GET"]),
    ("/p/<path:rest>", ["GET"]),
    ("/p/<path:rest>/edit", ["POST"]),
    ("/f/<float:v>", ["GET"]),
    ("/c/<any(red, blue):colour>/x", ["GET"]),
    ("/u/<uuid:u>", ["GET"]),
    ("/n/<int(signed=True):n>", ["GET"]),
    ("/<name>", ["GET"]),
    ("/<name>/<int:id>/", ["DELETE"]),
]


# Every dynamic part takes a whole segment: the flat fast path serves these.
FLAT_RULES = [
    ("/", ["GET"]),
    ("/dir/", ["GET"]),
    ("/a/<int:x>", ["GET"]),
    ("/a/<int:x>", ["POST"]),
    ("/a/<x>", ["PUT"]),
    ("/a/b", ["GET"]),
    ("/a/b/c/", ["GET"]),
    ("/a/<x>/c", ["GET"]),
    ("/a/<int:x>/<y>", ["GET"]),
    ("/f/<float:v>", ["GET"]),
    ("/c/<any(red, blue):colour>/x", ["GET"]),
    ("/n/<int(signed=True):n>", ["GET"]),
    ("/n/<int(max=9):n>/small", ["GET"]),
    ("/<name>", ["GET"]),
    ("/<name>/<int:id>/", ["DELETE"]),
    ("/<name>/edit", ["GET"]),
]


# Whole segments too, two of them with more than a converter: the variables are groups of
# the segment's regex.
FLAT_REGEX_RULES = [
    *FLAT_RULES,
    ("/q/<x>-<int:y>", ["GET"]),
    ("/q/v<int:y>/<name>", ["GET"]),
]


def build(rules: list[tuple[str, list[str]]]) -> tuple[StateMatcher[object], Map]:
    url_map = Map(
        [Rule(rule, endpoint=f"r{i}", methods=methods) for i, (rule, methods) in enumerate(rules)],
        converters=CONVERTERS,
    )
    matcher: StateMatcher[object] = StateMatcher(url_map, lambda rule: rule.endpoint)
    return matcher, url_map


MATCHER, MAP = build(RULES)
FLAT, FLAT_MAP = build(FLAT_RULES)
FLAT_REGEX, FLAT_REGEX_MAP = build(FLAT_REGEX_RULES)


def werkzeug_answer(path: str, method: str, url_map: Map = MAP) -> tuple[str, object]:
    try:
        rule, values = url_map.bind("localhost").match(path, method, return_rule=True)
    except RequestRedirect as exc:
        return "redirect", urlsplit(exc.new_url).path
    except MethodNotAllowed as exc:
        return "405", frozenset(exc.valid_methods or ())
    except NotFound:
        return "404", None
    except ValueError:
        # int() of more than 4,300 digits, which werkzeug up to 3.1.8 lets out of its matcher
        # (later versions take it for a failed conversion, as aaf does): no answer to compare.
        return "raised", None
    return "match", (rule.endpoint, values)


def aaf_answer(
    path: str, method: str, matcher: StateMatcher[object] = MATCHER
) -> tuple[str, object] | None:
    found = matcher.match(path, method)
    if type(found) is tuple:
        return "match", found
    if isinstance(found, SlashRedirect):
        return "redirect", found.path
    if isinstance(found, Unknown):
        return ("405", found.allow) if found.allow else ("404", None)
    return None  # handed to werkzeug


PATHS = [
    "/", "", "//", "/dir", "/dir/", "/a/1", "/a/x", "/a/b", "/a/b/", "/a/1/", "/a/x-2",
    "/a/x-2/", "/a/-2", "/p/a/b/c", "/p/a/b/edit", "/p/", "/f/1.5", "/f/1", "/f/.5",
    "/c/red/x", "/c/green/x", "/u/00000000-0000-0000-0000-000000000005", "/u/nope",
    "/n/-3", "/n/3", "/zz", "/zz/", "/zz/1", "/zz/1/", "/a//1", "/a/١", "/a/１", "/%20", "*",
    "a/1", "dir", "p/a/b",
]  # fmt: skip


def assert_like_werkzeug(
    path: str, method: str, matcher: StateMatcher[object] = MATCHER, url_map: Map = MAP
) -> None:
    """aaf's answer is werkzeug's; the matcher hands back only what werkzeug must redo."""
    ours = aaf_answer(path, method, matcher)
    if ours is None:
        assert "//" in path or not path, f"{path!r} was handed back to werkzeug"
        return
    theirs = werkzeug_answer(path, method, url_map)
    if theirs[0] == "raised":
        assert ours[0] in ("404", "405"), (path, method)
        return
    assert ours == theirs, (path, method)


def paths(words: list[str], digits: int, alphabet: str, depth: int) -> st.SearchStrategy[str]:
    """Paths of up to ``depth`` segments: rule words, numbers and odd text, maybe a slash."""
    segments = st.lists(
        st.one_of(
            st.sampled_from(words),
            st.from_regex(rf"\A-?[0-9]{{1,{digits}}}(\.[0-9])?\Z"),
            st.text(alphabet=alphabet, max_size=4),
        ),
        max_size=depth,
    )

    def joined(parts: list[str], trailing: bool) -> str:
        return "/" + "/".join(parts) + ("/" if trailing else "")

    return st.builds(joined, segments, st.booleans())


METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE"])


def test_every_hand_picked_path_answers_as_werkzeug_does() -> None:
    for path in PATHS:
        for method in ("GET", "POST", "PUT", "DELETE", "HEAD"):
            assert_like_werkzeug(path, method)


@settings(max_examples=400, deadline=None)
@given(
    path=paths(["a", "b", "p", "f", "c", "u", "n", "dir", "edit", "red", "x-2", ""], 4,
               "ab-_.~%١１", 5),
    method=METHODS,
)  # fmt: skip
def test_any_path_answers_as_werkzeug_does(path: str, method: str) -> None:
    assert_like_werkzeug(path, method)


def test_paths_with_double_slashes_are_handed_to_werkzeug() -> None:
    assert MATCHER.match("/a//1", "GET") is None


def test_the_fast_path_is_on_for_whole_segment_rules_only() -> None:
    assert FLAT._segments is not None  # pyright: ignore[reportPrivateUsage]
    # "<x>-<int:y>" and "v<int:y>" take whole segments too: their regexes check them.
    assert FLAT_REGEX._segments is not None  # pyright: ignore[reportPrivateUsage]
    # <path:> needs the walk
    assert MATCHER._segments is None  # pyright: ignore[reportPrivateUsage]


@settings(max_examples=600, deadline=None)
@given(
    path=paths(["a", "b", "c", "f", "n", "x", "dir", "edit", "small", "red", ""], 3,
               "ab-_.%١１", 4),
    method=METHODS,
)  # fmt: skip
def test_the_flat_fast_path_answers_as_werkzeug_does(path: str, method: str) -> None:
    assert_like_werkzeug(path, method, FLAT, FLAT_MAP)


@settings(max_examples=600, deadline=None)
@given(
    path=paths(["a", "b", "c", "f", "n", "q", "x", "v1", "dir", "edit", "small", "red", ""], 3,
               "ab-_.%١１v", 4),
    method=METHODS,
)  # fmt: skip
def test_segments_of_several_variables_answer_as_werkzeug_does(path: str, method: str) -> None:
    assert_like_werkzeug(path, method, FLAT_REGEX, FLAT_REGEX_MAP)


FLAT_PATHS = [
    "/", "/dir", "/dir/", "/a/1", "/a/b", "/a/b/c", "/a/b/c/", "/a/1/c", "/a/z/c", "/a/1/z",
    "/f/1.5", "/f/1", "/f/1.", "/c/red/x", "/c/pink/x", "/n/-4", "/n/3/small", "/n/12/small",
    "/zz", "/zz/1/", "/zz/1", "/zz/edit", "/a/edit", "*", "a/1", "zz/1", "/a", "/a/", "/a/١",
    "/a/１", "/a/²", "/a/" + "9" * 4301, "/q/a-1", "/q/a-1/", "/q/a-b", "/q/v1/x", "/q/v/x",
    "/q/vx/x", "/q/v1",
]  # fmt: skip


def test_flat_hand_picked_paths_answer_as_werkzeug_does() -> None:
    for path in FLAT_PATHS:
        for method in ("GET", "POST", "PUT", "DELETE"):
            assert_like_werkzeug(path, method, FLAT, FLAT_MAP)
            assert_like_werkzeug(path, method, FLAT_REGEX, FLAT_REGEX_MAP)


# Tables whose one rule takes one integer segment (found by the path before it, see the
# head table below, when that segment is the last), and tables that look like them but
# hold more.
ONE_INTEGER_RULES = [
    ("/items", ["POST"]),
    ("/items/<int:item_id>", ["GET"]),
    ("/users/<int(max=99):user_id>", ["GET", "DELETE"]),
    ("/orders/<int:n>/lines", ["GET"]),
    ("/tags/<int:n>", ["GET"]),
    ("/tags/<name>", ["PUT"]),
    ("/files/<int:n>/", ["GET"]),
    ("/<int:n>", ["GET"]),  # (a first segment of two that is dynamic is in every table of two)
]
ONE_INTEGER, ONE_INTEGER_MAP = build(ONE_INTEGER_RULES)
ONE_INTEGER_PATHS = [
    "/items", "/items/", "/items/7", "/items/07", "/items/x", "/items/-1", "/items/1.5",
    "/items/１", "/items/²", "/items/" + "9" * 4301, "/items/7/", "/users/5", "/users/100",
    "/users/99", "/orders/3/lines", "/orders/3", "/tags/3", "/tags/x", "/files/3",
    "/files/3/", "/7", "/x", "/7/8", "/x/8", "/items/7/8", "/users/" + "9" * 4301,
]  # fmt: skip


def test_a_table_s_one_integer_rule_answers_as_werkzeug_does() -> None:
    tails = ONE_INTEGER._tails  # pyright: ignore[reportPrivateUsage]
    # The head table takes the rules it may, and only those.
    assert sorted(tails) == ["/items", "/users"]  # not "/tags" (two rules), "/orders", "/files"
    for path in ONE_INTEGER_PATHS:
        for method in ("GET", "POST", "PUT", "DELETE"):
            assert_like_werkzeug(path, method, ONE_INTEGER, ONE_INTEGER_MAP)


@settings(max_examples=600, deadline=None)
@given(
    path=paths(["items", "users", "orders", "lines", "tags", "files", "x", ""], 4, "ab-.%١１", 3),
    method=METHODS,
)
def test_any_path_of_one_integer_tables_answers_as_werkzeug_does(path: str, method: str) -> None:
    assert_like_werkzeug(path, method, ONE_INTEGER, ONE_INTEGER_MAP)


# Rules of literal segments then one variable, the last segment: found by the path
# before its last slash when the rule is the only one of its first segment and length.
TAIL_RULES = [
    *ONE_INTEGER_RULES,
    ("/users/by-name/<name>", ["GET"]),
    ("/v1/things/<int:thing_id>", ["GET", "PUT"]),
    ("/v1/things", ["GET"]),
    ("/names/<name>", ["GET"]),
    ("/codes/<string(length=2):code>", ["GET"]),  # its own regex: not by the head
    ("/deep/a/<int:n>", ["GET"]),
    ("/deep/b/<int:n>", ["GET"]),  # two rules of "deep" and four segments
]
TAILS, TAILS_MAP = build(TAIL_RULES)
TAIL_PATHS = [
    *ONE_INTEGER_PATHS, "/users/by-name/bob", "/users/by-name/", "/users/by-name//",
    "/users/by-name/b%20b", "/users//by-name/bob", "//users/by-name/bob", "/v1/things/3",
    "/v1/things/3/", "/v1/things/", "/v1/things", "/v1//things/3", "/v1/things//3",
    "/v1/things/３", "/v1/things/" + "9" * 4301, "/names/x", "/names/", "/names/x/",
    "/names//x", "/codes/ab", "/codes/abc", "/deep/a/1", "/deep/b/2", "/deep/c/3",
    "users/by-name/bob", "/items/7?x", "/items/+7", "/items/ 7",
]  # fmt: skip


def test_rules_ending_in_a_variable_are_found_by_the_path_before_it() -> None:
    tails = TAILS._tails  # pyright: ignore[reportPrivateUsage]
    # (the segment must be digits, the variable) by head; the payload is the rule's endpoint
    assert {head: (tail[0], tail[1], tail[3]) for head, tail in tails.items()} == {
        "/items": (True, "item_id", "r1"),
        "/users": (True, "user_id", "r2"),
        "/users/by-name": (False, "name", "r8"),
        "/v1/things": (True, "thing_id", "r9"),
        "/names": (False, "name", "r11"),
    }
    for path in TAIL_PATHS:
        for method in ("GET", "POST", "PUT", "DELETE", "HEAD"):
            assert_like_werkzeug(path, method, TAILS, TAILS_MAP)
    assert TAILS.match("/users/by-name/bob", "GET") == ("r8", {"name": "bob"})
    assert TAILS.match("/v1/things/12", "PUT") == ("r9", {"thing_id": 12})


@settings(max_examples=600, deadline=None)
@given(
    path=paths(["items", "users", "by-name", "v1", "things", "names", "codes", "deep", "a",
                "b", "ab", ""], 4, "ab-.%١１", 4),
    method=METHODS,
)  # fmt: skip
def test_any_path_of_rules_ending_in_a_variable_answers_as_werkzeug_does(
    path: str, method: str
) -> None:
    assert_like_werkzeug(path, method, TAILS, TAILS_MAP)


# Rules aaf's router does not make but the matcher must still answer as werkzeug does, or
# hand back to werkzeug: trailing slashes optional (which turn the flat path off).
LOOSE = Map(
    [
        Rule("/loose/", endpoint="loose_dir", strict_slashes=False),
        Rule("/loose/<int:n>", endpoint="loose_n", strict_slashes=False, methods=["GET"]),
        Rule("/loose/<int:n>/", endpoint="loose_n_dir", methods=["POST"]),
        Rule("/opt/<x>/", endpoint="opt", strict_slashes=False),
        Rule("/s/<path:rest>", endpoint="s", strict_slashes=False),
        Rule("/t/<x>.json", endpoint="t_json"),
    ],
    converters=CONVERTERS,
)
LOOSE_MATCHER = StateMatcher(LOOSE, lambda rule: rule.endpoint)


def assert_like_werkzeug_or_handed_back(path: str, method: str) -> bool:
    """The matcher answers as werkzeug does, or leaves the path to it; True if it answered."""
    ours = aaf_answer(path, method, LOOSE_MATCHER)
    if ours is not None:
        assert ours == werkzeug_answer(path, method, LOOSE), (path, method)
    return ours is not None


def test_loose_slashes_and_defaults_answer_as_werkzeug_does() -> None:
    assert LOOSE_MATCHER._segments is None  # pyright: ignore[reportPrivateUsage]
    loose_paths = ["/loose", "/loose/", "/loose/3", "/loose/3/", "/opt/a", "/opt/a/",
                   "/s/a/b", "/s/a/b/", "/s/", "/t/a.json", "/t/a.json/", "/t/a"]  # fmt: skip
    answered = 0
    for path in loose_paths:
        for method in ("GET", "POST", "HEAD"):
            answered += assert_like_werkzeug_or_handed_back(path, method)
    assert answered > len(loose_paths)  # most are answered without werkzeug


@settings(max_examples=300, deadline=None)
@given(
    path=paths(["loose", "opt", "s", "t", "a.json", ""], 2, "ab.", 4),
    method=METHODS,
)  # fmt: skip
def test_any_loose_path_answers_as_werkzeug_does(path: str, method: str) -> None:
    assert_like_werkzeug_or_handed_back(path, method)


def test_a_rule_of_two_slash_taking_variables_is_tried_on_paths_it_can_be_tried_on() -> None:
    # Its regex tries every split of a path it does not match between the two: a 64 KB path
    # held the event loop 15 s over uvicorn (werkzeug's MapAdapter.match takes twice that),
    # every other client waiting. Up to DEEPEST ** (1 / 2) segments it answers as werkzeug
    # does; deeper, it is not tried (404), nor is the path handed to werkzeug, which would
    # try it. A rule with one such variable is tried at any depth.
    rules = [("/<path:a>/<path:b>/end", ["GET"]), ("/one/<path:a>", ["GET"])]
    matcher, url_map = build(rules)
    deepest = int(DEEPEST ** (1 / 2))
    at_most = "/" + "a/" * (deepest - 1) + "end"  # `deepest` segments
    assert aaf_answer(at_most, "GET", matcher) == werkzeug_answer(at_most, "GET", url_map)
    assert aaf_answer(at_most, "GET", matcher) == (
        "match",
        ("r0", {"a": "a", "b": "a/" * (deepest - 3) + "a"}),
    )
    for deeper in ("/" + "a/" * deepest + "end", "/" + "a/" * 20_000 + "nope"):
        assert matcher.match(deeper, "GET") == NO_RULE
        assert matcher.match(deeper.replace("/a/a/", "/a//", 1), "GET") == NO_RULE
    one = "/one/" + "a/" * 20_000 + "x"
    assert aaf_answer(one, "GET", matcher) == ("match", ("r1", {"a": one[5:]}))
    # Three such variables are tried on fewer segments: the work grows as the cube.
    matcher, _ = build([("/<path:a>/<path:b>/<path:c>/end", ["GET"])])
    assert matcher.match("/" + "a/" * int(DEEPEST ** (1 / 3)) + "end", "GET") == NO_RULE
    assert type(matcher.match("/" + "a/" * (int(DEEPEST ** (1 / 3)) - 1) + "end", "GET")) is tuple


def test_rules_with_defaults_are_left_to_werkzeug() -> None:
    url_map = Map(
        [Rule("/d/", endpoint="d", defaults={"page": 1}), Rule("/d/<int:page>", endpoint="p")],
        converters=CONVERTERS,
    )
    matcher = StateMatcher(url_map, lambda rule: rule.endpoint)
    assert matcher._segments is None  # pyright: ignore[reportPrivateUsage]
    assert matcher.match("/d/", "GET") is None  # werkzeug redirects /d/1 there itself
