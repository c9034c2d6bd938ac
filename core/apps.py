from django.apps import AppConfig
from django.urls import register_converter

from .converters import IdConverter


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        register_converter(IdConverter, "id")
