"""A mypy plugin that checks routes against their rules before the app runs.

Enable it in ``mypy.ini`` (``plugins = aaf.mypy``) or ``pyproject.toml``
(``[tool.mypy] plugins = ["aaf.mypy"]``). For every ``router.route``, method shortcut,
``router.websocket``, ``add_route`` and ``add_websocket_route`` whose rule is a string
literal (or ``Final`` names joined by ``+``), under its router's prefix, it reports with
the error code ``aaf-route``, at the decorator (or call), what registration would refuse::

    app.py:12: error: get_item: the rule variable <item_id> has no parameter of that
    name  [aaf-route]

The rules themselves live in ``aaf._rules``, which registration asks too, so the plugin and
the router cannot disagree. ``Annotated[...]`` metadata, which mypy drops, is read from the
function's source (its names looked up in the module's symbol table): a ``Depends(...)``
there is checked as a default is, and its provider's result against the parameter's type, as
mypy checks a ``Depends(...)`` default; a ``Path()``-style marker against the rule. Where the
plugin cannot see something (a non-literal rule, a handler defined inside another function,
``dependencies=`` held in a variable), it stays silent about what it cannot see rather than
guess; a router not made by a ``Router(...)`` bound once to a name (a module's, or a
function's local, as in an app factory) has a prefix and ``dependencies=`` it cannot read (a
variable no parameter takes, a ``Path()`` marker the rule does not name, are left to
registration). mypy keeps no statements of a module it has checked, nor arguments of one
read from its cache: what the checks need of such a module (a router's ``dependencies=``, a
View's attributes, a function's defaults) is read from its source (``aaf._mypy_source``), so
an incremental run reports what a full run does; and the sources read checking a module are
reported with its cache (``AafPlugin.report_config_data``), so that an edit of them checks
it again.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import NamedTuple, Protocol, TypeGuard, TypeVar, cast

from mypy.checkexpr import ExpressionChecker
from mypy.errorcodes import LIST_ITEM, ErrorCode
from mypy.messages import format_type_bare
from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    FUNC_NO_INFO,
    Argument,
    AssignmentStmt,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    DictExpr,
    Expression,
    FuncDef,
    IndexExpr,
    IntExpr,
    LambdaExpr,
    ListExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    OpExpr,
    OverloadedFuncDef,
    RefExpr,
    StarExpr,
    StrExpr,
    SymbolNode,
    TempNode,
    TupleExpr,
    TypeAlias,
    TypeInfo,
    Var,
)
from mypy.options import Options
from mypy.plugin import (
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    LiteralType,
    NoneType,
    ProperType,
    TupleType,
    Type,
    TypeAliasType,
    TypedDictType,
    TypeOfAny,
    TypeType,
    TypeVarLikeType,
    UnboundType,
    UninhabitedType,
    UnionType,
    get_proper_type,
)

import aaf._http as _http
import aaf._mypy_source as _mypy_source
import aaf._rules as _rules
from aaf._http import WITH_BODY
from aaf._mypy_source import (
    ADDING,
    DEPENDS,
    FIELD,
    MARKER,
    NO_METADATA,
    Marker,
    Metadata,
    depends_name,
    final_text,
    function_written,
    module_of,
    read_source,
    source_digest,
)

__all__ = ["AAF_ROUTE", "SUPPORTED_MYPY", "AafPlugin", "plugin"]

AAF_ROUTE = ErrorCode("aaf-route", "A route's handler does not fit its rule", "aaf")
AAF_OVERRIDE = ErrorCode(
    "aaf-override", "A dependency override gives another type than its provider", "aaf"
)

AAF_HANDLER = ErrorCode(
    "aaf-handler", "An exception handler takes another exception than it is given", "aaf"
)

# The mypy releases this plugin is tested with (tests/test_mypy_plugin.py runs the oldest and
# the newest): the plugin API is not stable across releases, so others are refused plainly.
SUPPORTED_MYPY = ((1, 20), (2, 4))

_ROUTER = "aaf.routing.Router"
_APP = "aaf.app.App"
_DECORATOR = "aaf.routing.RouteDecorator.__call__"
_WS_DECORATOR = "aaf.routing.WebSocketRouteDecorator.__call__"
_ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete", "websocket"})
_TEXT_SOURCES = frozenset(("query", "header", "cookie", "form"))
# An enum's values, when its members are also these, take their constraints.
_ENUM_VALUES = (
    "builtins.str",
    "builtins.bytes",
    "builtins.int",
    "builtins.float",
    "decimal.Decimal",
)
# The collections of models (or mappings) an unmarked parameter is the JSON body for.
_BODY_COLLECTIONS = frozenset(
    ("builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset")
    + ("collections.deque", "typing.Sequence", "typing.MutableSequence")
)
_FILE_STORAGE = "werkzeug.datastructures.file_storage.FileStorage"
# The collections a query, header, cookie or form parameter reads several values into.
_MANY = _BODY_COLLECTIONS | {"typing.AbstractSet", "typing.MutableSet"}
_SCOPES = "aaf.params.SecurityScopes"
_CONNECTION = "aaf.connection.Connection"
_BASE_MODEL = "pydantic.main.BaseModel"
_ROOT_MODEL = "pydantic.root_model.RootModel"
_MODEL_VALIDATOR = "pydantic.functional_validators.model_validator"
_CORE_SCHEMA = "__get_pydantic_core_schema__"
# What pydantic validates only from an object or a mapping, never from text.
_TEXTLESS = frozenset(
    ("builtins.dict", "typing.Mapping", "typing.MutableMapping")
    + ("collections.Counter", "collections.OrderedDict", "collections.defaultdict")
    + ("builtins.list", "builtins.set", "builtins.frozenset", "builtins.tuple")
    + ("typing.Sequence", "typing.MutableSequence", "collections.deque")
    + ("typing.AbstractSet", "typing.MutableSet")
)
_VIEW = "aaf.views.View"
_WS_VIEW = "aaf.views.WebSocketView"
_URL_BUILDING = "aaf._urls.UrlBuilding"
# Where a parameter is read from that a URL cannot carry (url_for raises NotInUrl for it).
_NOT_IN_URL = frozenset(("header", "cookie", "body", "form"))
_NOT_GIVEN = object()  # an @operation(...) that gives no status_code, or none there


def _rules_digest() -> str:
    """A digest of the source of every aaf module the plugin reads its rules from, and of
    the one it reads sources with.

    mypy's own snapshot of a plugin hashes the plugin's module alone, so an aaf release that
    changed only ``aaf._rules`` would leave results cached under the old rules (a message,
    or a check that is new); reported as configuration data, the digest makes mypy check
    each module again when any of them changed.
    """
    digest = hashlib.sha256()
    for module in (_rules, _http, _mypy_source):
        with open(cast(str, module.__file__), "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()


class AafPlugin(Plugin):
    """Checks the handler of every route registered with a literal rule."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._digest = _rules_digest()  # read once per run, not once per module
        self._noted: dict[str, set[str]] = {}  # the other sources read checking a module

    def report_config_data(self, ctx: ReportConfigContext) -> list[object]:
        """The rules' digest, and the digest of each other module's source the plugin read
        when it last checked this one: mypy checks a module again when its imports' types
        change, and an edit of a router's prefix or a provider's default alone changes none,
        so the plugin says it changed. Which sources those are is kept beside mypy's cache
        (``aaf-reads/`` in the cache directory)."""
        path = os.path.abspath(ctx.path) if ctx.path else ""
        if ctx.is_check:  # is this module's cache still good?
            read = _reads_kept(self.options.cache_dir, path)
        else:  # its cache being written, the module just checked
            read = sorted(self._noted.pop(path, set()) - {path})
            _keep_reads(self.options.cache_dir, path, read)
        return [self._digest, {each: source_digest(each) for each in read}]

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        """The signature of ``url_for(handler, ...)``: the handler's URL parameters."""
        # url_for of App, Router, Connection or a subclass: mypy names the object's class.
        owner, _, name = fullname.rpartition(".")
        if name == "url_for" and self._derives(owner, _URL_BUILDING):
            return self._noting(_url_for_signature)
        return None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        """A signature for an app's construction that lets its check read every argument."""
        # An app's construction, aaf(...), App(...) or a subclass's.
        return _loose_app if self._derives(fullname, _APP) else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        """The check of an app's construction, an ``@operation`` or a router's: providers
        against their parameters, exception handlers against their keys."""
        if self._derives(fullname, _APP):
            return _check_app
        if fullname in _OPERATION or self._derives(fullname, _ROUTER):
            return _check_dependencies
        return None

    def _derives(self, fullname: str, base: str) -> bool:
        """Whether ``fullname`` names a class that is ``base`` or a subclass of it."""
        found = self.lookup_fully_qualified(fullname)
        info = found.node if found is not None else None
        return isinstance(info, TypeInfo) and info.has_base(base)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        """The check of a route's registration (its handler against its rule), an override
        (``app.dependency_overrides[provider] = ...``) and an added exception handler."""
        if fullname == "builtins.dict.__setitem__":
            return _check_override
        owner, _, name = fullname.rpartition(".")
        if name == "add_exception_handler" and self._derives(owner, _APP):
            return _check_added_handler
        hooked = _HOOKS.get(fullname)
        if hooked is None:
            # A router's or an app's other methods: route(), get(), include(), ...
            if self._derives(owner, _ROUTER) or self._derives(owner, _APP):
                return _check_dependencies
            return None
        check, websocket = hooked

        def hook(ctx: MethodContext) -> Type:
            check(ctx, websocket=websocket)
            return _check_dependencies(ctx)  # the plugin reports; it changes no type

        return self._noting(hook)

    def _noting(self, hook: Callable[[_Ctx], _R]) -> Callable[[_Ctx], _R]:
        """``hook``, noting the sources it reads for the module being checked."""

        def noting(ctx: _Ctx) -> _R:
            outer = _mypy_source.noted  # (a hook that asks mypy for a type may run another)
            _mypy_source.noted = self._noted.setdefault(os.path.abspath(ctx.api.path), set())
            try:
                return hook(ctx)
            finally:
                _mypy_source.noted = outer

        return noting


_Ctx = TypeVar("_Ctx", MethodContext, MethodSigContext)
_R = TypeVar("_R")
_READS = "aaf-reads"  # the folder, in mypy's cache directory, of what each module's check read


def _reads_file(cache_dir: str, path: str) -> str:
    return os.path.join(cache_dir, _READS, hashlib.sha256(path.encode()).hexdigest() + ".json")


def _reads_kept(cache_dir: str, path: str) -> list[str]:
    """The other sources read when the module at ``path`` was last checked (none known: no
    file, or one that cannot be read, which leaves the module to be checked again)."""
    try:
        with open(_reads_file(cache_dir, path), encoding="utf-8") as kept:
            read: object = json.load(kept)
    except (OSError, ValueError):
        return []
    if not isinstance(read, list):
        return []
    items = cast("list[object]", read)
    return [each for each in items if isinstance(each, str)]


