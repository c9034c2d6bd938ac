"""Data: the two PRAG evaluation grid templates (full application out of 100, concept note out of 50)."""
from django.db import migrations

from grants.grids import PRAG_TEMPLATES, rows_create

MODELS = ("EvaluationGrid", "GridSection", "Criterion")


def create_templates(apps, schema_editor):
    models = tuple(apps.get_model("grants", name) for name in MODELS)
    for data in PRAG_TEMPLATES:
        if not models[0].objects.filter(call=None, name=data.name).exists():
            rows_create(data, models=models)


def remove_templates(apps, schema_editor):
    apps.get_model("grants", "EvaluationGrid").objects.filter(call=None, name__in=[d.name for d in PRAG_TEMPLATES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("grants", "0003_review_settings_and_grids"),
    ]

    operations = [
        migrations.RunPython(create_templates, remove_templates),
    ]
