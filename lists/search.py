"""Search that ignores accents and case: "Sante" finds "Santé", "ÉCPAT" finds "Ecpat".

Both databases answer `UNACCENT(column)`: PostgreSQL with its `unaccent` extension (created by this app's migration),
SQLite with the Python function registered on each new connection. The text searched for is folded the same way in
Python, and matched with a case-insensitive `LIKE`, so the query is the same on both.
"""
import unicodedata

from django.db.models import CharField, Func, Q


def fold(text: str) -> str:
    """Lower case without accents (decomposed, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def register_sqlite_unaccent(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("UNACCENT", 1, lambda value: None if value is None else fold(value), deterministic=True)


class Unaccent(Func):
    function = "UNACCENT"
    output_field = CharField()


def search(queryset, fields, text):
    """`queryset` narrowed to rows where every word of `text` is in one of `fields` (accents and case ignored)."""
    words = fold(text).split()
    if not words or not fields:
        return queryset
    names = {field: f"_search_{i}" for i, field in enumerate(fields)}
    queryset = queryset.alias(**{alias: Unaccent(field) for field, alias in names.items()})
    for word in words[:8]:
        queryset = queryset.filter(Q(*[Q(**{f"{alias}__icontains": word}) for alias in names.values()], _connector=Q.OR))
    return queryset
