"""Build the OpenAPI 3.1 document from the routes' registration plans.

The plans the requests run on say where every parameter comes from and what it must be, so
the document is read from them (it cannot drift from behaviour). All schemas go through one
``GenerateJsonSchema`` pass, so each model is one component under ``#/components/schemas/``;
two different models with one name are an error naming both.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeGuard, Union, cast

from pydantic import JsonValue, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import PydanticSerializationError, core_schema, to_jsonable_python
from werkzeug.routing import Map
from werkzeug.routing.converters import (
    AnyConverter,
    BaseConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

from aaf._annotations import union_members
from aaf._dispatch import Endpoint
from aaf._http import WITH_BODY
from aaf._operation import Operation, response_model
from aaf._plan import (
    MISSING,
    DependencyParam,
    FieldSpec,
    HandlerPlan,
    every_plan,
    status_of_none,
    text_step,
)
from aaf._rules import converter_type
from aaf.exceptions import ConfigurationError
from aaf.response import FileResponse, HttpResponse, RedirectResponse
from aaf.security import SecurityScheme

if TYPE_CHECKING:
    from aaf.app import App

__all__ = ["build_document"]

Schema = dict[str, Any]  # JSON Schema as pydantic writes it
REF = "#/components/schemas/{model}"
_SCHEMAS = REF.removesuffix("{model}")  # what every component's $ref starts with
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_BRACED = re.compile(r"\{([^{}]*)\}")  # a path template's variables
_LOCATIONS = ("path", "query", "header", "cookie")
VALIDATION_ERROR: Schema = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {
            "title": "Location",
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
        "input": {"title": "Input"},
        "ctx": {"title": "Context", "type": "object"},
    },
    "required": ["loc", "msg", "type"],
}
HTTP_VALIDATION_ERROR: Schema = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "type": "array",
            "items": {"$ref": REF.format(model="ValidationError")},
        }
    },
}


class _Route:
    """One operation to document: where, how, and with what plan."""

    def __init__(self, rule: str, method: str, name: str, endpoint: Endpoint, view: bool) -> None:
        self.rule = rule
        self.method = method
        self.name = name
        self.plan = endpoint.plans[method]
        self.options = endpoint.operations.get(method, Operation())
        self.operation_id = self.options.operation_id or (
            f"{name}_{method.lower()}" if view else name
        )


# What pydantic's generator walks: a core schema, or a field of a model, dataclass or
# TypedDict (pydantic names the union in a private module).
_SchemaOrField = Union[  # noqa: UP007  # an alias at run time: `|` of TypedDicts is not one
    core_schema.CoreSchema,
    core_schema.ModelField,
    core_schema.DataclassField,
    core_schema.TypedDictField,
    core_schema.ComputedField,
]


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with a ``Decimal``'s text described: pydantic's own leaves it any
    string (``""`` was a valid price by the document, and a 422 by the app); and a tuple's
    length kept where a ``min_length=`` or ``max_length=`` is given it."""

    def tuple_schema(self, schema: core_schema.TupleSchema) -> JsonSchemaValue:
        written = super().tuple_schema(schema)
        # pydantic writes the constraint over the tuple's own length (Body(min_length=1) on
        # a tuple[int, int]: minItems 1, and [0] was valid by the document), though both
        # hold when it validates: the stricter of each bound.
        prefix = written.get("prefixItems")
        if not isinstance(prefix, list):
            return written
        length = len(cast("list[JsonSchemaValue]", prefix))
        least = written.get("minItems")
        written["minItems"] = length if not isinstance(least, int) else max(least, length)
        if "items" not in written:  # fixed: exactly its items (a variadic tail has items)
            most = written.get("maxItems")
            written["maxItems"] = length if not isinstance(most, int) else min(most, length)
        return written

    def generate_inner(self, schema: _SchemaOrField) -> JsonSchemaValue:
        written = super().generate_inner(schema)
        # A bound pydantic checks in a validator of its own (on `int | float`, whose union
        # takes no bound itself) is written under pydantic's name for it, `gt`, which JSON
        # Schema does not know: `Query(gt=0)` on `int | float` left 0 valid by the document.
        # Its JSON Schema name; where the schema has a bound of that name already, the
        # stricter of the two (both hold when it validates).
        metadata = cast("dict[str, object]", schema.get("metadata") or {})
        updates = metadata.get("pydantic_js_updates")
        if not isinstance(updates, dict) or not _JSON_BOUNDS.keys() & updates.keys():
            return written
        named = dict(written)
        for key in _JSON_BOUNDS.keys() & updates.keys():
            value = named.get(key)
            if not _number(value):
                continue  # a date's bound: JSON Schema has no name for it
            del named[key]
            name, stricter = _JSON_BOUNDS[key]
            other = named.get(name)
            named[name] = stricter(value, other) if _number(other) else value
        return named

    def chain_schema(self, schema: core_schema.ChainSchema) -> JsonSchemaValue:
        written = super().chain_schema(schema)
        # pydantic checks a pattern on a value of any type (Query(pattern="^a") on `x: Any`,
        # which takes the text) in a step after the first, over a str schema, and writes the
        # first step alone: the pattern went unsaid, and "x" was valid by the document.
        if self.mode != "validation" or "type" in written or "pattern" in written:
            return written
        for step in schema["steps"][1:]:
            text = text_step(step)
            if text is not None and isinstance(pattern := text.get("pattern"), str):
                return {**written, "pattern": pattern}
        return written

    def get_decimal_pattern(self, schema: core_schema.DecimalSchema) -> str | None:
        # pydantic's pattern for its own reading (validation) or writing (serialization),
        # with max_digits and decimal_places; from pydantic 2.12, where the hook came.
        build = getattr(self, "build_decimal_pattern", None)
        if build is None:
            return None
        pattern = cast("str", build(schema))
        if self.mode != "validation":
            return pattern  # what pydantic writes, exactly
        if _counts_digits(schema):
            # pydantic's pattern leaves the digits of a number with an exponent uncounted
            # ("-20.8928e-3" was valid for max_digits=8): the plain form alone.
            return pattern.replace(_EXPONENT_FORM, "")
        # An exponent Python's Decimal can hold (19 digits are refused), not any number.
        return pattern.replace(_EXPONENT, "[eE][+-]?[0-9]{1,17}")

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        written = super().decimal_schema(schema)
        choices: object = written.get("anyOf")
        if not _counts_digits(schema) or not isinstance(choices, list):
            return written
        text = cast("list[JsonSchemaValue]", choices)[-1]
        if "pattern" not in text:
            return written  # a pydantic without the pattern: both choices, as it wrote them
        # Digits a number's JSON cannot be held to (5.07e16 has 17 of them, 0.125 three
        # places): the text, whose pattern counts them, is the document's one form. A number
        # is still read.
        return {**{k: v for k, v in written.items() if k != "anyOf"}, **text}


