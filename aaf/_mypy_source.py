"""What the mypy plugin (``aaf.mypy``) reads from the source files themselves.

mypy keeps a parameter's type and drops its ``Annotated`` metadata; it keeps no statements of
a module once it has checked it, nor the arguments, decorators or lines of a function read from
its cache. What the checks need of those (a parameter's ``Depends(...)`` and markers, a type
alias's metadata, a router's ``dependencies=``, a function's defaults, a module's
``add_route`` calls) is read here from the module's source with :mod:`ast`, its names
resolved through mypy's symbol tables, so that an incremental run reports what a full run
does. Loaded by mypy only, with the plugin.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal, NamedTuple, Protocol, TypeVar

from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    Decorator,
    DictExpr,
    Expression,
    FuncDef,
    ListExpr,
    MypyFile,
    NameExpr,
    OverloadedFuncDef,
    SetExpr,
    SymbolNode,
    TempNode,
    TupleExpr,
    TypeAlias,
    TypeInfo,
    Var,
)
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    NoneType,
    ProperType,
    Type,
    TypeOfAny,
    get_proper_type,
)

import aaf._rules as _rules


class Reporting(Protocol):
    """What reading needs of the plugin's reporter: mypy's modules, by full name."""

    @property
    def modules(self) -> Mapping[str, object]: ...


ADDING = frozenset({"add_route", "add_websocket_route"})
# The calls that serve one router's routes on another (or on an app).
INCLUDING = frozenset({"include", "include_router"})
FIELD = "pydantic.fields.Field"
DEPENDS = frozenset(("aaf.params.Depends", "aaf.params.Security"))
MARKER = "aaf.params.Param"
_PATH_MARKER = "aaf.params.Path"
# Each marker class's source, the most derived first (File is a Form).
_MARKER_SOURCES = (
    ("aaf.params.Path", "path"),
    ("aaf.params.Query", "query"),
    ("aaf.params.Header", "header"),
    ("aaf.params.Cookie", "cookie"),
    ("aaf.params.Form", "form"),
    ("aaf.params.Body", "body"),
)


# Annotated metadata -----------------------------------------------------------------------------
# A parameter's default as written (None: it has none) and whether it is annotated Annotated.
_Default = tuple[Expression | None, bool]


class _Item(NamedTuple):
    """One item of a parameter's ``Annotated`` metadata, with a reader of the module it is
    written in: the function's, or a type alias's (``DbDep = Annotated[Db, Depends(get_db)]``
    imported from another module), whose names are that module's."""

    expression: ast.expr
    reader: Metadata


# How many aliases of aliases are followed (`A = B`, `B = Annotated[...]`).
_ALIAS_DEPTH = 8
# What makes an alias by a call (the `type` statement's, before Python 3.12).
_ALIAS_TYPES = frozenset(("typing.TypeAliasType", "typing_extensions.TypeAliasType"))


def final_text(node: SymbolNode | None) -> str | None:
    """The string a ``Final`` name is bound to (``PREFIX: Final = "/items"``), which mypy
    keeps, in its cache too; None for any other node."""
    if isinstance(node, Var) and node.is_final and isinstance(node.final_value, str):
        return node.final_value
    return None


