"""Read settings from the environment, failing loudly on values that make no sense."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean (use 1/0, true/false)."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not one of: {', '.join(choices)}."
        )
    return value


# Django's own deployment check asks for this much of a SECRET_KEY.
SECRET_MIN_LENGTH = 50
SECRET_MIN_UNIQUE_CHARACTERS = 5


def require_strong_secret(name: str, value: str) -> None:
    """Refuse a key that is short, repetitive or copied from an example."""
    weak = (
        len(value) < SECRET_MIN_LENGTH
        or len(set(value)) < SECRET_MIN_UNIQUE_CHARACTERS
        or value.startswith("django-insecure")
        or "change-me" in value
        or "insecure" in value
    )
    if weak:
        raise ImproperlyConfigured(
            f"{name} is too weak for production: use at least {SECRET_MIN_LENGTH} "
            "random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