# pydantic's names of bounds it checks in validators of its own, and JSON Schema's, with the
# stricter of two (a multiple of both numbers, where one divides the other: the larger).
_JSON_BOUNDS: dict[str, tuple[str, Callable[[float, float], float]]] = {
    "gt": ("exclusiveMinimum", max),
    "ge": ("minimum", max),
    "lt": ("exclusiveMaximum", min),
    "le": ("maximum", min),
    "multiple_of": ("multipleOf", max),
}


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


# pydantic's decimal pattern's pieces (as of 2.12): the exponent, and the form with one.
_EXPONENT = "[eE][+-]?[0-9]+"
_EXPONENT_FORM = "|(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)" + _EXPONENT


def _counts_digits(schema: core_schema.DecimalSchema) -> bool:
    return schema.get("max_digits") is not None or schema.get("decimal_places") is not None


def build_document(app: App) -> dict[str, JsonValue]:
    """Give the OpenAPI 3.1.0 document of ``app``'s HTTP routes."""
    routes = list(_routes(app))
    generator = _Generator(ref_template=REF)
    inputs: list[tuple[tuple[str, int], JsonSchemaMode, Any]] = []
    adapters: dict[int, TypeAdapter[object]] = {}
    for route in routes:
        for plan in every_plan(route.plan):
            if plan.validator is not None:
                inputs.append((("params", id(plan)), "validation", plan.validator.core_schema))
            if plan.body is not None:
                inputs.append((("body", id(plan)), "validation", plan.body.adapter.core_schema))
        result = _result_adapter(route.plan)
        if result is not None:
            adapters[id(route.plan)] = result
            inputs.append((("result", id(route.plan)), "serialization", result.core_schema))
        for status, entry in (route.options.responses or {}).items():
            model = response_model(entry)
            if model is not None:
                extra: TypeAdapter[object] = TypeAdapter(model)  # type: ignore[arg-type]  # a model
                inputs.append((("extra", id(model) ^ status), "serialization", extra.core_schema))
    mapping, definitions = generator.generate_definitions(inputs=inputs)
    resolved = {key[0]: value for key, value in mapping.items()}
    document = _Document(
        resolved,
        {str(name): schema for name, schema in definitions.items()},
        generator.get_title_from_name,
    )
    paths: dict[str, dict[str, JsonValue]] = {}
    seen_ids: set[str] = set()
    placed: dict[tuple[str, str], _Route] = {}
    # Templates that differ only in their variables' names are one path to OpenAPI (3.1,
    # "Path Templating Matching"): a document may hold only one, the first written.
    templates: dict[str, str] = {}
    for route in routes:
        if route.operation_id in seen_ids:
            route.operation_id = f"{route.operation_id}_{route.method.lower()}"
        seen_ids.add(route.operation_id)
        written = _VARIABLE.sub(r"{\1}", route.rule)
        template = templates.setdefault(_VARIABLE.sub("{}", route.rule), written)
        other = placed.setdefault((template, route.method), route)
        if other is not route:
            # A path holds one operation per method: one of the two would be left out
            # unsaid (FastAPI keeps the last, which may be the one that never answers).
            raise ConfigurationError(
                f"{route.method} {template} is two operations in the API document, "
                f"{other.name} ({other.rule}) and {route.name} ({route.rule}), and a path "
                "holds one per method: leave one out with include_in_schema=False, or give "
                "them paths of their own"
            )
        operation = document.operation(route)
        if template != written:  # its path values named as the path names them
            _rename_path_parameters(operation, written, template)
        paths.setdefault(template, {})[route.method.lower()] = operation
    components: dict[str, JsonValue] = {"schemas": document.schemas(paths)}
    if document.security:
        components["securitySchemes"] = dict(document.security)
    built: dict[str, JsonValue] = {
        "openapi": "3.1.0",
        "info": _info(app),
        "paths": cast(JsonValue, paths),
        "components": components,
    }
    if app.openapi_tags:  # the tags' descriptions and order, as FastAPI's openapi_tags
        built["tags"] = [dict(tag) for tag in app.openapi_tags]
    if app.servers:
        built["servers"] = [dict(server) for server in app.servers]
    return built


def _rename_path_parameters(operation: dict[str, JsonValue], written: str, template: str) -> None:
    """Name ``operation``'s path parameters, written for ``written``, as the variables in the
    same places of ``template``: a path value is known by its place, not its name."""
    renamed = dict(zip(_BRACED.findall(written), _BRACED.findall(template), strict=True))
    for parameter in cast("list[JsonValue]", operation.get("parameters", [])):
        if isinstance(parameter, dict) and parameter.get("in") == "path":
            name = parameter.get("name")
            parameter["name"] = renamed.get(name, name) if isinstance(name, str) else name