class Metadata:
    """The ``Annotated[T, ...]`` metadata of one function's parameters, read from its source:
    mypy keeps ``T`` and drops the rest. Names in it are resolved through the module's symbol
    table, so only for a function at a module's top level or in a top-level class (one inside
    another function may see local names); for others, and for a module whose source cannot be
    read, there is none. A type alias (``DbDep = Annotated[Db, Depends(get_db)]``, which mypy
    expands, metadata dropped) is read from its own module's source, as Python expands it."""

    def __init__(
        self, module: MypyFile | None = None, modules: Mapping[str, object] | None = None
    ) -> None:
        self.module = module
        self.modules: Mapping[str, object] = modules or {}  # to find an alias's module
        self.function: ast.FunctionDef | ast.AsyncFunctionDef | None = None  # as written
        self.annotations: Mapping[str, list[_Item]] = {}
        # The parameters whose type, below a top-level ``Annotated``, holds no other: what
        # mypy typed them is what registration reads (no marker hides in a union member).
        self.plain_types: frozenset[str] = frozenset()

    @classmethod
    def of(cls, report: Reporting, definition: FuncDef) -> Metadata:
        """A function's parameters'."""
        module = module_of(report.modules, definition.fullname)
        function = None if module is None else function_written(module, definition)
        if function is None:
            return NO_METADATA
        reader = cls(module, report.modules)
        reader.function = function
        arguments = function.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        reader.annotations = {
            argument.arg: found
            for argument in every
            if (found := reader.metadata_of(argument.annotation)) is not None
        }
        reader.plain_types = frozenset(
            argument.arg for argument in every if reader.plain_type(argument.annotation)
        )
        return reader

    def written_defaults(self, types: Sequence[Type], bound: int = 0) -> list[_Default] | None:
        """For a function from mypy's cache, which keeps no arguments: each parameter's
        default as written (a ``Depends(...)`` as mypy would have it, any other a stand-in)
        and whether its annotation is an ``Annotated[...]``, in ``types``' order, past the
        first ``bound`` (a bound method's ``self``); None when the source does not match
        them."""
        if self.function is None:
            return None
        arguments = self.function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        ordered: list[tuple[ast.arg, ast.expr | None]] = list(
            zip(positional, defaults, strict=True)
        )
        if arguments.vararg is not None:
            ordered.append((arguments.vararg, None))
        ordered += zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        if arguments.kwarg is not None:
            ordered.append((arguments.kwarg, None))
        ordered = ordered[bound:]
        if len(ordered) != len(types):
            return None
        found: list[_Default] = []
        for (argument, default), typ in zip(ordered, types, strict=True):
            expression: Expression | None = None
            if default is not None:
                expression = self.depends_call(default, get_proper_type(typ)) or TempNode(
                    AnyType(TypeOfAny.special_form)
                )
            found.append((expression, argument.arg in self.annotations))
        return found

    def plain_type(self, annotation: ast.expr | None) -> bool:
        """Whether no ``Annotated`` (nor a name that cannot be resolved, which may be one)
        appears in ``annotation`` below its top level."""
        if annotation is None:
            return True
        reader, written = self.aliased(annotation)
        while reader.is_annotated(written):
            assert isinstance(written, ast.Subscript) and isinstance(written.slice, ast.Tuple)
            reader, written = reader.aliased(written.slice.elts[0])  # Annotated[Alias, ...]
        return reader._no_annotated(written)

    def _no_annotated(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Subscript):
            value = node.value
            found = self.resolve(value)
            fullname = getattr(found, "fullname", None)
            if fullname in _ANNOTATED:
                return False
            if fullname in _LITERALS:
                return True  # its values are not types
            if fullname in _SPECIAL_FORMS:
                pass  # Optional[...], List[...]: typing's own, no metadata
            elif found is None:
                builtin = (
                    isinstance(value, ast.Name)
                    and value.id in _BUILTIN_GENERICS
                    and self.module is not None
                    and value.id not in self.module.names
                )
                if not builtin:
                    return False
            elif isinstance(found, (TypeAlias, Var)):
                return False  # an alias, which may hide metadata
            return self._no_annotated(node.slice)
        if isinstance(node, ast.Constant):
            return not isinstance(node.value, str)  # a quoted type is not read here
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(self._no_annotated(item) for item in node.elts)
        if isinstance(node, ast.BinOp):
            return self._no_annotated(node.left) and self._no_annotated(node.right)
        # A name: a class, or a builtin the module does not hold; an alias may hide metadata
        # (`QueryItem = Annotated[Item, Query()]`), which mypy expands away.
        return isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(
            self.resolve(node), (TypeAlias, Var)
        )

    def unmarked(self, name: str) -> bool:
        """Whether the parameter's ``Annotated`` metadata holds no marker and no
        ``Depends``: each item a call of a class that is neither (``Field(...)`` too)."""
        return all(
            called == "field"
            or (isinstance(called, TypeInfo) and not called.has_base("aaf.params.Dependency"))
            for called in self.called(name)
        )

    def called(self, name: str) -> Iterator[TypeInfo | Literal["field", "marker"] | None]:
        """What each item of the parameter's metadata is: a marker's call, pydantic's
        ``Field(...)``, another class's call, or None (a name, a function's call: what it
        holds is not written here)."""
        for item, reader in self.annotations.get(name, ()):
            node = reader.resolve(item.func) if isinstance(item, ast.Call) else None
            if node is not None and node.fullname == FIELD:
                yield "field"
            elif isinstance(node, TypeInfo):
                yield "marker" if node.has_base(MARKER) else node
            else:
                yield None

    @classmethod
    def of_attribute(cls, report: Reporting, info: TypeInfo, name: str, line: int) -> Metadata:
        """A class attribute's, annotated and given no value (``db: Annotated[Db, ...]``)."""
        module = module_of(report.modules, info.fullname)
        written = None if module is None else _definitions(module.path).get((name, line))
        if not isinstance(written, ast.AnnAssign):
            return NO_METADATA
        reader = cls(module, report.modules)
        found = reader.metadata_of(written.annotation)
        reader.annotations = {} if found is None else {name: found}
        return reader

    def metadata_of(self, annotation: ast.expr | None) -> list[_Item] | None:
        """The metadata of ``Annotated[T, *metadata]``, written out or through type aliases,
        flattened as Python flattens ``Annotated[Annotated[T, a], b]``; None for another
        annotation."""
        if annotation is None:
            return None
        reader, written = self.aliased(annotation)
        if not reader.is_annotated(written):
            return None
        assert isinstance(written, ast.Subscript) and isinstance(written.slice, ast.Tuple)
        inner = reader.metadata_of(written.slice.elts[0]) or []
        return [*inner, *(_Item(item, reader) for item in written.slice.elts[1:])]

    def is_annotated(self, annotation: ast.expr) -> bool:
        """Whether ``annotation`` is written ``Annotated[T, ...]``."""
        return (
            isinstance(annotation, ast.Subscript)
            and isinstance(annotation.slice, ast.Tuple)
            and getattr(self.resolve(annotation.value), "fullname", None) in _ANNOTATED
        )

    def aliased(self, annotation: ast.expr) -> tuple[Metadata, ast.expr]:
        """What a name of a type alias (``DbDep``, ``deps.DbDep``) stands for, as its module
        writes it (``DbDep = Annotated[...]`` or ``DbDep: TypeAlias = ...``, once, at the top
        level), with a reader of that module; ``annotation`` itself when it names none, or
        one whose source cannot be read."""
        reader, written = self, annotation
        for _ in range(_ALIAS_DEPTH):
            if not isinstance(written, (ast.Name, ast.Attribute)):
                break
            alias = reader.resolve(written)
            if not isinstance(alias, TypeAlias):
                break
            module = module_of(reader.modules, alias.fullname)
            if module is None or alias.fullname != f"{module.fullname}.{alias.name}":
                break
            assigned = read_source(module.path).assignments.get(alias.name, [])
            if len(assigned) != 1:
                break
            reader, written = Metadata(module, reader.modules), assigned[0]
            if isinstance(written, ast.Call) and (  # TypeAliasType("DbDep", Annotated[...])
                getattr(reader.resolve(written.func), "fullname", None) in _ALIAS_TYPES
            ):
                value = written.args[1] if len(written.args) > 1 else None
                value = next((k.value for k in written.keywords if k.arg == "value"), value)
                if value is None:
                    break
                written = value
        return reader, written

    def resolve(self, expression: ast.expr) -> SymbolNode | None:
        """What a name (``Depends``, ``params.Depends``) in the module's scope refers to."""
        if self.module is None:
            return None
        if isinstance(expression, ast.Name):
            symbol = self.module.names.get(expression.id)
        elif isinstance(expression, ast.Attribute):
            owner = self.resolve(expression.value)
            if not isinstance(owner, (MypyFile, TypeInfo)):
                return None
            symbol = owner.names.get(expression.attr)
        else:
            return None
        return symbol.node if symbol is not None else None

    def text(self, expression: ast.expr) -> str | None:
        """The string ``expression`` always is: a literal, a ``Final`` name bound to one
        (``PREFIX``, ``routes.PREFIX``), or a ``+`` of those; None for anything else."""
        if isinstance(expression, ast.Constant):
            return expression.value if isinstance(expression.value, str) else None
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
            left, right = self.text(expression.left), self.text(expression.right)
            return None if left is None or right is None else left + right
        return final_text(self.resolve(expression))

    def marks(self, name: str) -> list[tuple[str, str | None]]:
        """Each marker and ``Depends(...)`` in the parameter's metadata, in order, as
        ``(its name, the full name of the provider it is given)``."""
        found: list[tuple[str, str | None]] = []
        for item, reader in self.annotations.get(name, ()):
            node = reader.resolve(item.func if isinstance(item, ast.Call) else item)
            if node is not None and node.fullname in DEPENDS and isinstance(item, ast.Call):
                provider = reader.resolve(item.args[0]) if item.args else None
                keywords = [k.arg for k in item.keywords]
                found.append(
                    (
                        depends_name(node.fullname, keywords),
                        provider.fullname if provider is not None else None,
                    )
                )
                continue
            if isinstance(node, Var) and isinstance(item, ast.Name):
                instance = get_proper_type(node.type)
                node = instance.type if isinstance(instance, Instance) else None
            elif not isinstance(item, ast.Call):
                node = None
            if isinstance(node, TypeInfo) and node.has_base(MARKER):
                found.append((node.name, None))
        return found

    def depends(self, name: str, typ: Type) -> CallExpr | None:
        """The parameter's ``Depends(...)`` (or ``Security(...)``) marker as mypy would have
        it written as a default, its names bound; ``Depends()`` names the parameter's class."""
        for item, reader in self.annotations.get(name, ()):
            call = reader.depends_call(item, get_proper_type(typ))
            if call is not None:
                return call
        return None

    def depends_call(self, item: ast.expr, typ: ProperType | None = None) -> CallExpr | None:
        """``item`` as mypy would have it, when it is a ``Depends(...)`` (or ``Security``)
        call: its names bound; ``Depends()`` names ``typ``'s class."""
        if not isinstance(item, ast.Call):
            return None
        callee = self.resolve(item.func)
        if callee is None or callee.fullname not in DEPENDS:
            return None
        call = _call(callee, item, self.bound)
        if not item.args and "provider" not in call.arg_names and isinstance(typ, Instance):
            call.args.insert(0, _bound(typ.type))  # Depends(): the class, called
            call.arg_kinds.insert(0, ARG_POS)
            call.arg_names.insert(0, None)
        return call

    def checked_calls(self, named: Callable[[str], Instance]) -> Iterator[CallExpr]:
        """The calls of markers, pydantic's ``Field`` and ``Depends`` (or ``Security``) in
        the metadata, as mypy would have them written as code it checks: callee bound, each
        argument a literal's type (``named`` gives a builtin's), a name's, or ``Any``.
        Those of this reader's module only: an error is reported in the file being checked,
        at the call's line."""
        for items in self.annotations.values():
            for item, reader in items:
                if reader.module is not self.module or not isinstance(item, ast.Call):
                    continue
                callee = reader.resolve(item.func)
                if callee is not None and (
                    callee.fullname in (FIELD, *DEPENDS)
                    or (isinstance(callee, TypeInfo) and callee.has_base(MARKER))
                ):
                    yield _call(callee, item, functools.partial(reader.typed, named=named))

    def typed(self, expression: ast.expr, named: Callable[[str], Instance]) -> Expression:
        """``expression`` for mypy to check as an argument: a literal as its literal type
        (a list, tuple, set or dict of them as one), a name as what it is bound to, anything
        else (a call, an operation, a starred value) as ``Any``, which any parameter takes."""
        found: Expression | None = None
        value = expression
        sign = 1
        if (
            isinstance(value, ast.UnaryOp)
            and isinstance(value.op, (ast.USub, ast.UAdd))
            and isinstance(value.operand, ast.Constant)
        ):
            sign = -1 if isinstance(value.op, ast.USub) else 1
            value = value.operand
        if isinstance(value, ast.Constant):
            constant: object = value.value
            if isinstance(constant, bool):
                found = TempNode(LiteralType(constant, named("builtins.bool")))
            elif isinstance(constant, int):
                found = TempNode(LiteralType(sign * constant, named("builtins.int")))
            elif isinstance(constant, float):
                found = TempNode(named("builtins.float"))
            elif value is expression and isinstance(constant, str):
                found = TempNode(LiteralType(constant, named("builtins.str")))
            elif value is expression and isinstance(constant, bytes):
                found = TempNode(named("builtins.bytes"))
            elif value is expression and constant is None:
                found = TempNode(NoneType())
        elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            items = [self.typed(item, named) for item in value.elts]
            made = {ast.List: ListExpr, ast.Tuple: TupleExpr, ast.Set: SetExpr}[type(value)]
            found = made(items)
        elif isinstance(value, ast.Dict):
            pairs = [
                (None if key is None else self.typed(key, named), self.typed(item, named))
                for key, item in zip(value.keys, value.values, strict=True)
            ]
            found = DictExpr(pairs)
        elif isinstance(value, (ast.Name, ast.Attribute)):
            node = self.resolve(value)
            if isinstance(node, Var):
                # Its type, not the name: one not inferred yet (assigned below, which fails
                # at import) would be "cannot determine type" here.
                found = None if node.type is None else TempNode(node.type)
            elif isinstance(node, (FuncDef, Decorator, OverloadedFuncDef, TypeInfo)):
                found = _bound(node)
        if found is None:
            found = TempNode(AnyType(TypeOfAny.special_form))
        _placed(found, expression)
        return found

    def marker(self, name: str) -> Marker | None:
        """The parameter's first ``Path()``-style marker (registration reads the first too),
        written as a call or a name the module gives one."""
        for item, reader in self.annotations.get(name, ()):
            node = reader.resolve(item.func if isinstance(item, ast.Call) else item)
            if isinstance(node, TypeInfo) and isinstance(item, ast.Call):
                info = node
            elif isinstance(node, Var) and isinstance(item, ast.Name):
                instance = get_proper_type(node.type)
                if not isinstance(instance, Instance):
                    continue
                info = instance.type
            else:
                continue
            if info.has_base(MARKER):
                source = next((s for base, s in _MARKER_SOURCES if info.has_base(base)), None)
                keywords = _given(item) if isinstance(item, ast.Call) else None
                return Marker(
                    info.name, info.has_base(_PATH_MARKER), source, self.plain(name), keywords
                )
        return None

    def fields(self, name: str) -> tuple[tuple[str, ...] | None, ...]:
        """The keywords each pydantic ``Field(...)`` in the parameter's metadata is given, in
        order (None for one whose values are not all literals)."""
        return tuple(
            _given(item)
            for item, reader in self.annotations.get(name, ())
            if isinstance(item, ast.Call)
            and getattr(reader.resolve(item.func), "fullname", None) == FIELD
        )

    def plain(self, name: str) -> bool:
        """Whether the parameter's metadata holds only markers and pydantic ``Field(...)``
        calls: nothing (a validator, ``Json``) that may read a value its own way."""
        return all(called in ("field", "marker") for called in self.called(name))

    def bound(self, expression: ast.expr) -> Expression:
        """A provider written in the metadata, as a name bound to what it refers to; what
        cannot be resolved (a lambda, a call) is a stand-in no check reads."""
        node = self.resolve(expression)
        return _bound(node) if node is not None else TempNode(AnyType(TypeOfAny.special_form))