def _keep_reads(cache_dir: str, path: str, read: list[str]) -> None:
    """Keep ``read`` for the module at ``path`` (best effort: a cache directory that cannot
    be written, ``/dev/null`` say, keeps nothing, as mypy's own cache does)."""
    file = _reads_file(cache_dir, path)
    try:
        if read:
            os.makedirs(os.path.dirname(file), exist_ok=True)
            with open(file, "w", encoding="utf-8") as kept:
                json.dump(read, kept)
        elif os.path.exists(file):
            os.remove(file)
    except OSError:
        pass


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class, for the mypy releases it supports."""
    release = tuple(int(part) for part in version.split("+")[0].split(".")[:2])
    oldest, newest = SUPPORTED_MYPY
    if not oldest <= release <= newest:
        raise RuntimeError(
            f"aaf.mypy supports mypy {oldest[0]}.{oldest[1]} to {newest[0]}.{newest[1]}, "
            f"not {version}; install a supported mypy or drop the plugin"
        )
    return AafPlugin


# The hooks ---------------------------------------------------------------------------------------
def _check_decorated(ctx: MethodContext, *, websocket: bool) -> None:
    """``@router.get("/items/<int:item_id>")`` over a function or a class, or the decorator
    called by hand: ``router.get("/items/<int:item_id>")(get_item)``."""
    if not ctx.args[0]:
        return  # called with no handler: mypy reports it
    handler = ctx.args[0][0]
    if isinstance(handler, LambdaExpr):
        return  # `router.get(rule)(lambda ...)`: see _check_added
    context = ctx.context
    calls: list[Expression]
    if isinstance(context, CallExpr):
        calls = [context.callee]
    else:
        # Which decorator this is: mypy puts a stand-in for the handler where it is written.
        decorators = context.decorators if isinstance(context, (Decorator, ClassDef)) else []
        calls = [d for d in decorators if (d.line, d.column) == (handler.line, handler.column)]
    # Under other decorators (`@login_required`, typed with a ParamSpec), mypy's type of the
    # handler has the function's parameters but not the function: its defaults are read
    # from the function as written, when the parameters are the same.
    written = context.func if isinstance(context, Decorator) else None
    # An @operation(status_code=...) under it is the function's status (a non-literal: None),
    # and its dependencies=[...] run after the route's.
    own = _decorated_status(context.decorators) if isinstance(context, Decorator) else _NOT_GIVEN
    own_side = (
        _decorated_side(_Reporter(ctx, context), context.decorators)
        if isinstance(context, Decorator)
        else _NO_SIDE
    )
    for call in calls:
        if (
            isinstance(call, CallExpr)
            and isinstance(call.callee, MemberExpr)
            and call.callee.name in _ROUTE_METHODS
        ):
            rule = _rule_of(call)
            above = context.decorators if isinstance(context, Decorator) else []
            wrapper = _wrapper_above(above, call)
            if isinstance(context, Decorator) and _operation_above(above, call):
                problem = _rules.operation_above_route_problem(context.func.name)
                _Reporter(ctx, call).fail(problem)
            elif written is not None and wrapper is not None:
                problem = _rules.wrapped_after_route_problem(written.name, wrapper)
                _Reporter(ctx, call).fail(problem)
            elif rule is not None:
                _check(ctx, call, rule, ctx.arg_types[0][0], websocket, written, own, own_side)


def _check_added(ctx: MethodContext, *, websocket: bool) -> None:
    """``router.add_route("/items/<int:item_id>", get_item)``."""
    if not ctx.args[0] or not ctx.args[1]:
        return  # a missing argument: mypy reports it
    rule = _text_of(ctx.args[0][0])
    # A lambda's parameters are unannotated, but mypy types them from the context (Any):
    # registration, which sees no annotation, checks it.
    if rule is not None and not isinstance(ctx.args[1][0], LambdaExpr):
        _check(ctx, ctx.context, rule, ctx.arg_types[1][0], websocket)


def _rule_of(call: CallExpr) -> str | None:
    rule = _argument(call, "rule", 0)
    return None if rule is None else _text_of(rule)


def _text_of(expression: Expression) -> str | None:
    """The string ``expression`` always is: a literal, a ``Final`` name bound to one
    (``PREFIX + "/<int:item_id>"``), or a ``+`` of those; None for anything else."""
    if isinstance(expression, StrExpr):
        return expression.value
    if isinstance(expression, OpExpr) and expression.op == "+":
        left, right = _text_of(expression.left), _text_of(expression.right)
        return None if left is None or right is None else left + right
    return final_text(expression.node) if isinstance(expression, RefExpr) else None


def _argument(call: CallExpr, name: str, position: int | None) -> Expression | None:
    """The expression given for the parameter ``name`` (at ``position`` when it can be
    given by position), or None."""
    for index, (arg, arg_name) in enumerate(zip(call.args, call.arg_names, strict=True)):
        if arg_name == name or (arg_name is None and index == position):
            return arg
    return None


def _status_of(where: Context) -> int | None:
    """The literal ``status_code`` a route call gives, or None (none given, or not a literal:
    registration checks that one)."""
    if not isinstance(where, CallExpr) or not isinstance(where.callee, MemberExpr):
        return None
    return _literal_status(_argument(where, "status_code", _STATUS_AT.get(where.callee.name)))


def _literal_status(given: Expression | None) -> int | None:
    """A status code written as a literal: ``204``, or ``HTTPStatus.NO_CONTENT`` (as the
    README spells it); None for anything else."""
    if (
        isinstance(given, MemberExpr)
        and isinstance(given.expr, RefExpr)
        and given.expr.fullname == "http.HTTPStatus"
        and given.name in HTTPStatus.__members__
    ):
        return HTTPStatus[given.name].value
    return given.value if isinstance(given, IntExpr) else None


# Where `status_code=` goes by position (the method shortcuts take it by name only).
_STATUS_AT = {"route": 3, "add_route": 4}
# Where `dependencies=` goes by position, for the calls that take it so.
_DEPENDENCIES_AT = {"route": 5, "websocket": 2, "add_route": 6, "add_websocket_route": 3}


class _Side(NamedTuple):
    """What a route's handler does not take itself: the request names that providers outside
    its signature read (``dependencies=``, a View's attributes), whether all of them could be
    read, and those providers' ``Depends(...)`` in the order registration builds them."""

    names: frozenset[str] = frozenset()
    complete: bool = True
    providers: tuple[Expression, ...] = ()

    def __or__(self, other: _Side) -> _Side:
        return _Side(
            self.names | other.names,
            self.complete and other.complete,
            (*self.providers, *other.providers),
        )


_NO_SIDE = _Side()
_NO_CHOICES: Mapping[str, tuple[str, ...]] = {}  # a rule without any(...) variables


def _side_dependencies(ctx: MethodContext, report: _Reporter, where: Context) -> _Side:
    """The providers in ``dependencies=``, the registering call's and its router's (read
    from the source of the module-level ``Router(...)`` that made it): the router's run
    first."""
    if not isinstance(where, CallExpr) or not isinstance(where.callee, MemberExpr):
        return _NO_SIDE
    callee = where.callee
    receiver = callee.expr.node if isinstance(callee.expr, RefExpr) else None
    side = _router_side(report, receiver, _router_made(report, receiver))
    given = _argument(where, "dependencies", _DEPENDENCIES_AT.get(callee.name))
    return side | _given_side(report, given)


def _given_side(report: _Reporter, given: Expression | None) -> _Side:
    """The providers of a ``dependencies=`` argument as mypy holds it (none when not given;
    incomplete when it is not a list or tuple written out)."""
    if given is None:
        return _NO_SIDE
    if not isinstance(given, (ListExpr, TupleExpr)):
        return _Side(complete=False)  # a variable: what it holds cannot be seen
    side = _NO_SIDE
    for item in given.items:
        side = side | _provider_side(report, item)
    return side


def _provider_side(report: _Reporter, item: Expression) -> _Side:
    """One item of ``dependencies=``: a ``Depends(...)`` and the request names it reads."""
    names = _dependency_names(report, item, ())
    providers = (item,) if _is_depends(item) else ()
    return _Side(frozenset(names or ()), names is not None, providers)


def _router_prefix(report: _Reporter, where: Context) -> str | None:
    """The prefix of the router a route call registers on (``Router("/users/<int:user_id>")``,
    whose variables its handlers take too), read from the ``Router(...)`` call that made it
    (``_router_made``); ``None`` where it cannot be read (a router a factory returns)."""
    if not isinstance(where, CallExpr) or not isinstance(where.callee, MemberExpr):
        return None
    router = where.callee.expr.node if isinstance(where.callee.expr, RefExpr) else None
    prefix = _prefix_of(router, _router_made(report, router))
    return None if prefix is None else prefix.rstrip("/")


class _UnreadPrefix(dict[str, type]):
    """The types a route's rule variables give (``produced``) where its router's prefix could
    not be read: the prefix may hold more variables, which a ``Path()`` marker may name."""


def _in_unread_prefix(produced: Mapping[str, type], name: str, is_path: bool) -> bool:
    """Whether a parameter marked ``Path()`` (``is_path``) may name a variable of a prefix
    the plugin could not read: not reported, since registration may well find it there."""
    return is_path and name not in produced and isinstance(produced, _UnreadPrefix)


def _unseen_converters(
    ctx: MethodContext, where: Context, rule: str
) -> dict[str, type[_rules.OpaqueConverter]]:
    """Stand-ins for the converters ``rule`` names that are not werkzeug's, unless the router
    can have none of its own (an ``App``, or a module's ``Router(...)`` given no
    ``converters=``): the app's own converters run only at registration, which checks them."""
    names = [name for name in _rules.converter_names(rule) if name not in _rules.CONVERTERS]
    if not names:
        return {}
    receiver = get_proper_type(ctx.type)
    if isinstance(receiver, Instance) and receiver.type.has_base(_APP):
        return {}
    if isinstance(where, CallExpr) and isinstance(where.callee, MemberExpr):
        router = where.callee.expr.node if isinstance(where.callee.expr, RefExpr) else None
        made = _router_made(_Silent(ctx, where), router)
        if made is not None and not any(k.arg == "converters" for k in made[0].keywords):
            return {}
    return dict.fromkeys(names, _rules.OpaqueConverter)


def _provided(depends: CallExpr) -> Type | None:
    """What ``Depends(provider)`` gives a parameter, as its overloads type it: an async
    generator's or a generator's items, a coroutine function's result, a function's or a
    class's. None when that cannot be read (a generic provider, one not resolved)."""
    provider = _argument(depends, "provider", 0)
    if not isinstance(provider, RefExpr):
        return None
    node = provider.node
    function: Type | None = None
    if isinstance(node, TypeInfo):
        return None if node.type_vars else Instance(node, [])
    if isinstance(node, Decorator):
        function = node.var.type
    elif isinstance(node, FuncDef):
        function = node.type
    elif isinstance(node, Var):  # an object: its __call__
        function = node.type
    return _gives(function)


def _gives(provider: Type | None) -> Type | None:
    """What a provider of the type ``provider`` gives, as ``Depends``' overloads type it (see
    ``_provided``): a function's, a class's or an object's (through its ``__call__``). None
    when that cannot be read (a generic or overloaded provider)."""
    # Imported here: at the top, before mypy.types, they would start an import cycle of mypy's.
    from mypy.maptype import map_instance_to_supertype
    from mypy.subtypes import find_member

    function = get_proper_type(provider)
    if isinstance(function, Instance):  # an object: its __call__
        function = get_proper_type(find_member("__call__", function, function, is_operator=True))
    if not isinstance(function, CallableType) or function.variables:
        return None
    if function.is_type_obj():
        return function.ret_type  # a class: its instance
    returned = get_proper_type(function.ret_type)
    if isinstance(returned, Instance):
        for base in ("typing.AsyncIterator", "typing.Iterator", "typing.Awaitable"):
            info = next((k for k in returned.type.mro if k.fullname == base), None)
            if info is not None:
                mapped = map_instance_to_supertype(returned, info)
                return mapped.args[0] if mapped.args else None
    return function.ret_type


def _check_override(ctx: MethodContext) -> Type:
    """``app.dependency_overrides[get_db] = fake_db``: the override must give what the
    provider gives (a subtype of it), in whatever form (a function, a coroutine function, a
    generator, a class), as the parameters it fills are annotated with the provider's."""
    from mypy.subtypes import is_subtype  # see _gives

    target = ctx.context
    if not (
        isinstance(target, IndexExpr)
        and isinstance(target.base, MemberExpr)
        and target.base.name == "dependency_overrides"
        and len(ctx.arg_types) == 2
        and len(ctx.arg_types[0]) == 1
        and len(ctx.arg_types[1]) == 1
    ):
        return ctx.default_return_type  # any other dict's item
    owner = get_proper_type(ctx.api.get_expression_type(target.base.expr))
    if not isinstance(owner, Instance) or not owner.type.has_base(_APP):
        return ctx.default_return_type
    given, instead = _gives(ctx.arg_types[0][0]), _gives(ctx.arg_types[1][0])
    if given is None or instead is None or is_subtype(instead, given):
        return ctx.default_return_type
    provider = target.index
    name = provider.name if isinstance(provider, (NameExpr, MemberExpr)) else "the provider"
    report = _Reporter(ctx, target)
    ctx.api.fail(
        f"the override of {name} gives {report.show(instead)}, not the "
        f"{report.show(given)} that {name} gives (and the parameters it fills take)",
        target,
        code=AAF_OVERRIDE,
    )
    return ctx.default_return_type


def _loose_app(ctx: FunctionSigContext) -> FunctionLike:
    """An app's construction given a literal ``exception_handlers={...}`` or ``middleware=[...]``:
    the mapping's values, or the list's items, typed ``object``, each checked instead by
    ``_check_app`` (a handler against its key, a middleware as the list's type would). Typed as
    one type for all, a mapping of handlers of two exception classes, or a list of Starlette's
    ``CORSMiddleware`` and ``GZipMiddleware`` each in a ``functools.partial``, was an
    ``arg-type`` error on mypy before 2, which joined them (to ``builtins.function``, to
    ``object``) before it read the parameter's type."""
    signature = ctx.default_signature
    types = list(signature.arg_types)
    for index, name in enumerate(signature.arg_names):
        given = ctx.args[index] if index < len(ctx.args) else []
        if len(given) != 1 or _written_items(name, given[0]) is None:
            continue
        declared = get_proper_type(types[index])
        members = declared.items if isinstance(declared, UnionType) else [declared]
        loose: list[Type] = []
        for member in members:
            member = get_proper_type(member)
            if isinstance(member, Instance) and member.args:
                # The values (a mapping's last argument, a sequence's only one) as `object`.
                anything = ctx.api.named_generic_type("builtins.object", [])
                member = Instance(member.type, [*member.args[:-1], anything])
            loose.append(member)
        types[index] = UnionType.make_union(loose)
    # (mypy's copy_modified: its keywords' defaults are untyped sentinels.)
    return signature.copy_modified(arg_types=types)  # pyright: ignore[reportUnknownMemberType]


def _written_items(
    name: str | None, given: Expression
) -> list[tuple[Expression | int, Expression]] | None:
    """The entries of a literal ``exception_handlers={...}`` (key, handler) or
    ``middleware=[...]`` (the item's position, the item) as written; None for anything else
    (a name, a ``**mapping`` or ``*items`` in it: the parameter's type checks it whole)."""
    if name == "exception_handlers" and isinstance(given, DictExpr):
        if all(key is not None for key, _ in given.items):
            return [(key, value) for key, value in given.items if key is not None]
    elif name == "middleware" and isinstance(given, ListExpr):
        if not any(isinstance(item, StarExpr) for item in given.items):
            return list(enumerate(given.items))
    return None


def _check_dependencies(ctx: FunctionContext | MethodContext) -> Type:
    """``dependencies=[check_key]``: a provider itself where ``Depends(check_key)`` goes,
    which the parameter's type takes (``Sequence[object]``: ``Depends(p)`` is typed as what
    ``p`` gives, for parameters), and registration refuses, in the same words."""
    if "dependencies" in ctx.callee_arg_names:
        report = _Reporter(ctx, ctx.context)
        for given in ctx.args[ctx.callee_arg_names.index("dependencies")]:
            items = given.items if isinstance(given, (ListExpr, TupleExpr)) else []
            for item in items:
                node = item.node if isinstance(item, RefExpr) else None
                if isinstance(node, Decorator):
                    node = node.func  # functools.cache's wrapper keeps its name
                if not isinstance(node, (FuncDef, OverloadedFuncDef, TypeInfo)):
                    continue
                module = module_of(report.modules, node.fullname)
                if module is not None:
                    qualname = node.fullname.removeprefix(module.fullname + ".")
                    ctx.api.fail(_rules.bare_provider_problem(qualname), item, code=AAF_ROUTE)
    return ctx.default_return_type


def _check_app(ctx: FunctionContext) -> Type:
    """An app's construction: each handler of a literal ``exception_handlers={KeyError:
    on_key, 404: not_found}`` must be one for what its key sends it, which the mapping's type
    cannot say entry by entry (it takes any handler for any key); each item of a literal
    ``middleware=[...]`` must take an app (``_loose_app`` left both to this)."""
    for name, given in zip(ctx.callee_arg_names, ctx.args, strict=True):
        if len(given) != 1 or (entries := _written_items(name, given[0])) is None:
            continue
        for key, value in entries:
            if isinstance(key, int):  # a middleware item's position
                _check_middleware(ctx, key, value)
            else:
                _check_handler(ctx, key, value, whole=True)
    return _check_dependencies(ctx)


def _check_middleware(ctx: FunctionContext, position: int, item: Expression) -> None:
    """An item of ``middleware=[...]`` as mypy checks a list's items against the list's
    type, ``Callable[[Never], object]`` (anything called with the app alone)."""
    from mypy.subtypes import is_subtype  # see _gives

    wanted = CallableType(
        [UninhabitedType()],
        [ARG_POS],
        [None],
        ctx.api.named_generic_type("builtins.object", []),
        ctx.api.named_generic_type("builtins.function", []),
    )
    written = ctx.api.get_expression_type(item)
    if not is_subtype(written, wanted):
        report = _Reporter(ctx, item)
        ctx.api.fail(
            f'List item {position} has incompatible type "{report.show(written)}"; expected '
            f'"{report.show(wanted)}"',
            item,
            code=LIST_ITEM,
        )


def _check_added_handler(ctx: MethodContext) -> Type:
    """``app.add_exception_handler(500, handler)``, which its overloads pass whatever the
    handler takes (the one for any status takes it); its other keys they check."""
    if len(ctx.args) == 2 and len(ctx.args[0]) == 1 and len(ctx.args[1]) == 1:
        key = get_proper_type(ctx.api.get_expression_type(ctx.args[0][0]))
        if isinstance(key, Instance) and _literal(key) == 500:
            _check_handler(ctx, ctx.args[0][0], ctx.args[1][0], whole=False)
    return ctx.default_return_type


def _literal(typ: Instance) -> object:
    """The literal value an ``int``'s type knows it holds (``500``), or None."""
    known = typ.last_known_value
    return known.value if known is not None else None


def _instance(report: _Reporter, module: str, name: str) -> Instance | None:
    """An instance of aaf's class ``module.name`` (``aaf.exceptions``, ``HTTPError``), as mypy
    has it; None when mypy has not read the module."""
    found = report.modules.get(module)
    symbol = found.names.get(name) if isinstance(found, MypyFile) else None
    node = symbol.node if symbol is not None else None
    return Instance(node, []) if isinstance(node, TypeInfo) else None


def _check_handler(
    ctx: FunctionContext | MethodContext, key: Expression, handler: Expression, whole: bool
) -> None:
    """Report ``handler`` when it does not take what the app gives it for ``key``: an
    exception of the key's class; for a status, the ``HTTPError`` of that status; for 500
    (or the class ``Exception`` or ``BaseException``), any exception nothing else answers.
    ``whole``: when nothing else checked the handler, also when it is no exception handler
    at all (an async function of the connection and the exception, giving a response)."""
    from mypy.subtypes import find_member, is_subtype  # see _gives

    api = ctx.api
    report = _Reporter(ctx, handler)
    given = get_proper_type(api.get_expression_type(key))
    if isinstance(given, CallableType) and given.is_type_obj():
        given = get_proper_type(given.ret_type)  # a class, named: its instances
    elif isinstance(given, TypeType):
        given = get_proper_type(given.item)
    if not isinstance(given, Instance) or not (
        given.type.fullname == "builtins.int" or given.type.has_base("builtins.BaseException")
    ):
        return  # not a class of exceptions nor a status: the mapping's key type says so
    what = given.type.name
    # 500, Exception and BaseException: every exception nothing else answers (an HTTPError
    # has its own answer below them).
    server_error = given.type.fullname in ("builtins.Exception", "builtins.BaseException")
    if given.type.fullname == "builtins.int":
        status = _literal(given)
        what = "a status" if status is None else f"status {status}"
        server_error = status == 500
        if not server_error:
            http_error = _instance(report, "aaf.exceptions", "HTTPError")
            if http_error is None:
                return
            given, what = http_error, f"{what} (an HTTPError)"
    if server_error:
        given = api.named_generic_type("builtins.Exception", [])
        what += " (every exception nothing else answers)"
    written = get_proper_type(api.get_expression_type(handler))
    connection = _instance(report, "aaf.connection", "Connection")
    response = _instance(report, "aaf.response", "HttpResponse")
    if connection is None or response is None:
        return
    wanted = CallableType(
        [connection, given],
        [ARG_POS, ARG_POS],
        [None, None],
        api.named_generic_type("typing.Awaitable", [response]),
        api.named_generic_type("builtins.function", []),
    )
    if is_subtype(written, wanted):
        return
    name = f" {handler.name}" if isinstance(handler, (NameExpr, MemberExpr)) else ""
    function: ProperType | None = written
    if isinstance(function, Instance):  # an object with an async __call__
        function = get_proper_type(find_member("__call__", function, function, is_operator=True))
    if (
        isinstance(function, CallableType)
        and not function.variables
        and len(function.arg_types) >= 2
        and function.arg_kinds[1] in (ARG_POS, ARG_OPT)
        and not is_subtype(given, function.arg_types[1])
    ):
        message = (
            f"the exception handler{name} takes {report.show(function.arg_types[1])}, but "
            f"answers {what}"
        )
    elif whole:
        message = (
            f"the exception handler{name} for {what} is {report.show(written)}, not an async "
            f"function of the Connection and the {report.show(given)} that gives a response"
        )
    else:
        return  # the method's own type says what is wrong
    api.fail(message, handler, code=AAF_HANDLER)


def _provided_problem(
    report: _Reporter,
    qualname: str,
    name: str,
    typ: Type,
    depends: Expression,
    what: str = "parameter",
) -> str | None:
    """``Annotated[T, Depends(provider)]`` whose provider does not give a ``T``: what mypy
    reports for ``x: T = Depends(provider)``, which it cannot see in metadata."""
    from mypy.subtypes import is_subtype  # see _gives

    provided = _provided(depends) if isinstance(depends, CallExpr) else None
    if provided is None or is_subtype(provided, typ):
        return None
    assert isinstance(depends, CallExpr)
    provider = _argument(depends, "provider", 0)
    marker = depends.callee.name if isinstance(depends.callee, NameExpr) else "Depends"
    shown = provider.name if isinstance(provider, NameExpr) else "..."
    return (
        f"{qualname}: {what} '{name}' is annotated {report.show(typ)}, but "
        f"{marker}({shown}) gives {report.show(provided)}"
    )


# The checks --------------------------------------------------------------------------------------
def _url_for_signature(ctx: MethodSigContext) -> FunctionLike:
    """``url_for(handler, **params)`` typed by the handler's parameters that a URL carries.

    The ``ParamSpec`` overloads ask for every parameter of the handler, a required header,
    body or provider too, which ``url_for`` refuses (``NotInUrl``): for a handler that has
    such parameters, the overload that fits it asks for its path and query ones only, each
    as the handler types it, required where it has no default. Anything the plugin cannot
    read (``*args``, a handler mypy does not have the function of) keeps the overload.
    """
    signature = ctx.default_signature
    target = get_proper_type(signature.arg_types[0]) if signature.arg_types else None
    if not ctx.args or not ctx.args[0] or not isinstance(target, CallableType):
        return signature
    if target.param_spec() is None:
        return signature  # url_for("name", ...): not by handler
    # This overload's handler: the Connection first, or a View method's `self` before it.
    skip = sum(1 for kind in target.arg_kinds if kind not in (ARG_STAR, ARG_STAR2))
    handler = get_proper_type(ctx.api.get_expression_type(ctx.args[0][0]))
    if not isinstance(handler, CallableType) or handler.is_ellipsis_args:
        return signature
    definition = _written(handler)
    if definition is None:
        return signature
    report = _Reporter(ctx, ctx.context)
    written = list(_params(report, handler, definition))
    if len(written) < skip or not written[skip - 1].param.connection:
        return signature  # not this overload's shape: it stays as it is
    kept: list[_Written] = []
    # The providers' own, which url_for takes too (None: a provider that cannot be read).
    provided: list[_Written | None] = []
    rest: _Written | None = None  # `**rest`, given the rule variables no parameter names
    for parameter in written[skip:]:
        if parameter.param.kind == "var_keyword":
            rest = parameter
            continue
        if parameter.param.kind not in ("positional", "keyword"):
            return signature  # *args, positional-only: left to the overload
        if parameter.default is not None and _is_depends(parameter.default):
            provided.extend(_provider_url_params(report, parameter.default, ()))
        elif not parameter.param.connection and parameter.source not in _NOT_IN_URL:
            kept.append(parameter)
        # else not in a URL: url_for neither needs nor takes it
    info = definition.info if skip == 2 else None  # a View method: its attributes' providers
    view = info if isinstance(info, TypeInfo) and info.has_base(_VIEW) else None
    if view is not None:
        for provider in _class_dependencies(_Silent(ctx, ctx.context), view).providers:
            provided.extend(_provider_url_params(report, provider, ()))
    # The route's and its router's `dependencies=`: their providers' URL parameters too; when
    # they cannot be read, any other keyword is taken (the plugin does not guess).
    registered = _registered(report, definition, view)
    side = registered.side | _served_side(report, ctx.context)
    for provider in side.providers:
        provided.extend(_provider_url_params(report, provider, ()))
    if len(kept) == len(written) - skip and not provided and side.complete:
        return signature  # every parameter goes in the URL: the ParamSpec says it all
    names = {parameter.param.name for parameter in kept}
    variables = registered.variables or frozenset()
    # Any other keyword: what a provider that cannot be read takes is unknown, and so are the
    # rule variables `**rest` is given where a rule cannot be read.
    open_ended = None in provided
    if rest is not None:
        named = {parameter.param.name for parameter in written[skip:]}
        open_ended = open_ended or registered.variables is None
        for variable in sorted(variables - named):  # required, typed as `**rest` says
            kept.append(
                rest._replace(param=dataclasses.replace(rest.param, name=variable), required=True)
            )
            names.add(variable)
    for given in provided:
        if given is not None and given.param.name not in names:
            names.add(given.param.name)
            # Required when it is a variable of every rule the handler is routed by (the
            # rule reads it from the path); otherwise (or when a rule cannot be read) not.
            kept.append(given._replace(required=given.param.name in variables))
    others: list[Type] = (
        []
        if side.complete and not open_ended
        else [ctx.api.named_generic_type("builtins.object", [])]
    )
    return CallableType(
        [handler, *(parameter.typ for parameter in kept), *others],
        [ARG_POS, *(ARG_NAMED if parameter.required else ARG_NAMED_OPT for parameter in kept)]
        + [ARG_STAR2] * len(others),
        [None, *(parameter.param.name for parameter in kept), *(["params"] * len(others))],
        signature.ret_type,
        signature.fallback,
        name=signature.name,
    )


class _Registered(NamedTuple):
    """What the route decorators over a handler say that its signature does not: their
    ``dependencies=`` (and their routers'), and the rule variables every one of their
    routes has (``None`` when a rule or a router's prefix cannot be read)."""

    side: _Side
    variables: frozenset[str] | None


def _registered(report: _Reporter, definition: FuncDef, view: TypeInfo | None) -> _Registered:
    """The route decorators over ``definition`` (a View method's: over its class), read from
    the source, as for a module from mypy's cache, which keeps no decorators. The side is
    incomplete where they cannot be read (no source, not a module's top-level function or
    class, a list in a variable)."""
    owner = view if view is not None else definition
    module = module_of(report.modules, owner.fullname)
    if module is None or owner.fullname != f"{module.fullname}.{owner.name}":
        return _Registered(_Side(complete=False), None)  # not top-level in its module
    source = read_source(module.path)
    written: Sequence[ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]
    if view is not None:
        written = source.classes.get(view.name, [])
    else:  # by its line, which a function from mypy's cache does not keep (-1)
        written = source.functions.get(definition.name, [])
        written = [f for f in written if definition.line in (f.lineno, -1)]
    if len(written) != 1:
        return _Registered(_Side(complete=False), None)  # not found, or defined twice
    reader = Metadata(module, report.modules)
    side = _NO_SIDE
    routes: list[frozenset[str] | None] = []  # each route's variables
    # Its route decorators, and the module's `add_route(rule, handler, ...)` calls naming it.
    for decorator in [*written[0].decorator_list, *source.added.get(owner.name, [])]:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in _ROUTE_METHODS | ADDING
        ):
            router = reader.resolve(decorator.func.value)
            made = _router_made(report, router)
            listed = _listed(report, reader, decorator, _DEPENDENCIES_AT.get(decorator.func.attr))
            side = side | listed | _router_side(report, router, made)
            routes.append(_route_variables(reader, decorator, _prefix_of(router, made)))
    if not routes:  # registered elsewhere (another module's add_route), as the plugin cannot see
        return _Registered(_Side(complete=False), None)
    # Its @operation(dependencies=[...]) (a View method's, over the method in the class).
    function: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | None = written[0]
    if isinstance(function, ast.ClassDef):
        methods = [
            node
            for node in function.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name == definition.name
        ]
        function = methods[0] if len(methods) == 1 else None  # defined twice: not read
    side = side | (
        _Side(complete=False)
        if function is None
        else _written_side(report, reader, function.decorator_list)
    )
    known = [variables for variables in routes if variables is not None]
    every = known[0].intersection(*known[1:]) if routes and len(known) == len(routes) else None
    return _Registered(side, every)