def _info(app: App) -> dict[str, JsonValue]:
    info: dict[str, JsonValue] = {"title": app.title}
    if app.summary:
        info["summary"] = app.summary
    if app.description:
        info["description"] = app.description
    if app.terms_of_service:
        info["termsOfService"] = app.terms_of_service
    if app.contact:
        info["contact"] = dict(app.contact)
    if app.license_info:
        info["license"] = dict(app.license_info)
    info["version"] = app.version
    return info


def _routes(app: App) -> Iterator[_Route]:
    for router in app.routers:
        for rule, name, endpoint, view in router.http_routes():
            for method in sorted(endpoint.plans):
                route = _Route(rule, method, name, endpoint, view)
                if route.options.include_in_schema is not False:
                    yield route


def _in_order(plan: HandlerPlan) -> Iterator[DependencyParam]:
    """Every provider below ``plan``, depth first in parameter order."""
    for dependency in plan.dependencies:
        yield dependency
        yield from _in_order(dependency.plan)


def _result_adapter(plan: HandlerPlan) -> TypeAdapter[object] | None:
    annotation = plan.result_type
    if annotation is MISSING or annotation is None or annotation is type(None):
        return None
    members: list[object] = [
        m
        for m in union_members(annotation)
        if not (isinstance(m, type) and issubclass(m, HttpResponse)) and m is not type(None)
    ]
    if all(m is str or m is bytes for m in members):
        return None  # none, or text and bytes only: each sent as it is, not as JSON
    # A str returned is text (documented beside), whatever else the union holds.
    json_members = [m for m in members if m is not str]
    target: object = (
        json_members[0] if len(json_members) == 1 else Union[tuple(json_members)]  # noqa: UP007  # built from a list  # pyright: ignore[reportUnknownArgumentType]
    )
    return TypeAdapter(target)  # type: ignore[arg-type]  # a runtime annotation