def depends_name(fullname: str, keywords: Sequence[str | None]) -> str:
    """``Security`` for a ``Security(...)`` given scopes, else ``Depends``, as registration
    names them."""
    return "Security" if fullname.endswith(".Security") and "scopes" in keywords else "Depends"


NO_METADATA = Metadata()
_ANNOTATED = frozenset(("typing.Annotated", "typing_extensions.Annotated"))
_LITERALS = frozenset(("typing.Literal", "typing_extensions.Literal"))
# typing's generic forms, which hold no metadata of their own.
_SPECIAL_FORMS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions")
    for name in ("Optional", "Union", "List", "Dict", "Tuple", "Set", "FrozenSet", "Deque")
)
# Generic builtins, which a module's own names do not hold.
_BUILTIN_GENERICS = frozenset(("list", "dict", "tuple", "set", "frozenset", "type"))


def _call(
    callee: SymbolNode, call: ast.Call, argument: Callable[[ast.expr], Expression]
) -> CallExpr:
    """``call`` as mypy would have it: ``callee`` bound, each argument made by ``argument``,
    at the call's place."""
    args = [argument(a) for a in call.args]
    kinds = [ARG_STAR if isinstance(a, ast.Starred) else ARG_POS for a in call.args]
    names: list[str | None] = [None] * len(call.args)
    for keyword in call.keywords:
        args.append(argument(keyword.value))
        kinds.append(ARG_NAMED if keyword.arg else ARG_STAR2)
        names.append(keyword.arg)
    made = CallExpr(_bound(callee), args, kinds, names)
    _placed(made, call)
    return made


