"""The project's job runner: Celery, with Redis as broker (`CELERY_BROKER_URL`, by default `REDIS_URL`).

Without a broker (the SQLite default, `make run`) every job runs at once in the process that asks for it, so one
process does everything. With one, `celery -A config worker` runs jobs on any number of machines and
`celery -A config beat` schedules the periodic ones (docs/DEPLOY.md)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
