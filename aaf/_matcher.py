"""Route matching without a per-path cache: werkzeug's own state machine, walked faster.

werkzeug compiles a ``Map``'s rules into a tree of states (``StateMachineMatcher``) and walks
it for every request, compiling each dynamic part's regex on the way and wrapping the result
in ``MapAdapter.match``'s exceptions: about 5 µs a request. This module walks the **same tree**
(built by werkzeug, so rules, converters, weights and precedence stay werkzeug's) with the same
algorithm, but with each part's regex compiled once and no exceptions on the common paths.
A fast path comes first, for rules whose dynamic parts each take a whole segment: a path's
segments compared with the rules'. What it does not handle (a path with ``//``, which werkzeug
merges and redirects) it hands back to werkzeug. Nothing is kept per path, so no client can
grow it.

``tests/test_matcher.py`` checks its answers against ``MapAdapter.match`` on every rule kind,
through each path, by hand and with hypothesis.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Generic, TypeVar, cast
from urllib.parse import quote

from werkzeug.routing import Map, Rule
from werkzeug.routing.converters import BaseConverter, NumberConverter, ValidationError
from werkzeug.routing.matcher import State

__all__ = ["MatchResult", "SlashRedirect", "StateMatcher", "Unknown"]


# What the caller keeps per rule, given back with a match (aaf's routing: the Endpoint).
P = TypeVar("P")


# Not tuples: a match is the one plain tuple among the results, told by `type(x) is tuple`.
@dataclasses.dataclass(frozen=True, slots=True)
class SlashRedirect:
    """The path exists with a trailing slash (werkzeug's strict slashes): redirect there."""

    path: str


@dataclasses.dataclass(frozen=True, slots=True)
class Unknown:
    """Nothing matched: ``allow`` holds the methods the path has (405), or nothing (404)."""

    allow: frozenset[str]


# (payload, values) for a match; None: ask werkzeug itself.
MatchResult = tuple[P, dict[str, object]] | SlashRedirect | Unknown | None
# A rule, its payload, and (name, converter) for each rule variable.
_Entry = tuple[Rule, P, tuple[tuple[str, Callable[[str], object]], ...]]


@dataclasses.dataclass(slots=True)
class _Node(Generic[P]):
    """One werkzeug ``State``, with its dynamic transitions' regexes compiled."""

    static: dict[str, _Node[P]]
    # (regex match, consumes the rest, has a slash suffix, converter group numbers, next
    # node, the most segments the rest may have for the regex to be tried: 0 for any)
    dynamic: list[
        tuple[Callable[[str], re.Match[str] | None], bool, bool, tuple[int, ...], _Node[P], int]
    ]
    rules: list[_Entry[P]]


# A segment of a rule: (True, a literal) or (False, a dynamic part's regex); a rule's
# segments, whether it is a trailing slash redirect, and its entry.
_Piece = tuple[bool, str]
_Candidate = tuple[list[_Piece], bool, _Entry[P]]
# The segment fast path, per rule: for each segment to check, (its index in path.split("/"),
# what to check, a literal or a full-match function); whether it is a trailing slash
# redirect, the rule's payload, its methods (None: any), and (name, converter, segment index)
# for each rule variable.
_Check = tuple[int, int, "str | Callable[[str], object] | None"]
_Converted = tuple[str, Callable[[str], object], int]
_Segmented = tuple[tuple[_Check, ...], bool, P, "frozenset[str] | None", tuple[_Converted, ...]]
_LITERAL, _DIGITS, _SEGMENT, _REGEX = 0, 1, 2, 3
# A rule of literal segments then one variable that takes the last whole segment, an
# integer or any text (/items/<int:id>, /users/<name>), by the path before its last slash:
# whether the segment must be digits, the variable's name and converter, the payload and
# the methods.
_Tail = tuple[bool, str, Callable[[str], object], P, "frozenset[str] | None"]


# A dynamic part that is one converter, and the regexes checked without the regex engine.
_ONE = re.compile(r"\(\?P<__werkzeug_\d+>(.*)\)", re.DOTALL)
_PLAIN = {r"[0-9]+": _DIGITS, r"[^/]{1,}": _SEGMENT}


def _tail(key: str, rule: _Segmented[P]) -> tuple[str, _Tail[P]] | None:
    """A rule of literal segments then one variable that is the last segment, an integer
    or any text: the path before its last slash ("/items") and what `StateMatcher.match`
    checks; None for another rule."""
    checks, redirect, payload, methods, converted = rule
    if redirect or not checks or len(converted) != 1:
        return None
    *literals, (last, kind, _) = checks
    # Every segment after the first (the table's key) checked in order, literals then the
    # variable; a rule under a dynamic first segment checks that one too (index 1).
    if [i for i, *_ in checks] != list(range(2, last + 1)) or converted[0][2] != last:
        return None
    if kind not in (_DIGITS, _SEGMENT) or any(k != _LITERAL for _, k, _ in literals):
        return None
    head = "/".join(["", key, *(cast("str", literal) for *_, literal in literals)])
    name, convert, _ = converted[0]
    return head, (kind == _DIGITS, name, convert, payload, methods)


NO_RULE = Unknown(frozenset())


class _SlashRequired(Exception):
    pass


# A rule with k variables that take slashes (`<path:a>/<path:b>/end`) is matched by a regex that
# tries every way of splitting the path among them when it fails: time growing as the k-th
# power of the path's segments, in C, the event loop held (16,000 segments, a 32 KB path,
# took 3.7 s with two, and 6.7 s in werkzeug's own MapAdapter.match, every other client
# waiting). Such a rule is tried only on paths of at most DEEPEST ** (1 / k) segments (316
# for two): any more is a path it does not match, 404, at once.
DEEPEST = 100_000
# An unescaped `.*` or `.+`: a variable that can take slashes (werkzeug's path: `[^/].*?`).
_SPANNING = re.compile(r"(?<!\\)\.[*+]")


def _deepest(content: str) -> int:
    """The most segments a rest-consuming part's regex is tried on; 0 for any."""
    spanning = len(_SPANNING.findall(content))
    return int(DEEPEST ** (1 / spanning)) if spanning > 1 else 0


class StateMatcher(Generic[P]):
    """Match paths against a bound werkzeug ``Map`` exactly as ``MapAdapter.match`` does,
    except on paths deeper than a rule whose variables take slashes can be tried on
    (``DEEPEST``), which no such rule matches."""

    def __init__(self, url_map: Map, payload: Callable[[Rule], P]) -> None:
        url_map.update()
        self._payload = payload
        self._plain = True  # no rule has defaults, an alias or a redirect
        self._deepest = 0  # the least of the parts' bounds (0: no part has one)
        nodes: dict[int, _Node[P]] = {}
        # werkzeug's state machine is what aaf walks: its private tree, read once.
        matcher = url_map._matcher  # pyright: ignore[reportPrivateUsage]
        root = self._node(matcher._root, nodes)  # pyright: ignore[reportPrivateUsage]
        # Every path starts with the domain part ("" without host matching) and the empty
        # part before its first slash: start below both.
        start = root.static.get("")
        self._start = start.static.get("") if start is not None else None
        self._merge_slashes = url_map.merge_slashes
        self._entries = {id(entry[0]): entry for entry in self._all_entries(root)}
        self._segments: dict[str, dict[int, list[_Segmented[P]]]] | None = None
        self._tails: dict[str, _Tail[P]] = {}
        self._dynamic_first: dict[int, list[_Segmented[P]]] = {}
        candidates = self._candidates(matcher._root)  # pyright: ignore[reportPrivateUsage]
        if candidates is not None and self._plain:
            self._segment_tables(candidates)

    def _all_entries(self, node: _Node[P]) -> list[_Entry[P]]:
        found = list(node.rules)
        for child in node.static.values():
            found += self._all_entries(child)
        for _match, _final, _suffixed, _numbers, child, _bound in node.dynamic:
            found += self._all_entries(child)
        return found

    # The segment fast path -------------------------------------------------------------------
    # When every dynamic part takes exactly one whole segment (no <path:>), werkzeug's
    # depth-first walk visits the rules in one fixed order: static transitions before dynamic
    # ones, dynamic ones by weight (rules of other lengths never match the same path). So the
    # rules under each static first segment, then those under a dynamic one, are tried in that
    # order, each by comparing the path's segments with its own; the first that fits is the
    # rule werkzeug would find, or the trailing slash redirect it would raise first. Anything
    # else (a method the rule does not allow, a failed conversion, "//") goes to the walk.
    def _candidates(self, root: State) -> dict[str | None, list[_Candidate[P]]] | None:
        """The rules by first segment (None: a dynamic one), each in werkzeug's order; None
        when a rule does not fit (a part that is not one whole segment, say)."""
        candidates: dict[str | None, list[_Candidate[P]]] = {}
        domain = root.static.get("")
        start = domain.static.get("") if domain is not None else None
        if start is None or root.dynamic or (domain is not None and domain.dynamic):
            return None
        if not self._collect(start, [], None, candidates):
            return None
        return candidates

    # PERF: segments compared (str.split, ==, str.isdigit), not one regex of alternatives
    # per first segment as before: fewer instructions and less code per request
    # (benchmarks/instructions.py, item model 52.7k -> 51.3k), which counts about three times
    # over a network, where the server's own work evicts the caches between requests
    # (benchmarks/network.py: item model 0.78 -> 0.80 of raw). Other dynamic parts are
    # checked by their own regex, on their segment only.
    def _segment_tables(self, candidates: dict[str | None, list[_Candidate[P]]]) -> None:
        tables: dict[str | None, dict[int, list[_Segmented[P]]]] = {}
        for key, found in candidates.items():
            table = tables.setdefault(key, {})
            for pieces, redirect, entry in found:
                checks: list[_Check] = []
                # Where each rule variable is: (segment index, its group in the part's regex,
                # or None when the variable is the whole segment), in werkzeug's order.
                places: list[tuple[int, re.Pattern[str] | None, int]] = []
                for i, (literal, text) in enumerate(pieces, start=1):
                    if literal:
                        if i > 1 or key is None:  # the first is the table's key
                            checks.append((i, _LITERAL, text))
                        continue
                    one = _ONE.fullmatch(text)
                    regex = re.compile(text)
                    if one is not None and regex.groups == 1:  # the variable is the segment
                        kind = _PLAIN.get(one.group(1), _REGEX)
                        checks.append((i, kind, regex.fullmatch if kind == _REGEX else None))
                        places.append((i, None, 0))
                    else:  # "<a>-<b>", "v<int:n>": the variables are groups of the segment
                        checks.append((i, _REGEX, regex.fullmatch))
                        names = sorted(
                            (n for n in regex.groupindex if n.startswith("__werkzeug_")),
                            key=lambda n: int(n[11:]),
                        )
                        places += [(i, regex, regex.groupindex[n]) for n in names]
                rule, payload, converters = entry
                converted = tuple(
                    (variable, convert if part is None else _in_group(part, group, convert), i)
                    for (variable, convert), (i, part, group) in zip(
                        converters, places, strict=True
                    )
                )
                methods = frozenset(rule.methods) if rule.methods is not None else None
                # path.split("/") of a path of these segments: "" before the first slash.
                table.setdefault(len(pieces) + 1, []).append(
                    (tuple(checks), redirect, payload, methods, converted)
                )
        # The rules under a dynamic first segment come after those under a literal one, as
        # werkzeug tries them: each literal's table holds both, in that order.
        dynamic_first = tables.pop(None, {})
        segments: dict[str, dict[int, list[_Segmented[P]]]] = {}
        for key, table in tables.items():
            assert key is not None  # popped
            segments[key] = {}
            for n in {*table, *dynamic_first}:
                rules = [*table.get(n, []), *dynamic_first.get(n, [])]
                segments[key][n] = rules
                # The only rule of its first segment and length: no other could come first.
                if len(rules) == 1 and (tail := _tail(key, rules[0])) is not None:
                    self._tails[tail[0]] = tail[1]
        self._segments = segments
        self._dynamic_first = dynamic_first

    def _collect(
        self,
        state: State,
        pieces: list[_Piece],
        first: str | None,
        out: dict[str | None, list[_Candidate[P]]],
    ) -> bool:
        # Each rule under `state` (and each trailing slash redirect werkzeug would raise), with
        # the segments before it: a literal, or a dynamic part's regex (its `\Z` dropped).
        key = first
        for rule in state.rules:
            out.setdefault(key, []).append((pieces, False, self._entries[id(rule)]))
        slash = state.static.get("")
        if slash is not None and pieces:
            for rule in slash.rules:
                if not rule.strict_slashes:
                    return False
                out.setdefault(key, []).append((pieces, True, self._entries[id(rule)]))
        for literal, child in state.static.items():
            head = literal if not pieces else first
            if not self._collect(child, [*pieces, (True, literal)], head, out):
                return False
        for part, child in state.dynamic:
            if part.final or part.suffixed or not part.content.endswith(r"\Z"):
                return False
            dynamic = (False, part.content[:-2])
            if not self._collect(child, [*pieces, dynamic], first if pieces else None, out):
                return False
        return True

    def _rule_entry(self, rule: Rule) -> _Entry[P]:
        converters = tuple(
            (name, _to_python(c))
            for name, c in rule._converters.items()  # pyright: ignore[reportPrivateUsage]
        )
        self._plain = self._plain and not (rule.defaults or rule.alias or rule.redirect_to)
        return rule, self._payload(rule), converters

    def _node(self, state: State, nodes: dict[int, _Node[P]]) -> _Node[P]:
        known = nodes.get(id(state))
        if known is not None:
            return known
        node = _Node({}, [], [self._rule_entry(rule) for rule in state.rules])
        nodes[id(state)] = node
        node.static = {part: self._node(child, nodes) for part, child in state.static.items()}
        for part, child in state.dynamic:  # werkzeug sorted them by weight
            regex = re.compile(part.content)
            # The converters' groups, in werkzeug's order (by the number in their names).
            names = sorted(
                (n for n in regex.groupindex if n.startswith("__werkzeug_")),
                key=lambda n: int(n[11:]),
            )
            numbers = tuple(regex.groupindex[n] for n in names)
            deepest = _deepest(part.content) if part.final else 0
            if deepest and (not self._deepest or deepest < self._deepest):
                self._deepest = deepest
            node.dynamic.append(
                (regex.match, part.final, part.suffixed, numbers, self._node(child, nodes), deepest)
            )
        return node

    def match(self, path: str, method: str) -> MatchResult[P]:
        """Find what answers ``method path`` (``None``: werkzeug must decide).

        A match is ``(payload, values)``: what ``payload`` gave for the rule at construction,
        and the rule variables converted by the rule's converters.
        """
        if tails := self._tails:
            # PERF: a rule of literal segments then one variable, the last segment
            # (/items/<int:id>), found by the path before its last slash, the path not split
            # (benchmarks/instructions.py, item model and the routing rows). A head found is
            # literal segments: the path starts with "/" and holds no "//".
            head, _, tail = path.rpartition("/")
            if (one := tails.get(head)) is not None:
                digits, name, convert, payload, methods = one
                if (tail.isdigit() and tail.isascii() if digits else tail) and (
                    methods is None or method in methods
                ):
                    try:
                        return payload, {name: convert(tail)}
                    except (ValidationError, ValueError):
                        pass
                # A method the rule does not allow, or a failed conversion: as below.
        segments = self._segments  # when every rule fits, the rules are plain and there is a start
        if segments is not None and path[:1] == "/" and "//" not in path:
            # PERF: the segment fast path, inline (benchmarks/network.py, item model).
            parts = path.split("/")
            rules = segments.get(parts[1], self._dynamic_first).get(len(parts))
            if rules is None:
                return NO_RULE  # no rule has this many segments
            for checks, redirect, payload, methods, converted in rules:
                for i, kind, arg in checks:
                    segment = parts[i]
                    if kind == _DIGITS:
                        if not (segment.isdigit() and segment.isascii()):
                            break
                    elif kind == _LITERAL:
                        if segment != arg:
                            break
                    elif kind == _SEGMENT:
                        if not segment:
                            break
                    elif cast("Callable[[str], object]", arg)(segment) is None:
                        break
                else:
                    if methods is None or method in methods:
                        if redirect:
                            return SlashRedirect(quote(path + "/", safe="!$&'()*+,/:;=@"))
                        try:
                            if len(converted) == 1:
                                name, convert, i = converted[0]
                                return payload, {name: convert(parts[i])}
                            return payload, _values(converted, parts)
                        except (ValidationError, ValueError):
                            # ValueError: int() refuses more than 4,300 digits (sys.int_info).
                            pass
                    # A method the rule does not allow, or a failed conversion: werkzeug keeps
                    # looking (and may answer 405), so the walk below decides.
                    break
            else:
                return NO_RULE  # every rule that could match was tried: 404
        start = self._start
        if start is None or not path or not self._plain:
            return self._for_werkzeug(path)
        if path[:1] != "/" or path[1:2] == "/":
            path = "/" + path.lstrip("/")  # as MapAdapter.match does: "*" is "/*"
        allow: list[str] = []
        try:
            found = _walk(start, path.split("/"), 1, [], method, allow)
        except _SlashRequired:
            return SlashRedirect(quote(path + "/", safe="!$&'()*+,/:;=@"))
        if found is None:
            if self._merge_slashes and "//" in path:
                # werkzeug merges the slashes and redirects
                return self._for_werkzeug(path)
            return Unknown(frozenset(allow))
        entry, raw = found
        converters = entry[2]
        try:
            if len(raw) == 1:  # PERF: the common case, without a loop
                name, convert = converters[0]
                return entry[1], {name: convert(raw[0])}
            return entry[1], {
                name: convert(v) for (name, convert), v in zip(converters, raw, strict=True)
            }
        except (ValidationError, ValueError):  # ValueError: too many digits for int()
            return Unknown(frozenset(allow))

    def _for_werkzeug(self, path: str) -> Unknown | None:
        """``None``, for werkzeug to decide; ``NO_RULE`` for a path deeper than a rule with
        variables that take slashes may be tried on, which werkzeug would try (for seconds)."""
        if self._deepest and path.count("/") > self._deepest:
            return NO_RULE
        return None


def _values(converted: tuple[_Converted, ...], parts: list[str]) -> dict[str, object]:
    # Not a comprehension in match(): one there makes its variables closure cells, created
    # on every call (benchmarks/instructions.py).
    return {name: convert(parts[i]) for name, convert, i in converted}


def _in_group(
    regex: re.Pattern[str], group: int, convert: Callable[[str], object]
) -> Callable[[str], object]:
    """``convert`` of one group of a segment that holds more than a variable ("<a>-<b>")."""

    def converted(segment: str) -> object:
        matched = regex.fullmatch(segment)
        assert matched is not None  # the segment's check matched it
        return convert(matched.group(group))

    return converted


def _to_python(converter: BaseConverter) -> Callable[[str], object]:
    # PERF: a number converter without fixed digits or bounds is its num_convert (int or
    # float) once its regex has matched: a Python-level call less (benchmarks/inprocess.py).
    if (
        isinstance(converter, NumberConverter)
        and not converter.fixed_digits
        and converter.min is None
        and converter.max is None
    ):
        convert: Callable[[str], object] = converter.num_convert
        return convert
    if type(converter).to_python is BaseConverter.to_python:
        # PERF: the value as it is, by str() (which gives a str itself back), not by a
        # Python-level method that returns it: about 15 ns a value less (timeit, one call
        # of each on "bob"; tests/test_matcher.py checks the values).
        return str
    return converter.to_python


def _walk(
    node: _Node[P], parts: list[str], i: int, values: list[str], method: str, allow: list[str]
) -> tuple[_Entry[P], list[str]] | None:
    # werkzeug.routing.matcher.StateMachineMatcher.match's _match, step for step, with an
    # index into the parts instead of slices of them.
    if i == len(parts):
        for entry in node.rules:
            rule = entry[0]
            if rule.methods is not None and method not in rule.methods:
                allow.extend(rule.methods)
            else:
                return entry, values
        slash = node.static.get("")
        if slash is not None:
            for entry in slash.rules:
                rule = entry[0]
                if rule.methods is None or method in rule.methods:
                    if rule.strict_slashes:
                        raise _SlashRequired
                    return entry, values
        return None
    part = parts[i]
    child = node.static.get(part)
    if child is not None:
        found = _walk(child, parts, i + 1, values, method, allow)
        if found is not None:
            return found
    for match, final, suffixed, numbers, child, deepest in node.dynamic:
        if final:
            if deepest and len(parts) - i > deepest:
                continue  # tried on a path this deep, its regex would hold the loop for seconds
            matched = match("/".join(parts[i:]))
            rest, j = parts, len(parts)
        else:
            matched = match(part)
            rest, j = parts, i + 1
        if matched is not None:
            if suffixed and matched.groups()[-1] == "/":
                rest, j = _TRAILING_SLASH, 0
            if len(numbers) == 1:
                found = _walk(child, rest, j, [*values, matched.group(numbers[0])], method, allow)
            else:
                found = _walk(child, rest, j, values + list(matched.group(*numbers)), method, allow)
            if found is not None:
                return found
    if i == len(parts) - 1 and part == "":
        for entry in node.rules:
            rule = entry[0]
            if rule.strict_slashes:
                continue
            if rule.methods is not None and method not in rule.methods:
                allow.extend(rule.methods)
            else:
                return entry, values
    return None


_TRAILING_SLASH = [""]