def _route_variables(
    reader: Metadata, decorator: ast.Call, prefix: str | None
) -> frozenset[str] | None:
    """The variables of a route decorator's literal rule under its router's ``prefix``;
    ``None`` when either cannot be read."""
    rule = decorator.args[0] if decorator.args else None
    rule = next((k.value for k in decorator.keywords if k.arg == "rule"), rule)
    text = None if rule is None else reader.text(rule)
    if prefix is None or text is None:
        return None
    return _rules.rule_variables(prefix + text)


def _prefix_of(router: SymbolNode | None, made: tuple[ast.Call, Metadata] | None) -> str | None:
    """The literal prefix of the router a route is registered on: ``""`` for an ``App``;
    ``None`` when it cannot be read."""
    if _is_app(router):
        return ""
    if made is None:
        return None
    call = made[0]
    given = next((k.value for k in call.keywords if k.arg == "prefix"), None)
    if given is None and call.args:
        given = call.args[0]
    return "" if given is None else made[1].text(given)


def _router_side(
    report: _Reporter, router: SymbolNode | None, made: tuple[ast.Call, Metadata] | None
) -> _Side:
    """The providers in ``dependencies=`` of the ``Router(...)`` call ``made``
    (``_router_made``) that made ``router``; none for an ``App`` (its own are read where it
    serves routes), and incomplete for a router made otherwise (in a function, by a
    factory): its ``dependencies=`` may read any rule variable."""
    if made is not None:
        return _listed(report, made[1], made[0], None)
    return _NO_SIDE if _is_app(router) else _Side(complete=False)


def _is_app(node: SymbolNode | None) -> bool:
    """Whether ``node`` is a name of an ``App`` (``aaf(...)``)."""
    return _names_a(node, _APP)


def _names_a(node: SymbolNode | None, base: str) -> bool:
    """Whether ``node`` is a name of an instance of ``base`` (or a subclass)."""
    typ = get_proper_type(node.type) if isinstance(node, Var) else None
    return isinstance(typ, Instance) and typ.type.has_base(base)


def _router_made(report: _Reporter, router: SymbolNode | None) -> tuple[ast.Call, Metadata] | None:
    """The ``Router(...)`` call (or a subclass's that keeps its ``__init__``) that made
    ``router``, a module-level name assigned once (or a local one its function binds once),
    read from its module's source (mypy keeps no statements of a module it has checked, nor
    of one from its cache), with a reader of that module's names."""
    return _made(report, router, _ROUTER)