class _Document:
    """The operations' parts, with the schemas of one generator pass."""

    def __init__(
        self,
        resolved: dict[tuple[str, int], Schema],
        definitions: dict[str, Schema],
        title: Callable[[str], str],
    ) -> None:
        self.resolved = resolved
        self.definitions = definitions
        self.title = title  # the generator's, as pydantic titles a field from its name
        self.synthetic: set[str] = set()  # the plans' own TypedDicts, inlined, not components
        self.security: dict[str, JsonValue] = {}
        self.uses_validation_error = False

    def deref(self, schema: Schema) -> Schema:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMAS):
            name = ref.rsplit("/", 1)[1]
            return self.definitions.get(name, schema)
        return schema

    def groups(self, plan: HandlerPlan) -> dict[str, tuple[Schema, set[str]]]:
        """Each source group of ``plan``'s validator: its properties and required names."""
        if plan.validator is None:
            return {}
        top = self.resolved[("params", id(plan))]
        self._mark_synthetic(top)
        top = self.deref(top)
        found: dict[str, tuple[Schema, set[str]]] = {}
        for group, group_schema in top.get("properties", {}).items():
            self._mark_synthetic(group_schema)
            resolved = self.deref(group_schema)
            properties: Schema = resolved.get("properties", {})
            required = set(resolved.get("required", []))
            if plan.choices:  # the values a value takes, where pydantic's schema cannot say
                properties = {
                    wire: _chosen(schema, plan.choices.get((group, wire)))
                    for wire, schema in properties.items()
                }
            if group in _REPEATED:
                properties = {
                    wire: _at_least_one(schema) if wire in required else schema
                    for wire, schema in properties.items()
                }
            if group == "header":
                properties = {wire: _elements(schema) for wire, schema in properties.items()}
            properties = {
                wire: schema if _converted(plan, group, wire) else _text_if_any(schema)
                for wire, schema in properties.items()
            }
            found[group] = (properties, required)
        return found

    def _mark_synthetic(self, schema: Schema) -> None:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            self.synthetic.add(ref.rsplit("/", 1)[1])

    def operation(self, route: _Route) -> dict[str, JsonValue]:
        plan, options = route.plan, route.options
        operation: dict[str, Any] = {"operationId": route.operation_id}
        summary, description = _docstring(plan, options)
        if summary:
            operation["summary"] = summary
        if description:
            operation["description"] = description
        if options.tags:
            operation["tags"] = list(dict.fromkeys(options.tags))
        if options.deprecated:
            operation["deprecated"] = True
        parameters = self.parameters(route)
        if parameters:
            operation["parameters"] = parameters
        body = self.request_body(plan)
        if body is not None:
            operation["requestBody"] = body
        operation["responses"] = self.responses(route)
        security = self.security_of(plan)
        if security:
            operation["security"] = security
        if options.openapi_extra:
            operation = _merged(operation, options.openapi_extra)
        return operation

    def parameters(self, route: _Route) -> list[Schema]:
        found = _Parameters()
        plans = list(every_plan(route.plan))
        chosen = {wire for plan in plans for group, wire in plan.choices if group == "path"}
        for variable, converter in route.plan.rule_converters.items():
            if variable in chosen:
                continue  # an any(...) value's readers list the values their types take
            schema = _converter_schema(converter)
            found.add({"name": variable, "in": "path", "required": True, "schema": schema}, True)
        for plan in plans:
            for group, (properties, required) in self.groups(plan).items():
                if group == "form":
                    continue
                for wire, schema in properties.items():
                    if (group, wire) in plan.hidden:
                        continue  # marked include_in_schema=False
                    if (whole := _whole_model(plan, group, wire)) is not None:
                        model_schema = self.deref(schema)
                        model_required = set(model_schema.get("required", []))
                        for field, field_schema in model_schema.get("properties", {}).items():
                            # A header model's x_token is the header x-token.
                            name = whole.header_name(field) if group == "header" else field
                            needed = field in model_required
                            if needed and group in _REPEATED:
                                field_schema = _at_least_one(field_schema)
                            if group == "header":
                                field_schema = _elements(field_schema)
                            field_schema = _text_if_any(field_schema)
                            found.add(_parameter(name, group, field_schema, needed))
                        continue
                    parameter = _parameter(wire, group, schema, wire in required)
                    _add_default(parameter, plan, group, wire)
                    examples = plan.examples.get((group, wire))
                    if examples:
                        parameter["examples"] = _examples(examples)
                    found.add(parameter)
        found.title_untyped_path(self.title)
        return found.ordered()

    def request_body(self, plan: HandlerPlan) -> Schema | None:
        readers = [current for current in every_plan(plan) if current.body is not None]
        if readers:
            # The handler and its providers may each read the one JSON body, as a type of
            # their own: it must be valid as each (allOf), and is required if any needs it.
            shown = [
                current
                for current in readers
                if not any(source == "body" for source, _ in current.hidden)
            ]  # not Body(include_in_schema=False)
            if not shown:
                return None
            schemas: list[Schema] = []
            for current in shown:
                assert current.body is not None  # a reader
                chosen = current.choices.get(("body", current.body.name))  # Body(ge=2), an enum
                _add_distinct(schemas, _chosen(self.resolved[("body", id(current))], chosen))
            json_body: Schema = {"schema": _all_of(schemas)}
            body_examples = next(  # a plan has one body at most; the first's examples
                (
                    found
                    for current in shown
                    for (where, _), found in current.examples.items()
                    if where == "body"
                ),
                None,
            )
            if body_examples:
                json_body["examples"] = _examples(body_examples)
            return {
                "required": any(current.body.required for current in shown if current.body),
                "content": {"application/json": json_body},
            }
        # Each field as every reader takes it (the handler's and its providers' may each read
        # one field as a type of their own: valid as each, allOf), required if any needs it.
        form_properties: dict[str, list[Schema]] = {}
        form_required: list[str] = []
        multipart = False
        for current in every_plan(plan):
            form = self.groups(current).get("form")
            if form is not None:
                properties, required = dict(form[0]), form[1]
                for wire in [w for w in properties if ("form", w) in current.hidden]:
                    del properties[wire]  # marked include_in_schema=False
                for wire in [w for w in properties if _whole_model(current, "form", w) is not None]:
                    # A model marked Form(): its fields are the form's.
                    model = self.deref(properties.pop(wire))
                    fields: Schema = model.get("properties", {})
                    properties.update(fields)
                    required = required | set(model.get("required", []))
                    # A file field (`file: UploadFile`): only multipart sends files.
                    multipart = multipart or any(_takes_files(f) for f in fields.values())
                for name, field in properties.items():
                    # A form cannot send null: an absent field is how None is given.
                    field = _without_null(field)
                    # An empty form value counts as absent, so a string field takes at
                    # least one character: say so.
                    field = _not_blank(_text_if_any(field))
                    if name in required:
                        field = _at_least_one(field)  # an empty list is no field sent
                    else:
                        field = _with_default(field, current, "form", name)
                    _add_distinct(form_properties.setdefault(name, []), field)
                form_required += [n for n in properties if n in required and n not in form_required]
                # A bytes field takes a file's content: only multipart sends files.
                multipart = multipart or any(f.content for f in current.fields.get("form", ()))
            for upload in current.uploads:
                if ("form", upload.wire) in current.hidden:
                    continue
                multipart = True
                binary: Schema = {"type": "string", "format": "binary"}
                field = {"type": "array", "items": binary} if upload.many else binary
                if upload.many and upload.default is ...:
                    field = {**field, "minItems": 1}  # no file sent is the field missing
                _add_distinct(form_properties.setdefault(upload.wire, []), field)
                if upload.default is ... and upload.wire not in form_required:
                    form_required.append(upload.wire)
        if not form_properties:
            return None
        media = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
        schema: Schema = {
            "type": "object",
            "properties": {name: _all_of(taken) for name, taken in form_properties.items()},
        }
        if form_required:
            schema["required"] = form_required
        if any(
            spec.forbids for current in every_plan(plan) for spec in current.fields.get("form", ())
        ):
            # A model marked Form() with extra="forbid" refuses a field no reader names.
            schema["additionalProperties"] = False
        return {"required": bool(form_required), "content": {media: {"schema": schema}}}

    def responses(self, route: _Route) -> Schema:
        plan, options = route.plan, route.options
        annotation = plan.result_type
        returns_none = annotation is None or annotation is type(None)
        code = options.status_code or plan.status_code
        status_code = status_of_none(code) if returns_none else code  # what it answers
        status = str(status_code)
        responses: Schema = {}
        members: list[object] = [] if annotation is MISSING else list(union_members(annotation))
        for member in members:
            if isinstance(member, type) and issubclass(member, HttpResponse):
                # A response the handler returns goes out as it was made, whatever the
                # route's status_code (which is for returned values): its class's status.
                for sent_status, sent in _response_class_entry(member).items():
                    responses[sent_status] = _merged(responses.get(sent_status, {}), sent)
        data: list[object] = [
            m
            for m in members
            if not (isinstance(m, type) and issubclass(m, HttpResponse))
            and m is not None
            and m is not type(None)
        ]
        content: Schema = {}
        if status_code in WITH_BODY:
            result = self.resolved.get(("result", id(plan)))
            if str in data:  # a str returned is text, whatever else the union holds
                content["text/plain"] = {"schema": {"type": "string"}}
            if result is not None:
                content["application/json"] = {"schema": result}
            elif bytes in data:  # bytes and text only: each sent as it is
                binary = {"type": "string", "format": "binary"}
                content["application/octet-stream"] = {"schema": binary}
        if returns_none or data or annotation is MISSING or status_code not in WITH_BODY:
            answered: Schema = {"description": _phrase(status_code)}
            if content:
                answered["content"] = content
            responses[status] = _merged(responses.get(status, {}), answered)
        if not returns_none and (None in members or type(None) in members):
            none_status = str(status_of_none(code))  # `-> Item | None` returning None
            responses[none_status] = _merged(
                responses.get(none_status, {}), {"description": _phrase(int(none_status))}
            )
        for extra_status, given in (options.responses or {}).items():
            model = response_model(given)
            # FastAPI's form, {"model": M, "description": ..., "content": ...}, is merged into
            # what the route answers with that status, when it does; a model replaces it.
            written: Mapping[str, object] = (
                cast("Mapping[str, object]", given) if isinstance(given, Mapping) else {}
            )
            fresh: Schema = {"description": _phrase(extra_status)}
            entry = (responses.get(str(extra_status)) or fresh) if written else fresh
            if model is not None:
                schema = self.resolved[("extra", id(model) ^ extra_status)]
                entry = _merged(entry, {"content": {"application/json": {"schema": schema}}})
            entry = _merged(entry, {k: v for k, v in written.items() if k != "model"})
            responses[str(extra_status)] = entry
        if any(current.reads_form for current in every_plan(plan)):
            # A form body that cannot be parsed (a broken multipart body, a charset aaf does
            # not decode) is answered before validation.
            responses.setdefault(
                "400",
                {
                    "description": "Malformed form body",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
            )
        if any(_refuses(converter) for converter in plan.rule_converters.values()):
            # A path value its converter does not match (`-1` or `abc` for `<int:id>`) is no
            # route's: werkzeug's routing answers 404 before validation sees it, as text
            # (beside what the route's own 404s are, when it declares them).
            _add_text(responses, 404, "Not Found: a path value its converter does not match")
        if any(
            isinstance(dependency.provider, SecurityScheme) and dependency.provider.auto_error
            for dependency in _in_order(plan)
        ):
            # A scheme that refuses a request without its credential answers 401 itself.
            _add_text(responses, 401, "Unauthorized: no credential, or not one of the scheme's")
        if _can_fail(plan):
            self.uses_validation_error = True
            responses.setdefault(
                "422",
                {
                    "description": "Validation Error",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": REF.format(model="HTTPValidationError")}
                        }
                    },
                },
            )
        return responses

    def security_of(self, plan: HandlerPlan) -> list[JsonValue]:
        """Each scheme the operation uses, one requirement each (as FastAPI lists them), with
        every scope a Security(...) requires of it, wherever in the providers it is asked."""
        scopes: dict[str, dict[str, None]] = {}  # scheme name -> its scopes, in order
        optional = True  # every scheme lets a request without its credential through
        for dependency in _in_order(plan):
            scheme = dependency.provider
            if isinstance(scheme, SecurityScheme):
                self.security[scheme.scheme_name] = scheme.openapi()
                scopes.setdefault(scheme.scheme_name, {}).update(dict.fromkeys(dependency.scopes))
                optional = optional and not scheme.auto_error
        requirements: list[JsonValue] = [
            {name: list(required)} for name, required in scopes.items()
        ]
        # `auto_error=False` everywhere: a request without credentials is served too, which
        # OpenAPI says with an empty requirement.
        return [*requirements, {}] if requirements and optional else requirements

    def schemas(self, paths: Mapping[str, object]) -> dict[str, JsonValue]:
        """The components of the models that ``paths`` refer to, and those they refer to:
        a model read whole from the query string, headers or cookies is documented as a
        parameter a field, and nothing refers to it (as FastAPI has no component for it)."""
        schemas = {
            name: schema
            for name, schema in sorted(self.definitions.items())
            if name not in self.synthetic
        }
        _refuse_duplicate_names(schemas)
        referred = _referred(paths, schemas)
        schemas = {name: schema for name, schema in schemas.items() if name in referred}
        if self.uses_validation_error:
            schemas["ValidationError"] = VALIDATION_ERROR
            schemas["HTTPValidationError"] = HTTP_VALIDATION_ERROR
        return cast(dict[str, JsonValue], schemas)


