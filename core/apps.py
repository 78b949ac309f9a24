from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: API plumbing and errors, downloads, Markdown,
    spreadsheets, web limits, and the public-page cache with its invalidation."""

    name = "core"