def _placed(node: Expression, written: ast.expr) -> None:
    """Give ``node`` the place of what it stands for in the source, for mypy's messages."""
    node.set_line(written.lineno, written.col_offset, written.end_lineno, written.end_col_offset)


def _bound(node: SymbolNode) -> NameExpr:
    name = NameExpr(node.name)
    name.node = node
    name.fullname = node.fullname
    return name


def module_of(modules: Mapping[str, object], fullname: str) -> MypyFile | None:
    """The module a function's full name (``pkg.mod.Class.method``) lies in."""
    name = fullname
    while "." in name:
        name = name.rpartition(".")[0]
        module = modules.get(name)
        if isinstance(module, MypyFile):
            return module
    return None


# What each source read defines, at a module's top level or in a top-level class, by name and
# line: functions, and a class's annotated attributes given no value; and its top-level classes
# by name. Read again when the file changes (the daemon checks the same files over and over).
_Defined = ast.FunctionDef | ast.AsyncFunctionDef | ast.AnnAssign


class _Source(NamedTuple):
    definitions: Mapping[tuple[str, int], _Defined]
    classes: Mapping[str, list[ast.ClassDef]]
    functions: Mapping[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]  # top-level ones
    # What each top-level `name = ...` (`name: T = ...`, `type name = ...`) assigns, by name.
    assignments: Mapping[str, list[ast.expr]]
    # Top-level `router.add_route(rule, handler, ...)` calls, by the handler's name.
    added: Mapping[str, list[ast.Call]]
    # Top-level `app.include_router(router, ...)` (`router.include(...)`) calls, by the name
    # of the app or router they include into.
    included: Mapping[str, list[ast.Call]]
    # What a function's local `name = ...` assigns, by the name and the line (where mypy's
    # variable says it is defined), for a name the function binds there alone.
    local_assignments: Mapping[tuple[str, int], ast.expr]