def _referred(root: object, schemas: Mapping[str, Schema]) -> set[str]:
    """The names of the components in ``schemas`` that ``root`` refers to (``$ref``), and
    those they refer to in turn."""
    found: set[str] = set()
    pending: list[object] = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = cast("dict[str, object]", node).get("$ref")
            if isinstance(ref, str) and ref.startswith(_SCHEMAS):
                name = ref[len(_SCHEMAS) :]
                if name not in found and name in schemas:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(cast("dict[str, object]", node).values())
        elif isinstance(node, list):
            pending.extend(cast("list[object]", node))
    return found


def _refuse_duplicate_names(schemas: Mapping[str, Schema]) -> None:
    """pydantic gives two models of one name long, module-qualified names: refuse that."""
    by_title: dict[str, set[str]] = {}
    for name, schema in schemas.items():
        base = name.removesuffix("-Input").removesuffix("-Output")
        title = schema.get("title")
        if isinstance(title, str):
            by_title.setdefault(title, set()).add(base)
    for title, names in by_title.items():
        if len(names) > 1:
            raise ConfigurationError(
                f"Two different models are both named {title!r} ({', '.join(sorted(names))}); "
                "rename one, or the API document could not tell them apart"
            )


def _whole_model(plan: HandlerPlan, group: str, wire: str) -> FieldSpec | None:
    """``wire``'s parameter when it is a model marked ``Query()``, ``Header()``, ``Cookie()``
    or ``Form()``, filled from the whole query string, headers, cookies or form."""
    specs = next((specs for name, specs in plan.fields.items() if name == group), ())
    return next((s for s in specs if s.wire == wire and s.whole), None)


