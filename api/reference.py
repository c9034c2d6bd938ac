"""The API reference page (/api/docs/), read from the OpenAPI schema drf-spectacular generates for /api/schema/.

`reference(schema, base_url=…)` turns the schema into what the template shows: operations grouped by tag, their
parameters, request and response fields and a curl example, and the data types (components) each shown once. The
schema's own texts (descriptions, titles) are shown as they are; the page's words are translated. Generating the
schema takes seconds, so `reference_html` renders the page's body once per schema version, language and site
address and keeps it for the life of the process (the schema only changes with the code)."""
import json
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"
# Placeholder values for a request body's example, by format or type; money is a decimal string (docs/API.md).
EXAMPLE_BY_FORMAT = {"decimal": "100.00", "date": "2026-01-31", "date-time": "2026-01-31T09:00:00Z"}
EXAMPLE_BY_TYPE = {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}


@dataclass(frozen=True)
class Type:
    text: str  # as the reader sees it: "string (date)", "array of Call"
    link: str = ""  # the data type it names, if any: its anchor on the page


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    required: bool
    nullable: bool
    description: str
    pattern: str = ""
    location: str = ""  # parameters only: path, query or header


@dataclass(frozen=True)
class Body:
    type: Type
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Response:
    status: str
    description: str  # the schema's own, often empty: the statuses' meanings are listed once (`Reference.statuses`)
    body: Body | None

    @property
    def success(self) -> bool:
        return self.status.startswith("2")


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    access: tuple[str, ...]  # how one may call it, from the schema's security requirements
    parameters: tuple[Field, ...]
    request: Body | None
    responses: tuple[Response, ...]
    curl: str


@dataclass(frozen=True)
class Tag:
    name: str
    anchor: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True)
class DataType:
    name: str
    anchor: str
    description: str
    fields: tuple[Field, ...]
    values: tuple[str, ...]  # an enumeration's values


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    tags: list[Tag]
    types: list[DataType]
    statuses: list[tuple[str, str]]  # every status an operation answers with, and what it means in this API


def prose(text: str) -> str:
    """Docstring text with its hard line breaks undone, except before the items of a list ("* ", "- ")."""
    lines = text.strip().splitlines()
    joined = lines[:1]
    for line in lines[1:]:
        line = line.strip()
        if line.startswith(("* ", "- ")) or not line or not joined[-1]:
            joined.append(line)
        else:
            joined[-1] += " " + line
    return "\n".join(joined)


def anchor_of(name: str) -> str:
    return "type-" + name


def status_meaning(status: str) -> str:
    """What a status means in this API (docs/API.md, Errors)."""
    meanings = {
        "200": _("Success."),
        "201": _("Created."),
        "400": _("Invalid input, or a business rule refused the operation: the messages, by field."),
        "401": _("No credentials, or a wrong, revoked or malformed token."),
        "403": _("Signed in, but your role may not use this endpoint."),
        "404": _("Not found, or not yours to see."),
        "422": _("An Idempotency-Key used before with a different request."),
        "429": _("Over a rate limit: wait the seconds the Retry-After header gives."),
    }
    return meanings.get(status, "")


def access_of(security: list[dict], schemes: dict) -> tuple[str, ...]:
    names = {
        "bearerAuth": _("a personal API token (Authorization: Bearer)"),
        "cookieAuth": _("the session of a signed-in browser"),
    }
    ways = []
    for requirement in security:
        if not requirement:
            ways.append(_("no sign-in: open to everyone"))
        for scheme in requirement:
            ways.append(names.get(scheme, schemes.get(scheme, {}).get("description") or scheme))
    return tuple(ways)


class _Reader:
    def __init__(self, schema: dict):
        self.components = schema.get("components", {}).get("schemas", {})

    def resolve(self, node: dict) -> tuple[str, dict]:
        """The component a node refers to (directly or as drf-spectacular's single allOf), and its schema."""
        if "$ref" not in node and len(node.get("allOf", ())) == 1:
            node = node["allOf"][0]
        if "$ref" in node:
            name = node["$ref"].removeprefix(REF_PREFIX)
            return name, self.components.get(name, {})
        return "", node

    def type_of(self, node: dict) -> Type:
        name, resolved = self.resolve(node)
        if name:
            return Type(name, anchor_of(name))
        if resolved.get("type") == "array":
            item = self.type_of(resolved.get("items", {}))
            return Type(_("array of %(type)s") % {"type": item.text}, item.link)
        for combination in ("oneOf", "anyOf"):
            if combination in resolved:
                return Type(" | ".join(self.type_of(option).text for option in resolved[combination]))
        text = resolved.get("type", "object" if "properties" in resolved else _("any"))
        if "format" in resolved:
            text = f"{text} ({resolved['format']})"
        return Type(text)

    def fields_of(self, node: dict) -> tuple[Field, ...]:
        _name, resolved = self.resolve(node)
        required = set(resolved.get("required", ()))
        return tuple(
            self.field(name, prop, required=name in required) for name, prop in resolved.get("properties", {}).items()
        )

    def field(self, name: str, node: dict, *, required: bool, location: str = "") -> Field:
        _name, resolved = self.resolve(node)
        return Field(
            name=name,
            type=self.type_of(node),
            required=required,
            nullable=bool(node.get("nullable") or resolved.get("nullable")),
            description=prose(node.get("description") or node.get("title") or ""),
            pattern=node.get("pattern", ""),
            location=location,
        )

    def body(self, content: dict) -> Body | None:
        node = (content or {}).get("application/json", {}).get("schema")
        if node is None:
            return None
        return Body(self.type_of(node), self.fields_of(node))

    def example(self, node: dict, name: str = ""):
        """A request body with each required field set to a placeholder of its type (text: `<name>`)."""
        _name, resolved = self.resolve(node)
        if "enum" in resolved:
            return next((value for value in resolved["enum"] if value is not None), None)
        if "example" in resolved:
            return resolved["example"]
        if resolved.get("format") in EXAMPLE_BY_FORMAT:
            return EXAMPLE_BY_FORMAT[resolved["format"]]
        if "properties" in resolved:
            required = resolved.get("required", ())
            return {key: self.example(prop, key) for key, prop in resolved["properties"].items() if key in required}
        return EXAMPLE_BY_TYPE.get(resolved.get("type"), f"<{name}>")


