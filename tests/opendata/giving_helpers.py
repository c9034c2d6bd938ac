"""The official 360Giving 1.4 schemas (../shared/standards/360giving, read in place) as a validator, and the
standard's CSV column titles read from the grant schema."""
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

STANDARD = Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "360giving"
# The package schema (1.4.3) refers to the grant schema by its 1.4.2 address; the grant schema's own $id is 1.4.3.
GRANT_SCHEMA_REF = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"


def _load(name) -> dict:
    return json.loads((STANDARD / name).read_text(encoding="utf-8"))


@cache
def grant_schema() -> dict:
    return _load("360-giving-schema.json")


@cache
def package_validator() -> Draft202012Validator:
    """Validates a package offline: the grant schema is registered under both addresses (nothing is fetched),
    the draft is given explicitly (its `$schema` spelling is not auto-detected), and formats are checked, without
    which a plain date matches both branches of the standard's date `oneOf` and fails."""
    package = _load("360-giving-package-schema.json")
    grant = DRAFT202012.create_resource(grant_schema())
    registry = Registry().with_resources([
        (GRANT_SCHEMA_REF, grant),
        (grant_schema()["$id"], grant),
        (package["$id"], DRAFT202012.create_resource(package)),
    ])
    return Draft202012Validator(package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validation_errors(package) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in package_validator().iter_errors(package))


def _definition(schema):
    """A property's schema, following a local `#/$defs/...` reference."""
    ref = schema.get("$ref")
    return grant_schema()["$defs"][ref.rsplit("/", 1)[1]] if ref else schema


def standard_column_title(path) -> str:
    """The CSV title the standard gives the value at `path` in a grant: the property's title, and for an array of
    objects ":" and the sub-property's title ("Recipient Org:Identifier")."""
    prop = grant_schema()["properties"][path[0]]
    title = _definition(prop)["title"]
    if len(path) == 1:
        return title
    item = _definition(prop["items"])
    return f"{title}:{item['properties'][path[-1]]['title']}"
