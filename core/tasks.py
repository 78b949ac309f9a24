import socket

from celery import shared_task


@shared_task
def ping() -> str:
    """Answer with the worker's host name: proves a worker took the task."""
    return f"pong from {socket.gethostname()}"