_NO_SOURCE = _Source({}, {}, {}, {}, {}, {}, {})
# Python 3.12's `type Name = ...` statement; a source holding one does not parse before 3.12.
_TYPE_STATEMENT: type[ast.stmt] | None = getattr(ast, "TypeAlias", None)
_SOURCES: dict[str, tuple[tuple[int, int], _Source]] = {}
# Where the plugin notes the sources read while it checks a module (see AafPlugin): mypy checks
# a module again when what it imports changes its types, not when only a source the plugin
# reads there does (a router's prefix, a provider's default).
noted: set[str] | None = None


def _version(path: str) -> tuple[int, int]:
    """What tells one state of a file from another without reading it: its time and size."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


_DIGESTS: dict[str, tuple[tuple[int, int], str]] = {}


_Made = TypeVar("_Made")


def _made_once(
    path: str, cache: dict[str, tuple[tuple[int, int], _Made]], make: Callable[[bytes], _Made]
) -> _Made:
    """What ``make`` makes of the file at ``path``, made again only when its size or time
    changed (the daemon reads the same files over and over).

    Raises:
        OSError: the file cannot be read; and what ``make`` raises.
    """
    version = _version(path)
    known = cache.get(path)
    if known is not None and known[0] == version:
        return known[1]
    with open(path, "rb") as source:
        made = make(source.read())
    cache[path] = (version, made)
    return made


def source_digest(path: str) -> str:
    """A digest of the file at ``path`` (``""`` when there is none), read again only when
    its size or time changed (a router's module is listed by every module using it)."""
    try:
        return _made_once(path, _DIGESTS, lambda data: hashlib.sha256(data).hexdigest())
    except OSError:
        return ""


def read_source(path: str) -> _Source:
    if noted is not None:
        noted.add(path)
    try:
        return _made_once(path, _SOURCES, lambda data: _source_of(ast.parse(data, path)))
    except (OSError, SyntaxError, ValueError):
        return _NO_SOURCE


def _source_of(tree: ast.Module) -> _Source:
    """What a module's syntax tree defines at its top level (see _Source)."""
    found: dict[tuple[str, int], _Defined] = {}
    classes: dict[str, list[ast.ClassDef]] = {}
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    assignments: dict[str, list[ast.expr]] = {}
    added: dict[str, list[ast.Call]] = {}
    included: dict[str, list[ast.Call]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            classes.setdefault(statement.name, []).append(statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(statement.name, []).append(statement)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    assignments.setdefault(target.id, []).append(statement.value)
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            assignments.setdefault(statement.target.id, []).append(statement.value)
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(call := statement.value, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ADDING
        ):
            handler = call.args[1] if len(call.args) > 1 else None
            handler = next((k.value for k in call.keywords if k.arg == "handler"), handler)
            if isinstance(handler, ast.Name):
                added.setdefault(handler.id, []).append(call)
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(call := statement.value, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in INCLUDING
            and isinstance(call.func.value, ast.Name)
        ):
            included.setdefault(call.func.value.id, []).append(call)
        elif _TYPE_STATEMENT is not None and isinstance(statement, _TYPE_STATEMENT):
            named, value = getattr(statement, "name", None), getattr(statement, "value", None)
            if isinstance(named, ast.Name) and isinstance(value, ast.expr):
                assignments.setdefault(named.id, []).append(value)
        for node in statement.body if isinstance(statement, ast.ClassDef) else [statement]:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[node.name, node.lineno] = node
            elif (
                node is not statement  # in a class
                and isinstance(node, ast.AnnAssign)
                and node.value is None
                and isinstance(node.target, ast.Name)
            ):
                found[node.target.id, node.lineno] = node
    return _Source(found, classes, functions, assignments, added, included, _locals_of(tree))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _locals_of(tree: ast.Module) -> dict[tuple[str, int], ast.expr]:
    """Each function's local names bound once, by a plain assignment (``router =
    Router(...)`` in an app factory), with what they are given: see _Source."""
    # A name a nested function declares nonlocal (or global) may be bound there too.
    shared = {
        name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Nonlocal, ast.Global))
        for name in node.names
    }
    found: dict[tuple[str, int], ast.expr] = {}
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        bound: Counter[str] = Counter()  # how many times each name is bound in this scope
        given: dict[str, tuple[int, ast.expr]] = {}
        pending: list[ast.AST] = list(function.body)
        while pending:
            node = pending.pop()
            if isinstance(node, _SCOPES):  # a scope of its own: only its name is bound here
                if not isinstance(node, ast.Lambda):
                    bound[node.name] += 1
                continue
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound[node.id] += 1
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:  # `except E as name`
                bound[node.name] += 1
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(target := node.targets[0], ast.Name)
            ):
                given[target.id] = (node.lineno, node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                given[node.target.id] = (node.lineno, node.value)
            pending.extend(ast.iter_child_nodes(node))
        for name, (line, value) in given.items():
            if bound[name] == 1 and name not in shared:
                found[name, line] = value
    return found


def _definitions(path: str) -> Mapping[tuple[str, int], _Defined]:
    return read_source(path).definitions


def function_written(
    module: MypyFile, definition: FuncDef
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """``definition`` as its module's source writes it: by its name and line, or, for one
    from mypy's cache, which keeps no line (-1), by its name alone, at the top level or in
    a top-level class, when only one function there has it."""
    source = read_source(module.path)
    if definition.line >= 0:
        found = source.definitions.get((definition.name, definition.line))
        return found if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    path = definition.fullname.removeprefix(module.fullname + ".").split(".")
    candidates: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    if len(path) == 1:
        candidates = list(source.functions.get(path[0], []))
    elif len(path) == 2 and len(classes := source.classes.get(path[0], [])) == 1:
        candidates = [
            node
            for node in classes[0].body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == path[1]
        ]
    return candidates[0] if len(candidates) == 1 else None


class Marker(NamedTuple):
    """A ``Path()``-style marker read from ``Annotated`` metadata."""

    name: str  # its class's, for messages
    is_path: bool  # ``Path`` or a subclass: a rule variable's
    source: str | None = None  # where it reads from: "query", "header", ...
    plain: bool = False  # nothing else in the metadata may read the value its own way
    # The keywords it is given (a value, not None; alias= and openapi_examples= not empty),
    # in the order written; None when a value is not a literal.
    keywords: tuple[str, ...] | None = None


def _given(call: ast.Call) -> tuple[str, ...] | None:
    """The keywords a marker's call gives, as registration sees them (``Marker.keywords``)."""
    if call.args:
        return None
    given: list[str] = []
    for keyword in call.keywords:
        if keyword.arg is None:
            return None  # **options
        value = keyword.value
        if isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant):
            value = value.operand  # -1
        if isinstance(value, ast.Constant):
            written: object = value.value
        elif isinstance(value, ast.Dict):
            written = value.keys
        elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            written = value.elts
        else:
            return None  # a name, a call: what it holds is not written here
        if keyword.arg in _rules.OWN_KEYWORDS:  # kept only when not empty
            if written:
                given.append(keyword.arg)
        elif written is not None:
            given.append(keyword.arg)
    return tuple(given)