def curl(method: str, url: str, *, headers: tuple[str, ...], body) -> str:
    """A copyable command: placeholders in angle brackets, to be replaced; one option a line."""
    lines = ["curl" + ("" if method == "get" else f" -X {method.upper()}"), '-H "Authorization: Bearer <token>"']
    lines += [f'-H "{name}: <{name}>"' for name in headers]
    if body is not None:
        lines += ['-H "Content-Type: application/json"', "-d " + shlex.quote(json.dumps(body))]
    lines.append(shlex.quote(url))
    return " \\\n  ".join(lines)


def example_path(path: str, parameters: list[dict]) -> str:
    """The path with `<name>` for each path parameter and the required query parameters added."""
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{%s}" % parameter["name"], f"<{parameter['name']}>")
    query = [f"{p['name']}=<{p['name']}>" for p in parameters if p["in"] == "query" and p.get("required")]
    return path + ("?" + "&".join(query) if query else "")


def reference(schema: dict, *, base_url: str) -> Reference:
    reader = _Reader(schema)
    schemes = schema.get("components", {}).get("securitySchemes", {})
    tags: dict[str, Tag] = {}
    for path, item in schema.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in (m for m in METHODS if m in item):
            operation = item[method]
            parameters = shared + operation.get("parameters", [])
            request = (operation.get("requestBody") or {}).get("content")
            body = reader.body(request)
            name = (operation.get("tags") or [""])[0]
            tag = tags.setdefault(name, Tag(name, "tag-" + name))
            tag.operations.append(Operation(
                anchor=operation.get("operationId") or f"{method}-{path}",
                method=method.upper(),
                path=path,
                summary=operation.get("summary", ""),
                description=prose(operation.get("description", "")),
                access=access_of(operation.get("security", schema.get("security", [])), schemes),
                parameters=tuple(
                    reader.field(p["name"], {**p.get("schema", {}), "description": p.get("description", "")},
                                 required=bool(p.get("required")), location=p["in"])
                    for p in parameters
                ),
                request=body,
                responses=tuple(
                    Response(status, response.get("description", ""), reader.body(response.get("content")))
                    for status, response in sorted(operation.get("responses", {}).items())
                ),
                curl=curl(
                    method, base_url + example_path(path, parameters),
                    headers=tuple(p["name"] for p in parameters if p["in"] == "header" and p.get("required")),
                    body=reader.example(request["application/json"]["schema"]) if body else None,
                ),
            ))
    types = [
        DataType(name, anchor_of(name), prose(node.get("description", "")), reader.fields_of(node),
                 tuple("null" if value is None else str(value) for value in node.get("enum", ())))
        for name, node in sorted(reader.components.items())
    ]
    info = schema.get("info", {})
    statuses = sorted({r.status for tag in tags.values() for operation in tag.operations for r in operation.responses})
    return Reference(info.get("title", ""), info.get("version", ""), prose(info.get("description", "")),
                     sorted(tags.values(), key=lambda tag: tag.name), types,
                     [(status, status_meaning(status)) for status in statuses])


@lru_cache(maxsize=8)
def schema_for(version: str, language: str) -> dict:
    """The schema as /api/schema/ serves it, in `language` (the active one), as plain JSON values."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(generated, cls=DjangoJSONEncoder))


@lru_cache(maxsize=32)
def _html(version: str, language: str, base_url: str) -> str:
    # A SafeString: the template escaped every text of the schema.
    return render_to_string("api/_reference.html", {"reference": reference(schema_for(version, language), base_url=base_url)})


def reference_html(*, language: str, base_url: str) -> str:
    """The page's body in `language`, which must be the active one; its curl examples address `base_url`."""
    return _html(settings.SPECTACULAR_SETTINGS["VERSION"], language, base_url)
