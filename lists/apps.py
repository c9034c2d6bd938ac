from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = "Lists"

    def ready(self):
        from .search import register_sqlite_unaccent

        connection_created.connect(register_sqlite_unaccent)