def _made(
    report: _Reporter, router: SymbolNode | None, base: str
) -> tuple[ast.Call, Metadata] | None:
    """The call of ``base`` (``Router`` or ``App``, or a subclass's that keeps its
    ``__init__``) that made ``router``: see _router_made."""
    if not isinstance(router, Var):
        return None
    module = report.modules.get(router.fullname.rpartition(".")[0])
    made: ast.expr | None
    if isinstance(module, MypyFile):
        assignments = read_source(module.path).assignments.get(router.name, [])
        made = assignments[0] if len(assignments) == 1 else None
    else:  # a function's local variable (an app factory's router): in the module checked
        module = getattr(report.ctx.api, "tree", None)
        if not isinstance(module, MypyFile) or router.fullname != router.name:
            return None
        made = read_source(module.path).local_assignments.get((router.name, router.line))
    if not isinstance(made, ast.Call):
        return None
    if any(isinstance(arg, ast.Starred) for arg in made.args) or any(
        keyword.arg is None for keyword in made.keywords
    ):
        return None  # Router(**options): its prefix and dependencies= cannot be read
    reader = Metadata(module, report.modules)
    made_by = reader.resolve(made.func)
    if isinstance(made_by, TypeAlias):  # `aaf = App`, the seed's spelling
        target = get_proper_type(made_by.target)
        made_by = target.type if isinstance(target, Instance) else None
    if not isinstance(made_by, TypeInfo) or not made_by.has_base(base):
        return None
    init = _method_def(made_by, "__init__")
    if init is None or init.info.fullname != base:
        return None  # a subclass that takes its own arguments
    return made, reader


def _served_side(report: _Reporter, where: Context) -> _Side:
    """What the app or router ``url_for`` is called on runs before the routes it serves,
    beyond a route's own router's (which _registered reads): an app's ``dependencies=``, and
    down the routers it serves (those given to ``App([...])``, and those its module's
    top-level ``include_router(...)`` or ``include(...)`` calls include, and so on below
    them) each router's ``dependencies=`` and each inclusion's. Read from the module-level
    calls that made them; none taken for one made otherwise, or for a ``connection.url_for``
    (whichever app serves the request)."""
    if not isinstance(where, CallExpr) or not isinstance(where.callee, MemberExpr):
        return _NO_SIDE
    receiver = where.callee.expr.node if isinstance(where.callee.expr, RefExpr) else None
    return _served_below(report, receiver, set())


def _served_below(report: _Reporter, node: SymbolNode | None, seen: set[str]) -> _Side:
    if not isinstance(node, Var) or node.fullname in seen:
        return _NO_SIDE
    seen.add(node.fullname)
    module = report.modules.get(node.fullname.rpartition(".")[0])
    if not isinstance(module, MypyFile):
        # A function's own app or router: what that function includes in it is not read.
        # (A connection's url_for takes none: whichever app serves the request.)
        return _Side(complete=False) if _names_a(node, _ROUTER) or _is_app(node) else _NO_SIDE
    side = _router_side(report, node, _router_made(report, node))
    served: list[tuple[ast.expr, Metadata]] = []
    app = _made(report, node, _APP)
    if app is None and _is_app(node):  # made by a factory, or with **options
        return _Side(complete=False)
    if app is not None:
        call, reader = app
        side = side | _listed(report, reader, call, None)
        given = next((k.value for k in call.keywords if k.arg == "routers"), None)
        routers = call.args[0] if call.args else given
        if isinstance(routers, (ast.List, ast.Tuple)):
            served.extend((router, reader) for router in routers.elts)
    reader = Metadata(module, report.modules)
    for call in read_source(module.path).included.get(node.name, []):
        side = side | _listed(report, reader, call, None)
        given = next((k.value for k in call.keywords if k.arg == "router"), None)
        router = call.args[0] if call.args else given
        if router is not None:
            served.append((router, reader))
    for router, reader in served:
        side = side | _served_below(report, reader.resolve(router), seen)
    return side


def _listed(report: _Reporter, reader: Metadata, call: ast.Call, position: int | None) -> _Side:
    """The ``Depends(...)`` items of a call's ``dependencies=`` (by name, or at
    ``position``); incomplete unless it is a list or tuple of them written out."""
    given = next((k.value for k in call.keywords if k.arg == "dependencies"), None)
    if given is None and position is not None and len(call.args) > position:
        given = call.args[position]
    if given is None:
        return _NO_SIDE
    if not isinstance(given, (ast.List, ast.Tuple)):
        return _Side(complete=False)
    side = _NO_SIDE
    for item in given.elts:
        depends = reader.depends_call(item)
        side = side | (
            _Side(complete=False) if depends is None else _provider_side(report, depends)
        )
    return side


def _provider_url_params(
    report: _Reporter, depends: Expression, chain: Sequence[str]
) -> Iterator[_Written | None]:
    """The parameters of ``Depends(provider)`` and its sub-dependencies that a URL carries
    (a rule variable it reads, a paging provider's ``page``), which ``url_for`` takes by
    name; ``None`` for a provider that cannot be read (one a factory made, a pydantic
    model, ``Depends()`` of the annotation's class), whose parameters are unknown."""
    found = _provider_of(depends, chain)
    if found is None:
        yield None
        return
    node, _, skip = found
    sig = get_proper_type(node.type)
    if not isinstance(sig, CallableType):
        yield None
        return
    for parameter in list(_params(report, sig, node))[skip:]:
        if parameter.default is not None and _is_depends(parameter.default):
            yield from _provider_url_params(report, parameter.default, (*chain, node.fullname))
        elif (
            parameter.param.kind in ("positional", "keyword")
            and not parameter.param.connection
            and not _is_scopes(parameter.typ)
            and parameter.source not in _NOT_IN_URL
        ):
            yield parameter


class _Reporter:
    """Reports a problem at the decorator (or call) that registers the route, code aaf-route."""

    def __init__(
        self, ctx: MethodContext | MethodSigContext | FunctionContext, where: Context
    ) -> None:
        self.ctx = ctx
        self.where = where
        self.options: Options = ctx.api.options
        modules: object = getattr(ctx.api, "modules", None)  # mypy's TypeChecker has them
        self.modules: Mapping[str, object] = (
            cast("dict[str, object]", modules) if isinstance(modules, dict) else {}
        )

    def fail(self, message: str) -> None:
        self.ctx.api.fail(message, self.where, code=AAF_ROUTE)

    def show(self, typ: Type) -> str:
        return format_type_bare(typ, self.options)


class _Silent(_Reporter):
    """Reports nothing: for reading what the checks read where they have already reported
    (a View's attributes, read again for a ``url_for`` of one of its methods)."""

    def fail(self, message: str) -> None:
        pass


def _check(
    ctx: MethodContext,
    where: Context,
    rule: str,
    handler: Type,
    websocket: bool,
    written: FuncDef | None = None,
    own_status: object = _NOT_GIVEN,
    own_side: _Side = _NO_SIDE,
) -> None:
    """``own_status``: the literal status an ``@operation(...)`` under the route's decorator
    gives (``None`` when not a literal; ``_NOT_GIVEN`` when it gives none); ``own_side`` its
    ``dependencies=``."""
    report = _Reporter(ctx, where)
    side = _side_dependencies(ctx, report, where) | own_side
    prefix = _router_prefix(report, where)
    if prefix is not None and (problem := _rules.unslashed_rule_problem(prefix, rule)):
        report.fail(problem)
        return
    rule = (prefix or "") + rule  # as the router registers it
    try:
        converters = _rules.rule_converters(rule, websocket, _unseen_converters(ctx, where, rule))
    except (ValueError, LookupError) as exc:
        report.fail(_rules.invalid_rule_problem(rule, exc))
        return
    produced = {name: _rules.converter_type(c) for name, c in converters.items()}
    if prefix is None:  # a router made where the plugin cannot see its prefix
        produced = _UnreadPrefix(produced)
    choices = _rules.rule_choices(converters)
    handler = get_proper_type(handler)
    if not isinstance(handler, CallableType):
        return  # an overloaded or unknown handler: registration will say
    status = None if websocket else _status_of(where)
    if own_status is not _NOT_GIVEN:
        status = cast("int | None", own_status)
    if handler.is_type_obj():
        info = handler.type_object()
        _check_class(report, info, produced, websocket, side, status, choices)
        return
    definition = _written(handler)
    if (
        definition is None
        and written is not None
        and written.arg_names == handler.arg_names
        and written.arg_kinds == handler.arg_kinds
    ):
        definition = written
    name = definition.name if isinstance(definition, FuncDef) else (handler.name or "handler")
    if isinstance(definition, FuncDef) and _bound_self(handler, definition):
        name = f"{definition.info.name}.{name}"  # as its __qualname__ says it
    if status is not None and (problem := _rules.status_problem(name, status)) is not None:
        report.fail(problem)
    elif status is not None and (problem := _empty_status_problem(report, name, status, handler)):
        report.fail(problem)
        return
    problem = _handler_problem(
        report,
        name,
        handler,
        produced,
        is_method=False,
        websocket=websocket,
        side=side,
        definition=definition if isinstance(definition, FuncDef) else None,
        choices=choices,
    )
    if problem is not None:
        report.fail(problem)


def _check_class(
    report: _Reporter,
    info: TypeInfo,
    produced: Mapping[str, type],
    websocket: bool,
    side: _Side = _NO_SIDE,
    status: int | None = None,
    choices: Mapping[str, tuple[str, ...]] = _NO_CHOICES,
) -> None:
    """``side``: the route's and router's ``dependencies=``; ``status`` the route's literal
    ``status_code``; ``choices`` the values of the rule's ``any(...)`` variables."""
    if websocket and info.has_base(_WS_VIEW):
        for hook in ("on_connect", "on_receive", "on_disconnect", "on_invalid"):
            if (kind := _bound_kind(info, hook, _WS_VIEW)) is not None:
                report.fail(_rules.not_a_plain_method_problem(f"{info.name}.{hook}", kind))
                return
        # Its attributes' providers are filled before on_connect, as a View's (their types
        # checked here, whether or not it defines one).
        side = side | _class_dependencies(report, info)
        method = _method(info, "on_connect", _WS_VIEW)
        if method is not None:
            problem = _handler_problem(
                report,
                f"{info.name}.on_connect",
                method,
                produced,
                is_method=True,
                websocket=True,
                side=side,
                choices=choices,
            )
            if problem is not None:
                report.fail(problem)
        return
    if websocket or not info.has_base(_VIEW):
        is_view, is_websocket_view = info.has_base(_VIEW), info.has_base(_WS_VIEW)
        report.fail(_rules.class_problem(info.name, is_view, is_websocket_view, websocket))
        return
    for hook in _rules.FOREIGN_VIEW_HOOKS:
        if _defined(info, hook, _VIEW) is not None:
            report.fail(_rules.foreign_hook_problem(info.name, hook))
            return
    attributes = _class_dependencies(report, info)  # built after the route's, as registration does
    # In registration's order: by name, each method's checks before the next one's.
    names = [
        name
        for name in sorted(_rules.HTTP_METHODS)
        if _bound_kind(info, name, _VIEW) is not None or _method(info, name, _VIEW) is not None
    ]
    if not names:
        report.fail(_rules.no_methods_problem(info.name))
        return
    # Registration stops at the first method it refuses: what follows a parameter that may
    # be a variable of a prefix the plugin cannot read (which registration may refuse first)
    # is left to it, in the methods after that one's too.
    unseen = False
    for name in names:
        if (kind := _bound_kind(info, name, _VIEW)) is not None:
            report.fail(_rules.not_a_plain_method_problem(f"{info.name}.{name}", kind))
            return
        method = _method(info, name, _VIEW)
        if method is None:
            continue
        # A method's @operation(status_code=...) is its status instead of the route's; its
        # dependencies=[...] run after the route's, before the attributes' providers.
        own = _operation_status(report, info, name)
        outside = side | _operation_side(report, info, name) | attributes
        given = status if own is _NOT_GIVEN else own
        if isinstance(given, int) and (
            (problem := _rules.status_problem(f"{info.name}.{name}", given))
            or (problem := _empty_status_problem(report, f"{info.name}.{name}", given, method))
        ):
            report.fail(problem)
            continue
        route = _RouteReads(websocket=False, unseen=unseen)
        problem = _handler_problem(
            report,
            f"{info.name}.{name}",
            method,
            produced,
            is_method=True,
            websocket=False,
            side=outside,
            choices=choices,
            route=route,
        )
        unseen = route.unseen
        if problem is not None:
            report.fail(problem)


def _operation_status(report: _Reporter, info: TypeInfo, name: str) -> object:
    """The literal ``status_code`` a View method's ``@operation(...)`` gives; ``None`` when
    it gives one that is not a literal (or cannot be read); ``_NOT_GIVEN`` when it gives
    none."""
    node = _defined(info, name, _VIEW)
    if not isinstance(node, Decorator):
        return _NOT_GIVEN
    if node.decorators:
        return _decorated_status(node.decorators)
    # From mypy's cache, which keeps no decorators: they are read from the source.
    module = module_of(report.modules, node.func.fullname)
    written = None if module is None else function_written(module, node.func)
    if module is None or written is None:
        return None  # a status that cannot be read: the route's is not taken instead
    reader = Metadata(module, report.modules)
    for decorator in written.decorator_list:
        if isinstance(decorator, ast.Call) and _is_written_operation(reader, decorator):
            given = next((k.value for k in decorator.keywords if k.arg == "status_code"), None)
            if given is None:
                return _NOT_GIVEN
            if (
                isinstance(given, ast.Attribute)
                and getattr(reader.resolve(given.value), "fullname", None) == "http.HTTPStatus"
                and given.attr in HTTPStatus.__members__
            ):
                return HTTPStatus[given.attr].value
            literal = given.value if isinstance(given, ast.Constant) else None
            return literal if isinstance(literal, int) and not isinstance(literal, bool) else None
    return _NOT_GIVEN


def _operation_side(report: _Reporter, info: TypeInfo, name: str) -> _Side:
    """The providers in ``dependencies=`` of a View method's ``@operation(...)``, read from
    the source for a class from mypy's cache (incomplete when it cannot be read)."""
    node = _defined(info, name, _VIEW)
    if not isinstance(node, Decorator):
        return _NO_SIDE
    if node.decorators:
        return _decorated_side(report, node.decorators)
    module = module_of(report.modules, node.func.fullname)
    written = None if module is None else function_written(module, node.func)
    if module is None or written is None:
        return _Side(complete=False)
    return _written_side(report, Metadata(module, report.modules), written.decorator_list)


def _written_side(report: _Reporter, reader: Metadata, decorators: Sequence[ast.expr]) -> _Side:
    """The providers in ``dependencies=`` of an ``@operation(...)`` among ``decorators`` as
    written in the source."""
    side = _NO_SIDE
    for decorator in decorators:
        if isinstance(decorator, ast.Call) and _is_written_operation(reader, decorator):
            side = side | _listed(report, reader, decorator, None)
    return side


