from django.conf import settings
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        UnaccentExtension(),  # PostgreSQL only; SQLite gets a Python function per connection (lists/search.py)
        migrations.CreateModel(
            name="SavedView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("list_name", models.CharField(max_length=60)),
                ("name", models.CharField(max_length=80)),
                ("query", models.CharField(max_length=1000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="saved_views", to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["name"], "constraints": [models.UniqueConstraint(fields=("owner", "list_name", "name"), name="saved_view_unique_name")]},
        ),
        migrations.CreateModel(
            name="BulkJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("list_name", models.CharField(max_length=60)),
                ("scope", models.CharField(max_length=60)),
                ("query", models.CharField(blank=True, max_length=1000)),
                ("back_url", models.CharField(blank=True, max_length=1000)),
                ("ids", models.JSONField(blank=True, default=list)),
                ("action", models.CharField(max_length=60)),
                ("params", models.JSONField(blank=True, default=dict)),
                ("status", models.CharField(choices=[("queued", "Queued"), ("running", "Running"), ("finished", "Finished")], default="queued", max_length=10)),
                ("total", models.PositiveIntegerField(default=0)),
                ("done", models.PositiveIntegerField(default=0)),
                ("refused", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("actor", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="bulk_jobs", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
