"""Jobs of the core app, run by the project's job runner (Celery; `config/celery.py`)."""
from celery import shared_task

from .generated import generated_file_make
from .outbox import outbox_send, outbox_sweep


@shared_task(ignore_result=True)
def send_outbox_message(pk):
    outbox_send(pk)


@shared_task(ignore_result=True)
def sweep_outbox():
    """Periodic (every minute under `celery beat`): retries what failed or what a dead worker left claimed."""
    outbox_sweep()


@shared_task(ignore_result=True)
def make_generated_file(pk):
    generated_file_make(pk)