def _decorated_side(report: _Reporter, decorators: Sequence[Expression]) -> _Side:
    """The providers in ``dependencies=`` of an ``@operation(...)`` among ``decorators``."""
    side = _NO_SIDE
    for decorator in decorators:
        if _is_operation(decorator):
            side = side | _given_side(report, _argument(decorator, "dependencies", None))
    return side


def _wrapper_above(decorators: Sequence[Expression], route: Expression) -> str | None:
    """The name of a decorator written above the route decorator ``route`` that wraps the
    function in another (typed to return a callable of its own, as a ``ParamSpec`` wrapper
    is, not the function it was given as a ``TypeVar`` says); None when there is none."""
    for decorator in decorators:
        if decorator is route:
            return None
        is_route = (
            isinstance(decorator, CallExpr)
            and isinstance(decorator.callee, MemberExpr)
            and decorator.callee.name in _ROUTE_METHODS
        )
        callee = decorator.callee if isinstance(decorator, CallExpr) else decorator
        if is_route or not isinstance(callee, RefExpr):
            continue
        node = callee.node
        typ = get_proper_type(
            node.var.type
            if isinstance(node, Decorator)
            else node.type
            if isinstance(node, (FuncDef, Var))
            else None
        )
        if isinstance(decorator, CallExpr):  # a factory: what it returns is the decorator
            typ = get_proper_type(typ.ret_type) if isinstance(typ, CallableType) else None
        if isinstance(typ, CallableType) and isinstance(
            get_proper_type(typ.ret_type), CallableType
        ):
            return callee.fullname.rpartition(".")[2]
    return None


def _operation_above(decorators: Sequence[Expression], route: Expression) -> bool:
    """Whether an ``@operation(...)`` is written above the route decorator ``route``: it
    runs after the route is registered (registration refuses it)."""
    for decorator in decorators:
        if decorator is route:
            return False
        if _is_operation(decorator):
            return True
    return False


def _decorated_status(decorators: Sequence[Expression]) -> object:
    """The literal ``status_code`` of an ``@operation(...)`` among ``decorators``; ``None``
    when it is not a literal (registration checks it); ``_NOT_GIVEN`` when none gives one."""
    for decorator in decorators:
        if _is_operation(decorator):
            given = _argument(decorator, "status_code", None)
            return _NOT_GIVEN if given is None else _literal_status(given)
    return _NOT_GIVEN


_OPERATION = frozenset(("aaf._operation.operation", "aaf.routing.operation"))


def _is_operation(decorator: Expression) -> TypeGuard[CallExpr]:
    """Whether ``decorator`` is an ``@operation(...)`` call, as mypy holds it."""
    return (
        isinstance(decorator, CallExpr)
        and isinstance(decorator.callee, RefExpr)
        and decorator.callee.fullname in _OPERATION
    )


def _is_written_operation(reader: Metadata, decorator: ast.Call) -> bool:
    """Whether ``decorator``, as written in the source, is an ``@operation(...)`` call."""
    return getattr(reader.resolve(decorator.func), "fullname", None) in _OPERATION


def _method(info: TypeInfo, name: str, base: str) -> CallableType | None:
    """A method defined by the class or a base below aaf's own, as mypy typed it."""
    node = _defined(info, name, base)
    if isinstance(node, Decorator):
        node = node.func
    typ = get_proper_type(node.type) if isinstance(node, (FuncDef, Var)) else None
    return typ if isinstance(typ, CallableType) else None


def _bound_kind(info: TypeInfo, name: str, base: str) -> str | None:
    """``"staticmethod"`` or ``"classmethod"`` when the class (or a base below ``base``)
    defines ``name`` as one, decorated or assigned (``get = staticmethod(f)``)."""
    node = _defined(info, name, base)
    function = node.func if isinstance(node, Decorator) else node
    if isinstance(function, FuncDef) and (function.is_static or function.is_class):
        return "staticmethod" if function.is_static else "classmethod"
    if isinstance(node, Var):
        typ = get_proper_type(node.type)
        if isinstance(typ, Instance) and typ.type.fullname in _BOUND:
            return typ.type.name
    return None


_BOUND = frozenset(("builtins.staticmethod", "builtins.classmethod"))


def _defined(info: TypeInfo, name: str, base: str) -> SymbolNode | None:
    """What the class, or a base below aaf's own class ``base``, defines as ``name``."""
    for klass in info.mro:
        if klass.fullname == base:
            return None
        symbol = klass.names.get(name)
        if symbol is not None:
            return symbol.node
    return None


def _class_dependencies(report: _Reporter, info: TypeInfo) -> _Side:
    """The providers of a View's (or WebSocketView's) ``db: Db = Depends(provider)``
    attributes and of its ``db: Annotated[Db, Depends(provider)]`` annotations given no
    value (incomplete when a class body was not there to read: a class read from mypy's
    cache has no statements).
    An annotation's provider whose result is not the attribute's type is reported here."""
    used: set[str] = set()
    providers: list[Expression] = []
    complete = True
    for klass in info.mro:
        if klass.fullname in (_VIEW, _WS_VIEW, "builtins.object"):
            continue
        body = klass.defn.defs.body
        if not body and any(isinstance(s.node, Var) for s in klass.names.values()):
            # Read from mypy's cache, or a module mypy checked before, which keeps no class
            # bodies once checked: the attributes' providers are read from the source.
            attributes = _written_attributes(report, klass)
            if attributes is None:
                complete = False
                continue
            for name, call, typ in attributes:
                problem = _provided_problem(report, klass.name, name, typ, call, "attribute")
                if problem is not None:
                    report.fail(problem)
                names = _dependency_names(report, call, ())  # None from mypy's cache
                complete = complete and names is not None
                used |= names or set()
                providers.append(call)
            continue
        for statement in body:
            if not isinstance(statement, AssignmentStmt):
                continue
            rvalue = statement.rvalue
            target = statement.lvalues[0] if len(statement.lvalues) == 1 else None
            if (
                isinstance(rvalue, TempNode)
                and rvalue.no_rhs
                and isinstance(target, NameExpr)
                and statement.type is not None
            ):
                # `db: Annotated[Db, Depends(provider)]`, its metadata read from the source.
                metadata = Metadata.of_attribute(report, klass, target.name, statement.line)
                _check_calls(report, metadata)
                depends = metadata.depends(target.name, statement.type)
                if depends is None:
                    written = statement.unanalyzed_type
                    if isinstance(written, UnboundType) and written.name.endswith("Annotated"):
                        complete = complete and metadata is not NO_METADATA
                    continue
                problem = _provided_problem(
                    report, klass.name, target.name, statement.type, depends, "attribute"
                )
                if problem is not None:
                    report.fail(problem)
                rvalue = depends
            names = _dependency_names(report, rvalue, ())
            if names is None:
                complete = complete and not _is_depends(rvalue)
            else:
                used |= names
                providers.append(rvalue)
    return _Side(frozenset(used), complete, tuple(providers))


def _written_attributes(
    report: _Reporter, klass: TypeInfo
) -> list[tuple[str, CallExpr, Type]] | None:
    """A top-level class's ``db: Db = Depends(p)`` and ``db: Annotated[Db, Depends(p)]``
    attributes as its source writes them, each with its provider's call and its type; None
    when the source cannot be read (not a module's top-level class, or defined twice)."""
    module = module_of(report.modules, klass.fullname)
    if module is None or klass.fullname != f"{module.fullname}.{klass.name}":
        return None
    classes = read_source(module.path).classes.get(klass.name, [])
    if len(classes) != 1:
        return None
    reader = Metadata(module, report.modules)
    found: list[tuple[str, CallExpr, Type]] = []
    for statement in classes[0].body:
        target: ast.expr
        if isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value  # `db = Depends(get_db)`
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        name = target.id
        symbol = klass.names.get(name)
        typ = symbol.node.type if symbol is not None and isinstance(symbol.node, Var) else None
        if typ is None:
            continue
        proper = get_proper_type(typ)
        depends: CallExpr | None
        if value is not None:
            depends = reader.depends_call(value, proper)
        elif isinstance(statement, ast.AnnAssign):
            metadata = reader.metadata_of(statement.annotation) or []
            depends = next(
                (
                    call
                    for item, written in metadata
                    if (call := written.depends_call(item, proper))
                ),
                None,
            )
        else:
            continue
        if depends is not None:
            found.append((name, depends, typ))
    return found


def _handler_problem(
    report: _Reporter,
    qualname: str,
    sig: CallableType,
    produced: Mapping[str, type],
    *,
    is_method: bool,
    websocket: bool,
    side: _Side = _NO_SIDE,
    definition: FuncDef | None = None,
    choices: Mapping[str, tuple[str, ...]] = _NO_CHOICES,
    route: _RouteReads | None = None,
) -> str | None:
    """The first rule the handler breaks, in the order registration checks them
    (``definition``: the function as written, when ``sig`` does not carry it; ``choices``:
    the values of the rule's ``any(...)`` variables; ``route``: what is read of the route
    so far, a View's methods before this one's)."""
    if sig.is_ellipsis_args:
        return None  # Callable[..., T] says nothing of the parameters: registration will see
    if websocket and not _is_async(sig):
        return _rules.not_async_problem(qualname)
    function = _written(sig) or definition
    if function is None and None in sig.arg_names:
        return None  # a Callable type's anonymous parameters say nothing: registration will see
    if function is not None and function.is_generator:  # `yield` in a handler
        return (_rules.not_async_problem if websocket else _rules.generator_problem)(qualname)
    params = list(_params(report, sig, definition))[1 if is_method else 0 :]
    first = params[0][0] if params else None
    problem = _rules.first_param_problem(qualname, first, produced)
    if problem is not None:
        return problem
    used = set(side.names)
    provided: set[str] = set()  # parameters a provider gives: not path values, by any name
    complete = side.complete
    rest: _Written | None = None  # `**rest`, given the rule variables no parameter names
    reads = _Reads(qualname, websocket)
    route = _RouteReads(websocket) if route is None else route
    # The route's, its router's and an @operation's dependencies=, then a View's attributes:
    # built before the handler's parameters, as registration builds them.
    for provider in side.providers:
        if _no_provider(provider):
            return _rules.no_provider_problem(qualname)
        problem = _provider_problem(report, provider, produced, (), route)
        if problem is not None:
            return problem
    for written in params[1:]:
        param, typ, default, opaque, marked, marker, *_ = written
        problem = _written_problem(qualname, written)
        if problem is not None:
            return problem
        if param.kind == "var_keyword":
            rest = written
            continue
        if default is not None and _is_depends(default):
            problem = _provider_problem(report, default, produced, (), route)
            if problem is None and marked:
                problem = _provided_problem(report, qualname, param.name, typ, default)
            if problem is not None:
                return problem
            names = _dependency_names(report, default, ())
            complete = complete and names is not None
            used |= names or set()
            provided.add(param.name)
            continue
        if _is_scopes(typ):
            return _rules.scopes_problem(qualname, param.name)
        if marker is not None and _in_unread_prefix(produced, param.name, marker.is_path):
            used.add(param.name)
            continue
        if marker is not None:
            problem = _rules.marker_problem(
                qualname, param.name, marker.name, marker.is_path, param.name in produced
            )
            if problem is not None:
                return problem
        # Metadata the plugin could not read may hold a provider reading a rule variable.
        complete = complete and not opaque
        if param.name in produced and route.unseen:
            problem = None  # registration may refuse an earlier one, of the prefix, first
        elif param.name in produced:
            problem = _path_value_problem(
                qualname, param.name, report.show(typ), typ, produced[param.name], opaque
            )
            if problem is None:  # Path(ge=1): after the converter
                problem = _constraint_value_problem(report, qualname, written, produced[param.name])
            if problem is None and param.name in choices and not opaque:
                problem = _choice_problem(
                    qualname, param.name, report.show(typ), typ, choices[param.name]
                )
        elif param.connection:
            problem = reads.add(param.name, None)  # not read as registration reads others
        else:
            problem = _unseen_read_problem(report, qualname, written, reads, produced, route)
        if problem is not None:
            return problem
        used.add(param.name)
    if rest is not None and (problem := _caught_problem(report, qualname, rest, params, produced)):
        return problem
    if rest is None:
        problem = _rules.unused_variable_problem(qualname, produced, used, provided)
        if problem is not None:
            # Unless a rule variable is read where the plugin cannot see.
            return problem if complete else None
    return reads.mixed() or route.mixed(qualname, reads)


class _Written(NamedTuple):
    """A parameter as the checks read it."""

    param: _rules.Param  # in the rules' terms
    typ: Type  # as mypy typed it (``T`` of ``Annotated[T, ...]``)
    default: Expression | None  # as written (when mypy has the body), or its Annotated Depends
    opaque: bool  # its annotation hides metadata the plugin could not read
    marked: bool  # ``default`` is the ``Depends(...)`` of ``Annotated[T, Depends(...)]``
    marker: Marker | None = None  # a ``Path()``, ``Query()``, ... in its ``Annotated``
    # Where registration reads it from, when that is certain: "body", "form", "query", ...
    source: str | None = None
    required: bool = False  # written without a default
    exact: bool = False  # its type, as mypy gives it, is all registration reads of it
    marks: tuple[str, ...] = ()  # its markers and Depends, in the annotation and the default
    # The keywords of each pydantic Field(...) in its Annotated metadata (None: not literal).
    fields: tuple[tuple[str, ...] | None, ...] = ()


