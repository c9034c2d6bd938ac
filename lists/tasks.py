"""Jobs of the lists app, run by the project's job runner (Celery; `config/celery.py`)."""
from celery import shared_task

from .bulk import bulk_job_run


@shared_task(ignore_result=True)
def run_bulk_job(pk):
    bulk_job_run(pk)
