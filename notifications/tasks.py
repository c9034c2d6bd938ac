"""Jobs of the notifications app, run by the project's job runner (Celery; `config/celery.py`)."""
from celery import shared_task

from .digest import digests_send


@shared_task(ignore_result=True)
def send_digests():
    """Daily under `celery beat` (settings.CELERY_BEAT_SCHEDULE)."""
    digests_send()