def _params(
    report: _Reporter, sig: CallableType, function: FuncDef | None = None
) -> Iterator[_Written]:
    """Each parameter in the rules' terms, with its type, its default expression (when mypy
    has the function's body), whether its annotation hides metadata mypy drops, and whether
    that default is a ``Depends(...)`` read from ``Annotated`` metadata instead."""
    definition = _written(sig) or function
    metadata = Metadata.of(report, definition) if isinstance(definition, FuncDef) else NO_METADATA
    _check_calls(report, metadata)
    bound = _bound_self(sig, definition)  # `self` (or `cls`), written but not in `sig`
    arguments = (
        written_arguments[bound:]
        if isinstance(definition, FuncDef)
        and (written_arguments := _arguments(definition)) is not None
        and len(written_arguments) == len(sig.arg_types) + bound
        else None
    )
    unanalyzed = definition.unanalyzed_type if isinstance(definition, FuncDef) else None
    written = (
        unanalyzed.arg_types[bound:]
        if isinstance(unanalyzed, CallableType)
        and len(unanalyzed.arg_types) == len(sig.arg_types) + bound
        else None
    )
    # A function from mypy's cache keeps neither its arguments nor its annotations as written:
    # its source says them (its defaults, which parameters are Annotated).
    cached = metadata.written_defaults(sig.arg_types, bound) if arguments is None else None
    for index, (name, kind, typ) in enumerate(
        zip(sig.arg_names, sig.arg_kinds, sig.arg_types, strict=True)
    ):
        argument = arguments[index] if arguments is not None else None
        rule_kind: _rules.ParamKind
        if kind == ARG_STAR:
            rule_kind = "var_positional"
        elif kind == ARG_STAR2:
            rule_kind = "var_keyword"
        elif kind in (ARG_NAMED, ARG_NAMED_OPT):
            rule_kind = "keyword"
        elif name is None or (argument is not None and argument.pos_only):
            rule_kind = "positional_only"
        else:
            rule_kind = "positional"
        proper = get_proper_type(typ)
        annotated = not (
            isinstance(proper, AnyType) and proper.type_of_any == TypeOfAny.unannotated
        )
        if name is None and argument is not None:
            name = argument.variable.name  # positional-only: mypy's type drops the name
        if isinstance(typ, TypeAliasType) and name in metadata.plain_types:
            typ = proper  # an alias read from its source, which hides no metadata below it
        param = _rules.Param(
            name or f"#{index}",
            rule_kind,
            report.show(typ) if annotated else None,
            _is_connection(typ),
        )
        # `Annotated[T, Depends(p)]`: mypy keeps T and drops the metadata, so what fills the
        # parameter (and which rule variables its provider reads) is read from the source.
        read = written is not None or cached is not None  # which annotations are Annotated
        if cached is not None:
            opaque = cached[index][1]
        elif written is not None:
            # Annotated written out, or through an alias whose source holds it.
            opaque = (
                isinstance(written[index], UnboundType)
                and str(getattr(written[index], "name", "")).endswith("Annotated")
            ) or param.name in metadata.annotations
        else:
            opaque = True
        initializer = (
            argument.initializer
            if argument is not None
            else cached[index][0]
            if cached is not None
            else None
        )
        default = initializer
        marked = False
        if opaque and read and (default is None or not _is_depends(default)):
            depends = metadata.depends(param.name, typ)
            if depends is not None:
                default, marked = depends, True
        marker = metadata.marker(param.name) if opaque and read else None
        marks = metadata.marks(param.name) if opaque and read else []
        fields = metadata.fields(param.name) if opaque and read else ()
        if isinstance(initializer, CallExpr) and _is_depends(initializer):
            given = _argument(initializer, "provider", 0)
            callee = cast(RefExpr, initializer.callee)  # a Depends or Security (_is_depends)
            mark = (
                depends_name(callee.fullname, initializer.arg_names),
                given.fullname if isinstance(given, RefExpr) else None,
            )
            if mark not in marks:  # (the same Depends in both places says it once)
                marks.append(mark)
        opaque = opaque or (arguments is None and cached is None)
        source: str | None = None
        if marker is not None:
            source = marker.source
        elif (
            param.name in metadata.plain_types
            and (not opaque or metadata.unmarked(param.name))
            and (default is None or not _is_depends(default))
        ):
            source = _unmarked_source(typ)
        # Markers and Field(...) alone hide nothing: what they hold was read.
        opaque = opaque and not (
            read and param.name in metadata.annotations and metadata.plain(param.name)
        )
        required = kind in (ARG_POS, ARG_NAMED)
        exact = not opaque and param.name in metadata.plain_types
        yield _Written(
            param,
            typ,
            default,
            opaque,
            marked,
            marker,
            source,
            required,
            exact,
            tuple(name for name, _ in marks),
            fields,
        )


def _check_calls(report: _Reporter, metadata: Metadata) -> None:
    """Type-check the calls in ``Annotated`` metadata as mypy checks any call: it drops the
    metadata unread, so ``Annotated[int, Query(gte=1)]`` (a misspelt ``ge``, which pyright
    reports and which fails at import) passed. Reported with mypy's own codes (``call-arg``,
    ``arg-type``) at the call, in the module being checked only (a handler or provider of
    another module is checked with it, an alias's metadata where it is written)."""
    checker = report.ctx.api
    expressions: object = getattr(checker, "expr_checker", None)
    module = metadata.module
    if (
        type(report) is not _Reporter  # _Silent: read again where it has reported
        or not isinstance(expressions, ExpressionChecker)
        or module is None
        or module.path != getattr(checker, "path", None)
    ):
        return
    for call in metadata.checked_calls(lambda name: checker.named_generic_type(name, [])):
        expressions.accept(call)


def _written(sig: CallableType) -> FuncDef | None:
    """The function ``sig`` was made from, when mypy knows it. A decorated function passed by
    name (``add_route(rule, get_item)`` under another route's decorator) points at the
    decorator, which holds the function."""
    definition = sig.definition
    if isinstance(definition, Decorator):
        return definition.func
    return definition if isinstance(definition, FuncDef) else None


def _bound_self(sig: CallableType, definition: FuncDef | None) -> int:
    """1 when ``sig`` is a method of ``definition``'s bound to its object or class (a handler
    passed as ``handlers.get_item``): its first parameter as written is not called for;
    else 0."""
    if (
        definition is None
        or definition.is_static
        or definition.info is FUNC_NO_INFO
        or len(definition.arg_names) != len(sig.arg_names) + 1
    ):
        return 0
    return 1 if definition.arg_names[1:] == sig.arg_names else 0


def _no_provider(depends: Expression) -> bool:
    """``Depends()`` or ``Depends(use_cache=False)``: no provider, by position or name."""
    return isinstance(depends, CallExpr) and all(
        name not in (None, "provider") for name in depends.arg_names
    )


def _written_problem(qualname: str, written: _Written) -> str | None:
    """What registration refuses in a handler's or provider's parameter as written, in its
    order: ``*args`` or a parameter before ``/``, a marker written as the default (``q: str =
    Query()``), two markers (``Annotated[int, Query(), Header()]``)."""
    nameable = _rules.nameable_problem(qualname, written.param)
    if nameable is not None:
        return nameable
    default = written.default
    marker = None
    if not written.marked and isinstance(default, CallExpr):
        callee = default.callee
        node = callee.node if isinstance(callee, RefExpr) else None
        if isinstance(callee, RefExpr) and callee.fullname == FIELD:
            marker = "Field"  # pydantic's, typed as returning Any: mypy takes it as any default
        elif isinstance(node, TypeInfo) and node.has_base(MARKER):
            marker = node.name
    if marker is not None:
        shown = written.param.shown or "str"
        return _rules.marker_default_problem(qualname, written.param.name, marker, shown)
    typ = get_proper_type(written.typ)
    if isinstance(typ, Instance) and (
        problem := _rules.ported_type_problem(
            qualname, written.param.name, typ.type.module_name, typ.type.name
        )
    ):
        return problem
    if len(written.marks) > 1:
        return _rules.two_markers_problem(qualname, written.param.name, written.marks)
    return None


def _is_depends(expression: Expression) -> bool:
    return (
        isinstance(expression, CallExpr)
        and isinstance(expression.callee, RefExpr)
        and expression.callee.fullname in DEPENDS
    )


def _dependency_names(
    report: _Reporter, expression: Expression, chain: Sequence[str]
) -> set[str] | None:
    """The request names a ``Depends(provider)`` reads, its sub-dependencies' included: a
    function's parameters, a class's ``__init__``'s, an object's ``__call__``'s (the security
    schemes are such objects). None when the provider cannot be read (a function from mypy's
    cache, ``*args``, a pydantic model, an overloaded method)."""
    found = _provider_of(expression, chain)
    if found is None:
        return None
    node, _, skip = found
    sig = get_proper_type(node.type)
    if not isinstance(sig, CallableType):
        return None
    if _arguments(node) is None and Metadata.of(report, node).function is None:
        return None  # from mypy's cache, and no source to read it from
    names: set[str] = set()
    for parameter in list(_params(report, sig, node))[skip:]:
        if parameter.param.kind == "var_positional":
            return None  # what reaches *args cannot be seen
        if parameter.param.kind == "var_keyword":
            continue
        if parameter.default is not None and _is_depends(parameter.default):
            inner = _dependency_names(report, parameter.default, (*chain, node.fullname))
            if inner is None:
                return None
            names |= inner
        elif not parameter.param.connection and not _is_scopes(parameter.typ):
            names.add(parameter.param.name)
    return names


def _provider_of(
    expression: Expression, chain: Sequence[str]
) -> tuple[FuncDef, str | None, int] | None:
    """What ``Depends(provider)`` calls: the function, the name registration gives the
    provider in a message (``None`` for an object, called through its class's ``__call__``),
    and how many leading parameters are not the provider's (``self``). ``None`` when it is
    not a ``Depends(...)`` of a provider that can be read (a pydantic model, a lambda, one
    already in ``chain``, the providers around it)."""
    if not _is_depends(expression):
        return None
    assert isinstance(expression, CallExpr)
    if not expression.args or not isinstance(expression.args[0], (NameExpr, MemberExpr)):
        return None
    given = expression.args[0]
    node: SymbolNode | None = given.node
    qualname = node.name if isinstance(node, (TypeInfo, Decorator, FuncDef)) else None
    skip = 0  # `self`, for a method
    if isinstance(node, TypeInfo):  # a class: built from what its __init__ takes
        node = None if node.has_base(_BASE_MODEL) else _method_def(node, "__init__")
        skip = 1
    elif isinstance(node, Var):  # an object: called through its class's __call__
        instance = get_proper_type(node.type)
        node = _method_def(instance.type, "__call__") if isinstance(instance, Instance) else None
        skip = 1
    elif isinstance(node, Decorator):
        node = node.func
        skip = 1 if node.is_class else 0  # a classmethod, bound to its class
    elif node is None and isinstance(given, MemberExpr):  # `pager.page_of`, `Pager.of`
        owner = given.expr.node if isinstance(given.expr, RefExpr) else None
        if isinstance(owner, TypeInfo):  # through the class: only a classmethod is bound
            node = _method_def(owner, given.name)
            skip = 1 if node is not None and node.is_class else 0
        else:  # through an object: any method but a staticmethod
            instance = get_proper_type(owner.type) if isinstance(owner, Var) else None
            info = instance.type if isinstance(instance, Instance) else None
            node = _method_def(info, given.name) if info is not None else None
            skip = 0 if node is None or node.is_static else 1
        qualname = given.name
    if not isinstance(node, FuncDef) or node.fullname in chain or len(chain) > 20:
        return None
    if qualname == node.name and node.info is not FUNC_NO_INFO:
        qualname = f"{node.info.name}.{node.name}"  # a method, as its __qualname__ says
    return node, qualname, skip


def _cycle_problem(expression: Expression, chain: Sequence[str]) -> str | None:
    """``Depends(provider)`` under ``chain``, the providers above it, when it is one of them:
    the cycle as registration names it (a function by its name, a class by its own)."""
    found = _provider_of(expression, ())
    if found is None or found[0].fullname not in chain:
        return None
    cycle = [*chain[chain.index(found[0].fullname) :], found[0].fullname]
    names: list[str] = []
    for fullname in cycle:
        owner, _, name = fullname.rpartition(".")
        if name == "__call__":
            return None  # an object: registration names it by its repr
        names.append(owner.rpartition(".")[2] if name == "__init__" else name)
    return _rules.cycle_problem(names)


def _provider_problem(
    report: _Reporter,
    expression: Expression,
    produced: Mapping[str, type],
    chain: Sequence[str],
    route: _RouteReads,
) -> str | None:
    """The first rule a ``Depends(provider)`` breaks, its own providers' included, in the order
    registration checks them: a rule variable it takes whose converter cannot produce its
    annotation, or that no path text can fill. Silent about a provider it cannot read in full
    (an object's ``__call__``, a model, a function from mypy's cache whose source is gone)."""
    found = _provider_of(expression, chain)
    if found is None:
        route.certain = False
        return _cycle_problem(expression, chain)
    node, qualname, skip = found
    sig = get_proper_type(node.type)
    if (
        qualname is None
        or not isinstance(sig, CallableType)
        or (_arguments(node) is None and Metadata.of(report, node).function is None)
    ):
        # An object's __call__ (registration names it otherwise), or a function from mypy's
        # cache whose source cannot be read (which parameters are Depends cannot be seen).
        route.certain = False
        return None
    reads = _Reads(qualname, websocket=False)
    for written in list(_params(report, sig, node))[skip:]:
        param, typ, default, opaque, marked, marker, *_ = written
        problem = _written_problem(qualname, written)
        if problem is not None:
            return problem
        if default is not None and _is_depends(default):
            problem = _provider_problem(report, default, produced, (*chain, node.fullname), route)
            if problem is None and marked:
                problem = _provided_problem(report, qualname, param.name, typ, default)
            if problem is not None:
                return problem
            continue
        if param.connection or _is_scopes(typ) or param.kind == "var_keyword":
            continue  # given by aaf, or not read at all
        if marker is not None and _in_unread_prefix(produced, param.name, marker.is_path):
            continue
        if marker is not None:
            problem = _rules.marker_problem(
                qualname, param.name, marker.name, marker.is_path, param.name in produced
            )
            if problem is not None:
                return problem
        if param.name not in produced:
            problem = _unseen_read_problem(report, qualname, written, reads, produced, route)
        elif param.shown is None or route.unseen:
            continue
        else:
            problem = _path_value_problem(
                qualname, param.name, param.shown, typ, produced[param.name], opaque
            )
            if problem is None:  # Path(ge=1): after the converter
                problem = _constraint_value_problem(report, qualname, written, produced[param.name])
        if problem is not None:
            return problem
    route.add(reads)
    return reads.mixed()


def _unseen_read_problem(
    report: _Reporter,
    qualname: str,
    written: _Written,
    reads: _Reads,
    produced: Mapping[str, type],
    route: _RouteReads,
) -> str | None:
    """``_read_problem`` for a parameter no rule variable the plugin sees names. Under a
    prefix it could not read (a router a factory made), an unmarked one may be a variable of
    that prefix, which registration checks as a path value, in its words, before any later
    one: its own problem and theirs are left to registration. (One marked ``Path()`` is
    taken to be one, of the type its converter gives, as the marker says.)
    """
    problem = _read_problem(report, qualname, written, reads)
    if isinstance(produced, _UnreadPrefix) and written.marker is None:
        route.unseen = True
        if problem is not None:
            route.certain = False
            return None
    return problem


def _caught_problem(
    report: _Reporter,
    qualname: str,
    rest: _Written,
    params: Sequence[_Written],
    produced: Mapping[str, type],
) -> str | None:
    """Each rule variable no parameter names is given to ``**rest``, as registration gives
    it (Flask's way): a path value its annotation must take, as a named parameter's."""
    if rest.param.shown is None:
        return None  # unannotated: each keeps what its converter gives
    if isinstance(produced, _UnreadPrefix):
        # The prefix's variables, which the plugin cannot see, come first: registration
        # may refuse one of them before any of these.
        return None
    named = {written.param.name for written in params}
    for variable, made in produced.items():
        if variable in named:
            continue
        problem = _path_value_problem(
            qualname, variable, rest.param.shown, rest.typ, made, rest.opaque
        )
        if problem is not None:
            return problem
    return None