def _add_default(parameter: Schema, plan: HandlerPlan, group: str, wire: str) -> None:
    if not parameter["required"]:
        parameter["schema"] = _with_default(parameter["schema"], plan, group, wire)


def _with_default(schema: Schema, plan: HandlerPlan, group: str, wire: str) -> Schema:
    """``schema`` with the default of the value read from ``wire`` in ``group``, when it has
    one JSON can show. Defaults live in the plan (the validator's fields are simply not
    required), so the schema pydantic wrote lacks them."""
    if "default" in schema:
        return schema
    specs = [spec for name, specs in plan.fields.items() if name == group for spec in specs]
    for spec in specs:
        if spec.wire == wire and spec.name in plan.defaults:
            if plan.defaults[spec.name] is None:
                break  # what absent gives a text value, which cannot be null: not shown
            try:
                return {**schema, "default": to_jsonable_python(plan.defaults[spec.name])}
            except (PydanticSerializationError, UnicodeDecodeError):
                break  # a default JSON cannot show (bytes that are not UTF-8 among them)
    return schema


def _examples(examples: Mapping[str, Mapping[str, JsonValue]]) -> JsonValue:
    return {name: dict(example) for name, example in examples.items()}


class _Parameters:
    """An operation's parameters, by location and name. The handler and its providers may
    each read one value, each validating it as its own type: the value must be valid as
    each (``allOf`` of their schemas), and is required if any requires it."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], Schema] = {}
        self.schemas: dict[tuple[str, str], list[Schema]] = {}

    def add(self, parameter: Schema, replaceable: bool = False) -> None:
        """Add a reader's ``parameter``; a ``replaceable`` one (a rule converter's schema)
        gives way to the first typed reader's."""
        key = (cast(str, parameter["in"]), cast(str, parameter["name"]))
        before = self.found.get(key)
        schemas = self.schemas.get(key)
        if before is None or schemas is None:  # none yet, or the converter's
            if before is not None:  # what the converter matches narrows the type
                parameter = {**parameter, "schema": _within(parameter["schema"], before["schema"])}
            self.found[key] = parameter
            if not replaceable:
                self.schemas[key] = [parameter["schema"]]
            return
        merged = {**parameter, **before}  # the first reader's description and examples
        merged["required"] = bool(before["required"]) or bool(parameter["required"])
        _add_distinct(schemas, parameter["schema"])
        merged["schema"] = _all_of(schemas)
        self.found[key] = merged

    def title_untyped_path(self, title: Callable[[str], str]) -> None:
        """Title the rule variables that only their converter's schema describes (``id:
        int`` on ``<int:id>``, which pydantic reads no part of), as pydantic titles every
        other parameter: ``item_id`` is "Item Id", as in FastAPI's document."""
        for (location, name), parameter in self.found.items():
            if location == "path" and (location, name) not in self.schemas:
                parameter["schema"] = {**parameter["schema"], "title": title(name)}

    def ordered(self) -> list[Schema]:
        """The parameters, path first, then query, header and cookie."""
        return sorted(self.found.values(), key=lambda p: _LOCATIONS.index(p["in"]))


def _add_distinct(schemas: list[Schema], schema: Schema) -> None:
    """Add one reader's schema of a value to the others', unless one reads it alike."""
    if schema not in schemas:
        schemas.append(schema)


def _all_of(schemas: list[Schema]) -> Schema:
    """A value every reader takes (the handler and its providers may each read it as a type
    of their own): the one schema, else all of them."""
    return schemas[0] if len(schemas) == 1 else {"allOf": list(schemas)}


def _parameter(name: str, location: str, schema: Schema, required: bool) -> Schema:
    parameter: Schema = {"name": name, "in": location, "required": required or location == "path"}
    schema = dict(schema)
    description = schema.pop("description", None)
    if description:
        parameter["description"] = description
    if schema.get("deprecated"):
        parameter["deprecated"] = True
    # A query, header or cookie value is text, which cannot be null: absent is how None is
    # given (the text `null` would be refused), as for a form field. Nor is it binary: a
    # `bytes` parameter is its text's UTF-8 (a form's bytes field may be a file's content).
    schema = _without_null(schema)
    if schema.get("format") == "binary":
        schema = {key: value for key, value in schema.items() if key != "format"}
    parameter["schema"] = schema
    return parameter


def _add_text(responses: Schema, status: int, description: str) -> None:
    """Say that the operation answers ``status`` as text (aaf's own answer), beside what the
    route declares for that status, if it does."""
    text: Schema = {"text/plain": {"schema": {"type": "string"}}}
    declared = responses.get(str(status))
    if declared is None:
        responses[str(status)] = {"description": description, "content": text}
    else:
        content = cast(Schema, declared.get("content", {}))
        responses[str(status)] = {**declared, "content": {**text, **content}}


