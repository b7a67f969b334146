"""Route matching without a per-path cache: werkzeug's own state machine, walked faster.

werkzeug compiles a ``Map``'s rules into a tree of states (``StateMachineMatcher``) and walks
it for every request, compiling each dynamic part's regex on the way and wrapping the result
in ``MapAdapter.match``'s exceptions: about 5 µs a request. This module walks the **same tree**
(built by werkzeug, so rules, converters, weights and precedence stay werkzeug's) with the same
algorithm, but with each part's regex compiled once and no exceptions on the common paths.
What it does not handle (a path with ``//``, which werkzeug merges and redirects) it hands back
to werkzeug. Nothing is kept per path, so no client can grow it.

``tests/test_routing.py`` checks its answers against ``MapAdapter.match`` on every rule kind.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

from werkzeug.routing import Map, Rule
from werkzeug.routing.converters import BaseConverter, NumberConverter, ValidationError
from werkzeug.routing.matcher import State

__all__ = ["MatchResult", "SlashRedirect", "StateMatcher", "Unknown"]


class SlashRedirect(NamedTuple):
    """The path exists with a trailing slash (werkzeug's strict slashes): redirect there."""

    path: str


class Unknown(NamedTuple):
    """Nothing matched: ``allow`` holds the methods the path has (405), or nothing (404)."""

    allow: frozenset[str]


# (payload, values) for a match; None: ask werkzeug itself.
MatchResult = tuple[object, dict[str, object]] | SlashRedirect | Unknown | None


@dataclasses.dataclass(slots=True)
class _Node:
    """One werkzeug ``State``, with its dynamic transitions' regexes compiled."""

    static: dict[str, _Node]
    # (regex match, consumes the rest, has a slash suffix, converter group numbers, next node)
    dynamic: list[tuple[Callable[[str], re.Match[str] | None], bool, bool, tuple[int, ...], _Node]]
    rules: list[tuple[Rule, object, tuple[tuple[str, Callable[[str], object]], ...]]]


# One regex of alternatives per first segment (None: a dynamic one), and each alternative by
# its group name.
_Flat = tuple[Callable[[str], re.Match[str] | None], dict[str, "_Alternative"]]
# One alternative of a flat regex, read once per match: whether it is a slash redirect, the
# rule's payload, its methods (None: any), and (name, converter, group number) for each rule
# variable.
_Converted = tuple[str, Callable[[str], object], int]
_Alternative = tuple[bool, object, "frozenset[str] | None", tuple[_Converted, ...]]


def _group_numbers(regex: re.Pattern[str], alternative: str) -> tuple[int, ...]:
    """The numbers of the converter groups inside one alternative, in werkzeug's order (by
    segment, then by the number werkzeug gave the group within its part)."""
    prefix = alternative + "d"
    mine = [
        (int(depth), int(number), index)
        for name, index in regex.groupindex.items()
        if name.startswith(prefix)
        for depth, number in [name[len(prefix) :].split("_")]
    ]
    return tuple(index for _, _, index in sorted(mine))


_NOTHING = Unknown(frozenset())


class _SlashRequired(Exception):
    pass


class StateMatcher:
    """Match paths against a bound werkzeug ``Map`` exactly as ``MapAdapter.match`` does."""

    def __init__(self, url_map: Map, payload: Callable[[Rule], object]) -> None:
        url_map.update()
        self._payload = payload
        self._plain = True  # no rule has defaults, an alias or a redirect
        nodes: dict[int, _Node] = {}
        # werkzeug's state machine is what aaf walks: its private tree, read once.
        matcher = url_map._matcher  # pyright: ignore[reportPrivateUsage]
        root = self._node(matcher._root, nodes)  # pyright: ignore[reportPrivateUsage]
        # Every path starts with the domain part ("" without host matching) and the empty
        # part before its first slash: start below both.
        start = root.static.get("")
        self._start = start.static.get("") if start is not None else None
        self._merge_slashes = url_map.merge_slashes
        self._entries = {id(entry[0]): entry for entry in self._all_entries(root)}
        self._flat = self._flatten(matcher._root)  # pyright: ignore[reportPrivateUsage]
        if self._flat is not None and not self._plain:
            self._flat = None

    def _all_entries(self, node: _Node) -> list[_Entry]:
        found = list(node.rules)
        for child in node.static.values():
            found += self._all_entries(child)
        for *_, child in node.dynamic:
            found += self._all_entries(child)
        return found

    # The flat fast path ----------------------------------------------------------------------
    # When every dynamic part takes exactly one whole segment (no <path:>, no "<a>-<b>" parts),
    # werkzeug's depth-first walk visits the rules in one fixed order: static transitions
    # before dynamic ones, dynamic ones by weight (rules of other lengths never match the same
    # path). So the rules under each static first segment, and those under a dynamic one, are
    # joined in that order into one regex of alternatives; the first alternative that matches
    # is the rule werkzeug would find, or the trailing slash redirect it would raise first.
    # Anything else (a method the rule does not allow, a failed conversion, "//") goes to the
    # walk.
    def _flatten(self, root: State) -> dict[str | None, _Flat] | None:
        candidates: dict[str | None, list[tuple[str, bool, _Entry]]] = {}
        domain = root.static.get("")
        start = domain.static.get("") if domain is not None else None
        if start is None or root.dynamic or (domain is not None and domain.dynamic):
            return None
        if not self._collect(start, [], None, candidates):
            return None
        flat: dict[str | None, _Flat] = {}
        for key, found in candidates.items():
            alternatives: list[str] = []
            plans: dict[str, tuple[bool, _Entry]] = {}
            for i, (pattern, redirect, entry) in enumerate(found):
                unique = pattern.replace("?P<d", f"?P<c{i}d")
                alternatives.append(f"(?P<c{i}>{unique})")
                plans[f"c{i}"] = (redirect, entry)
            regex = re.compile("|".join(alternatives))
            indexed: dict[str, _Alternative] = {}
            for name, (redirect, entry) in plans.items():
                rule, payload, converters = entry
                numbers = _group_numbers(regex, name)
                converted = tuple(
                    (variable, convert, number)
                    for (variable, convert), number in zip(converters, numbers, strict=True)
                )
                methods = frozenset(rule.methods) if rule.methods is not None else None
                indexed[name] = (redirect, payload, methods, converted)
            flat[key] = (regex.match, indexed)
        return flat

    def _collect(
        self,
        state: State,
        pieces: list[str],
        first: str | None,
        out: dict[str | None, list[tuple[str, bool, _Entry]]],
    ) -> bool:
        depth = len(pieces)
        key = first
        pattern = "/" + "/".join(pieces) + r"\Z"
        for rule in state.rules:
            out.setdefault(key, []).append((pattern, False, self._entries[id(rule)]))
        slash = state.static.get("")
        if slash is not None and depth:
            for rule in slash.rules:
                if not rule.strict_slashes:
                    return False
                out.setdefault(key, []).append((pattern, True, self._entries[id(rule)]))
        for literal, child in state.static.items():
            head = literal if depth == 0 else first
            if not self._collect(child, [*pieces, re.escape(literal)], head, out):
                return False
        for part, child in state.dynamic:
            if part.final or part.suffixed or not part.content.endswith(r"\Z"):
                return False
            # Each alternative needs its own group names: prefix werkzeug's with the depth.
            content = part.content[:-2].replace("?P<__werkzeug_", f"?P<d{depth}_")
            if not self._collect(child, [*pieces, content], first if depth else None, out):
                return False
        return True

    def _rule_entry(
        self, rule: Rule
    ) -> tuple[Rule, object, tuple[tuple[str, Callable[[str], object]], ...]]:
        converters = tuple(
            (name, _to_python(c))
            for name, c in rule._converters.items()  # pyright: ignore[reportPrivateUsage]
        )
        self._plain = self._plain and not (rule.defaults or rule.alias or rule.redirect_to)
        return rule, self._payload(rule), converters

    def _node(self, state: State, nodes: dict[int, _Node]) -> _Node:
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
            node.dynamic.append(
                (regex.match, part.final, part.suffixed, numbers, self._node(child, nodes))
            )
        return node

    def match(self, path: str, method: str) -> MatchResult:
        """Find what answers ``method path`` (``None``: werkzeug must decide).

        A match is ``(payload, values)``: what ``payload`` gave for the rule at construction,
        and the rule variables converted by the rule's converters.
        """
        flat = self._flat  # only when the rules are plain and the tree has a start
        if flat is not None and path[:1] == "/" and "//" not in path:
            # PERF: the flat fast path, inline (benchmarks/inprocess.py, varied ids).
            compiled = flat.get(path.split("/", 2)[1])
            matched = compiled[0](path) if compiled is not None else None
            if matched is None:
                compiled = flat.get(None)
                matched = compiled[0](path) if compiled is not None else None
                if matched is None:
                    return _NOTHING  # every rule that could match was tried: 404
            assert compiled is not None  # it matched
            redirect, payload, methods, converted = compiled[1][matched.lastgroup]  # type: ignore[index]
            if methods is None or method in methods:
                if redirect:
                    return SlashRedirect(quote(path + "/", safe="!$&'()*+,/:;=@"))
                try:
                    if len(converted) == 1:
                        name, convert, number = converted[0]
                        return payload, {name: convert(matched.group(number))}
                    return payload, {
                        name: convert(matched.group(number)) for name, convert, number in converted
                    }
                except (ValidationError, ValueError):
                    # ValueError: int() refuses more than 4,300 digits (sys.int_info).
                    pass
            # A method the rule does not allow, or a failed conversion: werkzeug keeps looking
            # (and may answer 405), so the walk below decides.
        start = self._start
        if start is None or not path or not self._plain:
            return None
        if path[:1] != "/" or path[1:2] == "/":
            path = "/" + path.lstrip("/")  # as MapAdapter.match does: "*" is "/*"
        allow: list[str] = []
        try:
            found = _walk(start, path.split("/"), 1, [], method, allow)
        except _SlashRequired:
            return SlashRedirect(quote(path + "/", safe="!$&'()*+,/:;=@"))
        if found is None:
            if self._merge_slashes and "//" in path:
                return None  # werkzeug merges the slashes and redirects
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
    return converter.to_python


_Entry = tuple[Rule, object, tuple[tuple[str, Callable[[str], object]], ...]]


def _walk(
    node: _Node, parts: list[str], i: int, values: list[str], method: str, allow: list[str]
) -> tuple[_Entry, list[str]] | None:
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
    for match, final, suffixed, numbers, child in node.dynamic:
        if final:
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