def _path_value_problem(
    qualname: str, name: str, shown: str, typ: Type, produced: type, opaque: bool
) -> str | None:
    """A rule variable's parameter against its converter, as registration checks it: the
    converter must produce the annotation, and some text must fill it (unless ``opaque``:
    metadata mypy drops may read text its own way)."""
    problem = _rules.path_problem(qualname, name, shown, _members(typ), produced)
    if problem is None and produced is str and not opaque and _takes_no_text(typ):
        problem = (
            _rules.upload_problem(qualname, name, shown, "path")
            if _holds_upload(typ)
            else _rules.text_problem(qualname, name, shown, "path")
        )
    return problem


def _choice_problem(
    qualname: str, name: str, shown: str, typ: Type, items: tuple[str, ...]
) -> str | None:
    """An ``any(...)`` variable's parameter must take one of the values it matches, as
    registration checks it; an enum's ``Literal`` (mypy keeps its member's name, not its
    value) is left to registration."""
    proper = get_proper_type(typ)
    members = proper.items if isinstance(proper, UnionType) else [proper]
    if any(
        isinstance(literal := get_proper_type(member), LiteralType) and literal.is_enum_literal()
        for member in members
    ):
        return None
    return _rules.unchosen_problem(qualname, name, shown, _members(typ), items)


def _read_problem(report: _Reporter, qualname: str, written: _Written, reads: _Reads) -> str | None:
    """A parameter read from the request (not a rule variable, not a provider's), as
    registration checks it, in its order: a marker's constraints must suit the type
    (``Query(ge=1)`` cannot constrain a ``str``); the body is read once, and not beside a
    form (``_Reads``); a model marked ``Query()``, ``Header()``, ``Cookie()`` or ``Form()`` is
    read field by field, so the marker may give it nothing else; any other such value is
    text, so some text (a list of texts, for a collection) must fill it."""
    name, typ, marker = written.param.name, written.typ, written.marker
    problem = _constraint_value_problem(report, qualname, written)
    if problem is None and marker is not None and marker.source == "body" and not reads.websocket:
        # Before the body is counted, as registration does: no second body is read.
        members = [m for m in _choices(typ) or () if not isinstance(m, NoneType)]
        if members and all(_holds_upload(member) for member in members):  # JSON has no file
            return _rules.upload_problem(qualname, name, report.show(typ), "body")
    if problem is None:
        reading = None
        kinds = _body_kinds(report, typ) if written.source == "body" and written.exact else None
        if kinds is not None:
            reading = _rules.BodyReading(qualname, report.show(typ), kinds, written.required)
        problem = reads.add(name, written.source, reading)
    if problem is not None or marker is None or marker.source not in _TEXT_SOURCES:
        return problem
    choices = _choices(typ)
    if choices is None:
        return None
    model = choices[0] if len(choices) == 1 else None
    if isinstance(model, Instance) and model.type.has_base(_BASE_MODEL):
        if marker.keywords is None:
            return None
        problem = _rules.whole_model_marker_problem(
            qualname, name, marker.name, marker.keywords, model.type.name
        )
        if problem is None and marker.plain and marker.source == "header":
            forbids = _forbids_extra(report, model.type)
            if forbids is None:
                return None  # its config is not known here: registration checks it
            reads_host = _reads_host(report, model.type) if forbids else True
            if reads_host is None:
                return None  # which it reads is not known here: registration checks it
            if not reads_host:
                return _rules.forbidding_headers_problem(qualname, name, model.type.name)
        if problem is None and marker.plain:
            problem = _textless_field_problem(report, qualname, name, model.type, marker.source)
        return problem
    if not marker.plain:
        return None  # a validator in the metadata may read text its own way
    members = [member for member in choices if not isinstance(member, NoneType)]
    # A cookie is one text (a repeated one gives its first): a list of them is none.
    many = marker.source != "cookie" and any(_held(member) is not None for member in members)
    files = marker.source == "form"
    if not members or any(_from_text(member, many, files) for member in members):
        return None  # (None alone is no value at all: registration says so otherwise)
    if _holds_upload(typ):
        return _rules.upload_problem(qualname, name, report.show(typ), marker.source)
    return _rules.text_problem(qualname, name, report.show(typ), marker.source)


def _textless_field_problem(
    report: _Reporter, qualname: str, name: str, model: TypeInfo, source: str
) -> str | None:
    """A model marked ``Query()`` (``Header()``, ``Cookie()``, ``Form()``) is filled field by
    field from text, so each field must be one text can fill, as registration checks it.
    Silent from a field with ``Annotated`` metadata or an alias (``Json[...]``) on, which may
    read text its own way, and for a model with a validator, or whose source is not read."""
    views = _model_views(report, model)
    if views is None or any(view.validated for view in views):
        return None
    fields: dict[str, Type | None] = {}  # None: a field's own reading, not known here
    for klass, view in reversed(list(zip(_model_classes(model), views, strict=True))):
        for field in view.fields:
            symbol = klass.names.get(field.name)
            node = symbol.node if symbol is not None else None
            if not isinstance(node, Var) or node.is_classvar or node.type is None:
                continue
            fields[field.name] = None if field.annotated else node.type
    many = source != "cookie"  # a cookie is one text: a list of them is none
    files = source == "form"
    for field_name, typ in fields.items():
        choices = None if typ is None else _choices(typ)
        if typ is None or choices is None:
            # An alias (Json[...]) or metadata may read text its own way, or not: which
            # field registration names first is not known here.
            return None
        members = [member for member in choices if not isinstance(member, NoneType)]
        if members and not any(_from_text(member, many, files) for member in members):
            return _rules.field_text_problem(
                qualname, name, model.name, field_name, report.show(typ), source
            )
    return None


class _Field(NamedTuple):
    """A field of a model's class body, as written."""

    name: str
    annotated: bool  # Annotated[...]: metadata that may read or rename it
    called: bool  # given a call (Field(alias=...), say)


class _ClassView(NamedTuple):
    """What a model's class body says, read from its source: mypy keeps no body of a class
    in another module than the one it checks (nor of one read from its cache)."""

    fields: tuple[_Field, ...]
    validated: bool  # a decorated method (a validator) or __get_pydantic_core_schema__
    extra: str | None  # its config's `extra=`, as given (None: not said)
    known: bool  # its config is literal, in ConfigDict(...), dict(...) or class keywords
    # A method that may change what input the model as a whole takes: decorated otherwise
    # than as a field's validator or serializer, or __get_pydantic_core_schema__.
    reshaped: bool


def _model_classes(model: TypeInfo) -> list[TypeInfo]:
    """``model`` and its bases below pydantic's, the most derived first."""
    return [
        klass
        for klass in model.mro
        if not klass.fullname.startswith("pydantic.") and klass.fullname != "builtins.object"
    ]


def _model_views(report: _Reporter, model: TypeInfo) -> list[_ClassView] | None:
    """The class bodies of ``model`` and its bases (``_model_classes``), read from their
    source; None where one is not found (a class in a function, a module not read)."""
    views: list[_ClassView] = []
    for klass in _model_classes(model):
        module = module_of(report.modules, klass.fullname)
        if module is None or klass.fullname != f"{module.fullname}.{klass.name}":
            return None  # not a module's top-level class
        written = read_source(module.path).classes.get(klass.name, [])
        if len(written) != 1:
            return None  # none, or defined twice: which one mypy took is not known here
        views.append(_class_view(written[0]))
    return views


def _class_view(defn: ast.ClassDef) -> _ClassView:
    fields: list[_Field] = []
    validated = reshaped = False
    extra: str | None = None
    known = True
    keyword_extra = False  # `class M(BaseModel, extra="forbid")`: wins over model_config
    for keyword in defn.keywords:
        if keyword.arg == "extra":
            keyword_extra = True
            given = keyword.value
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                extra = given.value
            else:
                known = False
    for statement in defn.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            validated = (
                validated or bool(statement.decorator_list) or statement.name == _CORE_SCHEMA
            )
            reshaped = reshaped or statement.name == _CORE_SCHEMA
            for decorator in statement.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                named = called.attr if isinstance(called, ast.Attribute) else called
                if getattr(named, "id", named) not in _FIELD_DECORATORS:
                    reshaped = True
        target = (
            statement.target
            if isinstance(statement, ast.AnnAssign)
            else statement.targets[0]
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1
            else None
        )
        if not isinstance(target, ast.Name):
            continue
        value = statement.value if isinstance(statement, ast.AnnAssign | ast.Assign) else None
        if target.id == "model_config":
            said, literal = _config_extra(value)
            known = known and literal
            # The class's keywords win over its model_config, as pydantic merges them.
            extra = extra if keyword_extra else said
        elif isinstance(statement, ast.AnnAssign) and not target.id.startswith("_"):
            annotation = statement.annotation
            head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
            named = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
            fields.append(_Field(target.id, named == "Annotated", isinstance(value, ast.Call)))
    return _ClassView(tuple(fields), validated, extra, known, reshaped)


# Decorators of a model's methods that leave what the model as a whole takes as it is.
_FIELD_DECORATORS = frozenset(
    ("field_validator", "field_serializer", "model_serializer", "classmethod", "staticmethod")
)


def _config_extra(config: ast.expr | None) -> tuple[str | None, bool]:
    """A ``model_config`` value's ``extra=`` (None when it says none), and whether it could
    be read: ``ConfigDict(...)`` or ``dict(...)`` of literal keywords."""
    if not isinstance(config, ast.Call) or config.args:
        return None, False
    callee = config.func
    named = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
    if named not in ("ConfigDict", "dict"):
        return None, False
    for keyword in config.keywords:
        if keyword.arg is None:
            return None, False  # **options
        if keyword.arg == "extra":
            given = keyword.value
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                return given.value, True
            return None, False
    return None, True


def _forbids_extra(report: _Reporter, model: TypeInfo) -> bool | None:
    """Whether ``model`` refuses keys it does not read (``extra="forbid"``, as registration's
    ``_forbids``: the most derived class's config that says, with no model validator);
    None where that is not known here (a config that is no literal, a decorator, a source
    not read)."""
    views = _model_views(report, model)
    if views is None or any(view.validated or not view.known for view in views):
        return None
    for view in views:
        if view.extra is not None:
            return view.extra == "forbid"
    return False


def _reads_host(report: _Reporter, model: TypeInfo) -> bool | None:
    """Whether a header model reads ``Host``: a field of that name, as it is; None where a
    field's key is not known here (an alias in ``Field(...)`` or ``Annotated`` metadata)."""
    known = True
    for view in _model_views(report, model) or ():
        for field in view.fields:
            if field.annotated or field.called:
                known = False  # Field(alias=...), say
            elif field.name.lower() == "host":
                return True
    return False if known else None


def _holds_upload(typ: Type) -> bool:
    """Whether a union member of ``typ`` is an uploaded file or a list of them, as
    registration's ``_is_upload`` looks."""
    for member in _choices(typ) or ():
        if _is_upload(member):
            return True
        if isinstance(member, Instance) and member.type.fullname == "builtins.list":
            if member.args and _is_upload(get_proper_type(member.args[0])):
                return True
    return False


def _from_text(member: ProperType, many: bool, files: bool = False) -> bool:
    """Whether text can fill one union member of a parameter's type: with ``many``, a
    collection's items are each one text."""
    held = _held(member)
    if held is None:
        return not _textless(member, files)
    return many and all(
        not _textless(item, files) and _held(get_proper_type(item)) is None for item in held
    )


def _constraint_value_problem(
    report: _Reporter, qualname: str, written: _Written, produced: type | None = None
) -> str | None:
    """The constraints of a marker (``Query(ge=1)``) and of pydantic ``Field(...)`` calls in
    the parameter's metadata against each union member of its type, in the order
    registration checks them: a rule variable's (``produced``: its converter's type) the
    Field's first, another's its marker's first. Silent where an alias hides the type or a
    keyword's value is not a literal."""
    marker = written.marker
    choices = _choices(written.typ)
    if choices is None:
        return None
    # Where the value comes from, which says what Any (or object) is given, as registration
    # sees it: a converter's own value (not text) for a rule variable of a typed converter.
    path_source = "path" if produced is str else None
    source = marker.source if marker is not None else written.source
    # (shown as registration names it, keywords, source)
    marked: list[tuple[str, tuple[str, ...] | None, str | None]] = []
    if marker is not None:
        shown = "Path" if marker.is_path else marker.name
        marked.append((shown, marker.keywords, path_source if marker.is_path else source))
    if produced is not None:
        source = path_source
    fields = [("Field", keywords, source) for keywords in written.fields]
    given = [*fields, *marked] if produced is not None else [*marked, *fields]
    for shown, keywords, source in given:
        if keywords is None:
            return None  # a value not written here: registration checks it
        problem = _members_constraint_problem(
            report, qualname, written.param.name, choices, shown, keywords, source
        )
        if problem is not None:
            return problem
    return None


def _members_constraint_problem(
    report: _Reporter,
    qualname: str,
    name: str,
    choices: Sequence[ProperType],
    shown: str,
    keywords: tuple[str, ...],
    source: str | None,
) -> str | None:
    """``shown(**keywords)``'s constraints against each union member (``choices``), as
    registration checks them; ``source`` says what ``Any`` (or ``object``) is given."""
    if not _rules.CONSTRAINTS.intersection(keywords):
        return None
    for member in choices:
        written_any = isinstance(member, AnyType) and member.type_of_any == TypeOfAny.explicit
        anything = written_any or (
            isinstance(member, Instance) and member.type.fullname == "builtins.object"
        )
        kind = _rules.anything_kind(source) if anything else _value_kind(member)
        if kind is None:
            continue
        # A NewType by its name, as registration shows it (mypy's name has the module's).
        named = (
            member.type.name if isinstance(member, Instance) and member.type.is_newtype else None
        )
        problem = _rules.constraint_problem(
            qualname, name, shown, named or report.show(member), kind, keywords
        )
        if problem is not None:
            return problem
    return None


def _value_kind(member: ProperType) -> _rules.ValueKind | None:
    """What a marker's constraints would constrain in a union member of a parameter's type,
    as registration sees it (a NewType its base's, a Literal its values'); None for one left
    to pydantic."""
    if isinstance(member, TypedDictType):
        return "a model"
    if isinstance(member, TupleType):
        return "a collection"
    if isinstance(member, LiteralType):
        member = member.fallback
    while isinstance(member, Instance) and member.type.is_newtype and member.type.bases:
        member = member.type.bases[0]
    if not isinstance(member, Instance):
        return None
    info = member.type
    if info.has_base(_BASE_MODEL) or "dataclass" in info.metadata or info.typeddict_type:
        return "a model"
    if info.has_base("enum.Enum") and not any(info.has_base(base) for base in _ENUM_VALUES):
        return "an enum member"  # an IntEnum compares as a number, a StrEnum matches as text
    for base, kind in _rules.VALUE_KINDS:
        if info.has_base(base):
            return kind
    return None