def _response_class_entry(sent: type[HttpResponse]) -> Schema:
    """What a handler annotated to return ``sent`` (a response class) answers: a redirect's
    3XX with its ``Location``; else the class's own default status, with its media type."""
    if issubclass(sent, RedirectResponse):
        location: Schema = {"description": "Where to go", "schema": {"type": "string"}}
        return {"3XX": {"description": "Redirect", "headers": {"Location": location}}}
    default = inspect.signature(sent.__init__).parameters.get("status_code")
    status = default.default if default is not None and isinstance(default.default, int) else 200
    entry: Schema = {"description": _phrase(status)}
    media = sent.media_type.partition(";")[0].strip()
    # Only a class that says its own type (HtmlResponse, JsonResponse, EventSourceResponse):
    # an HttpResponse or a StreamingResponse is often given another (`media_type=`), and a
    # file's type is its name's.
    if media and sent.media_type != HttpResponse.media_type and not issubclass(sent, FileResponse):
        schema: Schema = {"type": "string"} if media.startswith("text/") else {}
        entry["content"] = {media: {"schema": schema}}
    return {str(status): entry}


def _without_null(field: Schema) -> Schema:
    """A text value's schema (a parameter's, a form field's) without its ``null`` choice
    (``str | None`` is a string, given or not), which no text can be: ``null`` would be
    refused."""
    field = _items(field, _without_null)  # list[int | None]
    choices = field.get("anyOf")
    if not isinstance(choices, list) or {"type": "null"} not in choices:
        return _branches(field, _without_null)  # list[int | None] | str: the list's items
    rest = [_without_null(c) for c in cast("list[Schema]", choices) if c != {"type": "null"}]
    # A default of None is what absent gives: no value of the schema left, so not shown.
    others = {
        key: value
        for key, value in field.items()
        if key != "anyOf" and not (key == "default" and value is None)
    }
    return {**rest[0], **others} if len(rest) == 1 else {**others, "anyOf": rest}


def _refuses(converter: BaseConverter) -> bool:
    """Whether a rule converter refuses some segment: all but the default and ``path``
    without bounds (``<name>``, ``<path:rest>``) do."""
    if isinstance(converter, PathConverter):
        return False
    if isinstance(converter, UnicodeConverter):  # `<string(length=2):code>`, `minlength=`
        return converter.regex != _ANY_SEGMENT
    return True


_ANY_SEGMENT = UnicodeConverter(Map()).regex  # what the default `<name>` matches


def _converted(plan: HandlerPlan, group: str, wire: str) -> bool:
    """Whether ``wire`` is a rule variable whose converter gives a value of its own type (an
    ``int`` for ``<int:x>``), not text: ``x: Any`` (or ``object``) takes that."""
    converter = plan.rule_converters.get(wire) if group == "path" else None
    return converter is not None and converter_type(converter) is not str


def _within(typed: Schema, converter: Schema) -> Schema:
    """A rule variable's schema as its parameter's type gives it, narrowed by what the rule's
    converter matches (``<int:x>`` takes no sign: ``minimum`` 0, whatever ``x: int`` says):
    the two merged where they describe the same type, else both (``allOf``); a type that
    says nothing of its values (``Any``, ``object``) takes the converter's."""
    if not _SAYING.intersection(typed):
        return {**typed, **converter}
    limits = {key: value for key, value in converter.items() if key != "type"}
    if not limits:
        return typed
    if typed.get("type") != converter.get("type"):
        return {"allOf": [converter, typed]}
    merged = dict(typed)
    for key, value in limits.items():
        if key not in merged:
            merged[key] = value
        elif key in ("minimum", "minLength"):
            merged[key] = max(merged[key], value)
        elif key in ("maximum", "maxLength"):
            merged[key] = min(merged[key], value)
        elif merged[key] != value:
            return {"allOf": [converter, typed]}
    return merged


# A constraint pydantic writes under its own name where JSON Schema has none for the type
# (`ge` on an enum or a bool), or that _Generator named as JSON Schema does: the values
# listed instead say what it leaves.
_UNSAID = frozenset(
    (
        *(name for name, _ in _JSON_BOUNDS.values()),
        "gt",
        "ge",
        "lt",
        "le",
        "multiple_of",
        "min_length",
        "max_length",
        "max_digits",
        "decimal_places",
        "allow_inf_nan",
    )
)


# The parameters' sources where a list is a key repeated (or a header's comma-separated
# elements): an empty one is no key at all, which a required value cannot be. (A form's
# fields are the request body's, below.)
_REPEATED = frozenset(("query", "header"))


def _branches(schema: Schema, change: Callable[[Schema], Schema]) -> Schema:
    """``schema`` with ``change`` made to each branch of its union (``anyOf``), if any."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    listed = cast("list[object]", branches)
    return {
        **schema,
        "anyOf": [change(cast("Schema", b)) if isinstance(b, dict) else b for b in listed],
    }


def _items(schema: Schema, change: Callable[[Schema], Schema]) -> Schema:
    """``schema`` with ``change`` made to its items, if it is an array's, a tuple's each
    (``prefixItems``) too: read from text, as a list's (the same schema where nothing
    changed)."""
    if schema.get("type") != "array":
        return schema
    changed = dict(schema)
    items = schema.get("items")
    if isinstance(items, dict):
        changed["items"] = change(cast("Schema", items))
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):
        changed["prefixItems"] = [
            change(cast("Schema", item)) if isinstance(item, dict) else item
            for item in cast("list[object]", prefix)
        ]
    return schema if changed == schema else changed


def _not_blank(field: Schema, files: bool = True) -> Schema:
    """A form field's schema (a list's items') taking text of one character or more: an
    empty form value counts as absent. With ``files``, a binary one is a file, which may
    be empty; else (a header's ``bytes``) it is text like any other."""
    if field.get("type") == "array":
        return _items(field, lambda items: _not_blank(items, files))
    if "anyOf" in field:
        return _branches(field, lambda branch: _not_blank(branch, files))
    if (
        field.get("type") == "string"
        and not field.get("minLength")
        and not (files and field.get("format") == "binary")
    ):
        return {**field, "minLength": 1}
    return field


# What makes a schema say something of its values; without any of them it takes anything.
_SAYING = frozenset(
    ("type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not", "items", "properties")
)


def _text_if_any(schema: Schema) -> Schema:
    """The schema of a value read from text (a query, header, cookie, form or path value)
    that pydantic wrote as taking anything (``Any``, ``object``): text is what it is given
    (as a list's items, for ``list[Any]``)."""
    if not _SAYING.intersection(schema):
        # A default of None is what absent gives: no text, so not shown (as _without_null).
        kept = {k: v for k, v in schema.items() if not (k == "default" and v is None)}
        return {**kept, "type": "string"}
    return _items(schema, _text_if_any)


def _elements(schema: Schema) -> Schema:
    """A header list's ``schema`` whose text items take a character at least: a header's
    empty comma-separated elements are ignored, as RFC 9110 5.6.1 has them. Nor does an item
    hold a comma or a quote, or begin or end with a space: the client joins the items with
    commas (OpenAPI's ``simple`` style), and the app reads the line back as RFC 9110 says,
    at each comma outside a quoted string, each element's spaces trimmed (``"a,b"`` sent as
    one item of two was two, and ``a"`` one with all the items after it)."""
    if "anyOf" in schema:
        return _branches(schema, _elements)
    return _items(schema, _element)


def _element(items: Schema) -> Schema:
    items = _not_blank(items, files=False)
    if items.get("type") != "string" or "enum" in items or "const" in items:
        return items  # values that are not text of the client's choice
    if "pattern" in items:  # the item's own pattern, and this one
        return {**items, "allOf": [*items.get("allOf", []), {"pattern": _ELEMENT}]}
    return {**items, "pattern": _ELEMENT}


# An item a header list gives back as it was sent: no comma, no quote, no space at either
# end (what Python's str.strip() trims, which JavaScript's \s does not all match).
_ELEMENT = r'^[^\s,"\x1c-\x1f\x85](?:[^,"]*[^\s,"\x1c-\x1f\x85])?$'


def _at_least_one(schema: Schema) -> Schema:
    """A required list's ``schema`` with ``minItems`` of at least 1 (in a union's
    branches: ``list[int] | None``, whose ``None`` no text is)."""
    if "anyOf" in schema:
        return _branches(schema, _at_least_one)
    if schema.get("type") != "array" or schema.get("minItems", 0) >= 1:
        return schema
    return {**schema, "minItems": 1}


def _chosen(schema: Schema, choices: tuple[JsonValue, ...] | None) -> Schema:
    """``schema`` listing ``choices`` (every value it takes) as its ``enum``."""
    if choices is None:
        return schema
    return {**_said(schema), "enum": list(choices)}


def _said(schema: Schema) -> Schema:
    """``schema`` without pydantic's own names of constraints, in its union's branches too."""
    kept: Schema = {}
    for key, value in schema.items():
        if key in ("anyOf", "oneOf") and isinstance(value, list):
            kept[key] = [
                _said(cast("Schema", branch)) if isinstance(branch, dict) else branch
                for branch in cast("list[object]", value)
            ]
        elif key not in _UNSAID:
            kept[key] = value
    return kept


def _converter_schema(converter: BaseConverter) -> Schema:
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    if isinstance(converter, PathConverter):
        return {"type": "string"}
    if isinstance(converter, NumberConverter):
        produced = converter_type(converter)
        schema: Schema = {"type": "integer" if produced is int else "number"}
        if not converter.signed:  # werkzeug's default: no sign, so nothing below 0
            schema["minimum"] = 0 if converter.min is None else max(converter.min, 0)
        elif converter.min is not None:
            schema["minimum"] = converter.min
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    if isinstance(converter, UnicodeConverter) and converter.regex != _ANY_SEGMENT:
        # `<string(length=2):code>`, `minlength=`, `maxlength=`: werkzeug keeps only the
        # regex it wrote, `[^/]{2}` or `[^/]{2,}` or `[^/]{2,4}`.
        counted = _SEGMENT_LENGTHS.fullmatch(converter.regex)
        if counted is not None:
            least, comma, most = counted.groups()
            schema = {"type": "string", "minLength": int(least)}
            if not comma or most:
                schema["maxLength"] = int(most or least)
            return schema
    return {"type": "string"}


_SEGMENT_LENGTHS = re.compile(r"\[\^/\]\{(\d+)(,)?(\d*)\}")


def _docstring(plan: HandlerPlan, options: Operation) -> tuple[str | None, str | None]:
    doc = inspect.cleandoc(plan.docstring) if plan.docstring else ""
    first, _, rest = doc.partition("\n")
    summary = options.summary or (first.strip() or None)
    description = options.description or (rest.strip() or None)
    return summary, description


def _merged(into: Schema, given: Mapping[str, object]) -> Schema:
    """``into`` with ``given`` written over it, mappings merged key by key (a response's
    ``content`` gains a media type, not loses the route's own)."""
    merged = dict(into)
    for key, value in given.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merged(cast("Schema", old), cast("Mapping[str, object]", value))
        else:
            merged[key] = value
    return merged


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Response"


def _can_fail(plan: HandlerPlan) -> bool:
    return any(
        current.validator is not None or current.body is not None or current.reads_form
        for current in every_plan(plan)
    )


def _takes_files(field: Schema) -> bool:
    """Whether a form field's schema takes a file (or a list of them, or none)."""
    if field.get("format") == "binary":
        return True
    items: Schema = field.get("items", {})
    options: list[Schema] = field.get("anyOf", [])
    return _takes_files(items) if items else any(_takes_files(o) for o in options)