def _unmarked_source(typ: Type) -> str | None:
    """Where registration reads a parameter with no marker from, as its type says: the JSON
    body for a model, a mapping, or a list of either; a form for an upload; else the query.
    None where an alias or a NewType hides what registration would see."""
    body = _is_body_type(typ)
    if body is None:
        return None
    if body:
        return "body"
    for member in _choices(typ) or ():  # (_is_body_type saw them)
        if _is_upload(member) or (
            isinstance(member, Instance)
            and member.type.fullname == "builtins.list"
            and member.args
            and _is_upload(get_proper_type(member.args[0]))
        ):
            return "form"
    return "query"


def _is_upload(typ: ProperType) -> bool:
    return isinstance(typ, Instance) and typ.type.has_base(_FILE_STORAGE)


def _is_body_type(typ: Type) -> bool | None:
    """Registration's ``is_body_type`` on mypy's type: whether a parameter with no marker is
    the JSON body (its first union member that decides: a model, a mapping, a TypedDict, a
    dataclass, or a collection of one); None where an alias or a NewType hides the type."""
    choices = _choices(typ)
    if choices is None:
        return None
    for member in choices:
        held = _held(member, _BODY_COLLECTIONS)
        if held is not None:
            return bool(held) and _is_body_type(held[0])
        if isinstance(member, TypedDictType):
            return True
        if not isinstance(member, Instance):
            continue  # None, Any, a Literal, a NamedTuple (a model of no kind registration reads)
        info = member.type
        if info.is_newtype:
            return None  # registration sees a NewType as no class at all
        if (
            info.has_base("typing.Mapping")
            or info.has_base(_BASE_MODEL)
            or "dataclass" in info.metadata
            or info.typeddict_type is not None
        ):
            return True
    return False


class _Reads:
    """What one function's parameters read of the request's body, as registration counts
    them: one JSON body parameter at most, never beside form fields, and neither in a
    WebSocket handler. Silent once a parameter's source is not certain."""

    def __init__(self, qualname: str, websocket: bool) -> None:
        self.qualname = qualname
        self.websocket = websocket
        self.body: str | None = None  # the JSON body parameter's name
        self.reading: _rules.BodyReading | None = None  # and what it reads the body as
        self.form = False
        self.certain = True

    def add(
        self, name: str, source: str | None, reading: _rules.BodyReading | None = None
    ) -> str | None:
        """Count a parameter read from ``source`` (None: not certain; ``reading``: what a
        JSON body parameter reads the body as, when the plugin can tell); the problem, if
        any."""
        if source is None:
            self.certain = False
            return None
        if self.websocket and source in ("body", "form"):
            return _rules.websocket_body_problem(self.qualname, name)
        if source == "body":
            if self.body is not None:
                if not self.certain:
                    return None  # a parameter before may be the first body: another pair
                return _rules.two_bodies_problem(self.qualname, self.body, name)
            self.body, self.reading = name, reading
        elif source == "form":
            self.form = True
        return None

    def mixed(self) -> str | None:
        """A JSON body parameter beside form fields, once every parameter is counted."""
        if self.certain and self.body is not None and self.form:
            return _rules.body_and_form_problem(self.qualname)
        return None


class _RouteReads:
    """What a route's providers (at any depth) read of the body, by name, as registration's
    route-wide check counts them (``_rules.route_body_problem``). Silent once a provider or
    a parameter is not certain: another might be the first reader by name."""

    def __init__(self, websocket: bool = False, unseen: bool = False) -> None:
        self.websocket = websocket
        self.json: set[str] = set()  # providers that read the body as JSON
        self.form: set[str] = set()  # those that read it as a form
        self.readings: list[_rules.BodyReading] = []  # what the JSON readers read it as
        self.certain = True
        self.kinds_known = True  # every JSON reader's reading is in readings
        # An unmarked parameter read so far may be a variable of a prefix the plugin could not
        # read: registration, which checks it as one, may refuse it before a later path value
        # (given: one read so in a View's method before this one's).
        self.unseen = unseen

    def add(self, reads: _Reads) -> None:
        self.certain = self.certain and reads.certain
        if reads.body is not None:
            self.json.add(reads.qualname)
            if reads.reading is None:
                self.kinds_known = False
            else:
                self.readings.append(reads.reading)
        if reads.form:
            self.form.add(reads.qualname)

    def mixed(self, qualname: str, handler: _Reads) -> str | None:
        """The problem of the handler's reads (``handler``) with its providers'."""
        self.add(handler)
        if not self.certain:
            return None
        problem = _rules.route_body_problem(qualname, self.json, self.form, self.websocket)
        if problem is not None or not self.kinds_known:
            return problem
        return _rules.body_kinds_problem(qualname, self.readings)


def _body_kinds(report: _Reporter, typ: Type) -> frozenset[bytes] | None:
    """Registration's kinds of JSON value (``_rules.OBJECT``, ``ARRAY``, ``SCALAR``) a body
    read as ``typ`` may take, for the types whose kinds mypy's type tells for certain; None
    for any other (a dataclass, a TypedDict, a NewType, a model with a validator or a schema
    of its own, a class of the app's), whose kinds registration finds in its schema."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        found: frozenset[bytes] = frozenset()
        for item in proper.items:
            kinds = _body_kinds(report, item)
            if kinds is None:
                return None
            found |= kinds
        return found
    if isinstance(proper, AnyType) and proper.type_of_any == TypeOfAny.explicit:
        return _rules.ANY_KIND
    if isinstance(proper, NoneType | LiteralType):
        return frozenset((_rules.SCALAR,))
    if isinstance(proper, TupleType):
        named = proper.partial_fallback.type.fullname != "builtins.tuple"  # a NamedTuple
        return None if named else frozenset((_rules.ARRAY,))
    if not isinstance(proper, Instance) or proper.type.is_newtype:
        return None
    info = proper.type
    if info.fullname == "builtins.object":
        return _rules.ANY_KIND
    if info.fullname in _SCALAR_TYPES or (
        info.has_base("enum.Enum") and info.get(_CORE_SCHEMA) is None
    ):
        return frozenset((_rules.SCALAR,))
    if info.fullname in _ARRAY_TYPES:
        return frozenset((_rules.ARRAY,))
    if info.fullname in _OBJECT_TYPES:
        return frozenset((_rules.OBJECT,))
    if not (info.has_base(_BASE_MODEL) or "dataclass" in info.metadata):
        return None
    views = _model_views(report, info)
    if views is None or any(view.reshaped for view in views):
        return None
    if info.has_base(_ROOT_MODEL):  # what its root takes
        root = _root_of(info)
        return None if root is None else _body_kinds(report, root)
    return frozenset((_rules.OBJECT,))  # its fields' validators see only its fields


def _root_of(info: TypeInfo) -> Type | None:
    """The type a root model's ``RootModel[T]`` base gives its root, through bases that take
    no type arguments; None past one that does (a generic root model: left to
    registration). ``info`` is one: a base of it leads to ``RootModel``."""
    base = next(base for base in info.bases if base.type.has_base(_ROOT_MODEL))
    if base.type.fullname == _ROOT_MODEL:
        return base.args[0] if base.args else None
    return None if base.args else _root_of(base.type)


# The classes whose JSON kinds pydantic's schema for them fixes (``_body_kinds``).
_SCALAR_TYPES = frozenset(
    (
        "builtins.int", "builtins.str", "builtins.float", "builtins.bool", "builtins.bytes",
        "builtins.complex", "decimal.Decimal", "datetime.date", "datetime.datetime",
        "datetime.time", "datetime.timedelta", "uuid.UUID",
    )
)  # fmt: skip
_ARRAY_TYPES = frozenset(
    ("builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "typing.Sequence")
)
_OBJECT_TYPES = frozenset(("builtins.dict", "typing.Mapping", "typing.MutableMapping"))


def _held(typ: ProperType, kinds: frozenset[str] | None = None) -> list[Type] | None:
    """The item types of a collection a parameter reads several values into (``list[int]``,
    ``tuple[int, ...]``, ``Sequence[str]``, ``set[str]``, ``tuple[int, str]``), of ``kinds``
    (``_MANY`` unless given); None for another type, a NamedTuple among them."""
    if isinstance(typ, TupleType):
        return list(typ.items) if typ.partial_fallback.type.fullname == "builtins.tuple" else None
    if isinstance(typ, Instance) and typ.type.fullname in (_MANY if kinds is None else kinds):
        return list(typ.args)
    return None


def _arguments(function: FuncDef) -> list[Argument] | None:
    """The function's arguments as written; None for one read from mypy's cache, which keeps
    its type but not its arguments (the attribute is not even set)."""
    try:
        return function.arguments
    except AttributeError:
        return None


def _method_def(info: TypeInfo, name: str) -> FuncDef | None:
    """The method ``name`` as the class ``info`` or its nearest base defines it."""
    for klass in info.mro:
        symbol = klass.names.get(name)
        if symbol is not None:
            node = symbol.node
            if isinstance(node, Decorator):
                node = node.func
            return node if isinstance(node, FuncDef) else None
    return None


def _is_connection(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.has_base(_CONNECTION)


def _is_scopes(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == _SCOPES


def _empty_status_problem(
    report: _Reporter, qualname: str, status: int, sig: CallableType
) -> str | None:
    """A status that sends no body (204, 304) for a handler whose annotation returns a value
    that would be one, as registration refuses it."""
    if status in WITH_BODY:
        return None
    returned = get_proper_type(sig.ret_type)
    if _is_async(sig) and isinstance(returned, Instance) and returned.args:
        returned = get_proper_type(returned.args[-1])  # Coroutine[Any, Any, T]'s T
    members = returned.items if isinstance(returned, UnionType) else [returned]
    for member in map(get_proper_type, members):
        if isinstance(member, (NoneType, AnyType, UninhabitedType)):
            continue
        if isinstance(member, Instance) and (
            member.type.fullname == "builtins.object" or member.type.has_base(_RESPONSE)
        ):
            continue
        return _rules.empty_status_problem(qualname, status, report.show(returned))
    return None


_RESPONSE = "aaf.response.HttpResponse"


def _is_async(sig: CallableType) -> bool:
    written = _written(sig)
    if written is not None and written.is_coroutine:
        return True
    # A coroutine function under a decorator typed `-> Callable[P, Awaitable[T]]` returns
    # an Awaitable as far as mypy knows.
    returned = get_proper_type(sig.ret_type)
    return isinstance(returned, Instance) and returned.type.has_base("typing.Awaitable")


def _takes_no_text(typ: Type) -> bool:
    """Whether no text can fill ``typ`` (``None`` aside, which never fills a path value): each
    member a mapping, a list, a set, a tuple, a TypedDict, a dataclass or a model. False where
    mypy cannot see what pydantic would do: behind an alias (``Json[...]`` is one to mypy),
    for a model or a dataclass that validates its input its own way (a ``model_validator``,
    ``__get_pydantic_core_schema__``), for a ``RootModel``."""
    choices = _choices(typ)
    members = [m for m in choices or () if not isinstance(m, NoneType)]
    return bool(members) and all(_textless(member) for member in members)


def _choices(typ: Type) -> list[ProperType] | None:
    """The union members of ``typ`` (``typ`` itself when it is no union), as mypy sees them;
    None where an alias stands in the way (``_unaliased``)."""
    proper = _unaliased(typ)
    if proper is None:
        return None
    return [get_proper_type(t) for t in proper.items] if isinstance(proper, UnionType) else [proper]


def _unaliased(typ: Type) -> ProperType | None:
    """``typ`` as mypy sees it, unless an alias (which may hide ``Annotated`` metadata) stands
    in the way; a TypedDict's class is one to mypy, and hides nothing."""
    proper = get_proper_type(typ)
    if isinstance(typ, TypeAliasType) and not (
        isinstance(proper, TypedDictType)
        and typ.alias is not None
        and typ.alias.fullname == proper.fallback.type.fullname
    ):
        return None
    return proper


def _textless(typ: Type, files: bool = False) -> bool:
    """Whether no text fills ``typ``; an uploaded file is filled by a form's file
    (``files``) alone."""
    proper = _unaliased(typ)
    if isinstance(proper, Instance) and _is_upload(proper):
        return not files
    if isinstance(proper, TypedDictType):
        return True
    if isinstance(proper, TupleType):  # tuple[str, int]; a NamedTuple is built from text
        return proper.partial_fallback.type.fullname == "builtins.tuple"
    if not isinstance(proper, Instance):
        return False
    info = proper.type
    if info.fullname in _TEXTLESS or info.typeddict_type is not None:
        return True
    if not (info.has_base(_BASE_MODEL) or "dataclass" in info.metadata):
        return False
    if info.has_base(_ROOT_MODEL):
        return False  # RootModel[str] is a text
    for klass in info.mro:
        if klass.fullname.startswith("pydantic."):
            continue
        for name, symbol in klass.names.items():
            if name == "__get_pydantic_core_schema__":
                return False
            node = symbol.node
            if isinstance(node, Decorator) and any(
                isinstance(d, CallExpr)
                and isinstance(d.callee, RefExpr)
                and d.callee.fullname == _MODEL_VALIDATOR
                for d in node.decorators
            ):
                return False
    return True


def _members(typ: Type) -> list[_rules.Member]:
    """A type's union members in the rules' terms (the values of Literals kept together)."""
    proper = get_proper_type(typ)
    items = (
        [get_proper_type(t) for t in proper.items] if isinstance(proper, UnionType) else [proper]
    )
    members: list[_rules.Member] = []
    literals: list[object] = []
    for item in items:
        if isinstance(item, (AnyType, TypeVarLikeType)):
            members.append(_rules.Member(anything=True))
        elif isinstance(item, LiteralType):
            literals.append(item.value)
        elif isinstance(item, Instance):
            members.append(_rules.Member(mro=tuple(info.fullname for info in item.type.mro)))
        elif isinstance(item, NoneType):
            members.append(_rules.Member(mro=("builtins.NoneType", "builtins.object")))
        else:
            members.append(_rules.Member())
    if literals:
        members.append(_rules.Member(literals=tuple(literals)))
    return members


class _Check(Protocol):
    def __call__(self, ctx: MethodContext, *, websocket: bool) -> None: ...


# What the plugin checks, by the method mypy is about to call, and whether it is a WebSocket.
_HOOKS: Mapping[str, tuple[_Check, bool]] = {
    _DECORATOR: (_check_decorated, False),
    _WS_DECORATOR: (_check_decorated, True),
    f"{_ROUTER}.add_route": (_check_added, False),
    f"{_ROUTER}.add_websocket_route": (_check_added, True),
}
