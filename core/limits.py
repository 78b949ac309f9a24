"""How often one address or one account may try something on the web: fail to sign
in, ask for a password reset. The API has DRF's throttles; these are their web
counterparts, with the same "N/second|minute|hour|day" rates (``PORTAL_LIMITS`` in
the settings, ``off`` turns one off).

Counts live in the cache over fixed windows (every hour on the hour, for an hourly
rate), so checking costs one cache read. The identity counted (an address, an email
address someone typed) is hashed: no personal data in cache keys.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PERIODS = {"second": 1, "minute": 60, "hour": 60 * 60, "day": 60 * 60 * 24}


@dataclass(frozen=True)
class Limit:
    """One limit, by its name in ``settings.PORTAL_LIMITS``."""

    scope: str

    def _rate(self) -> tuple[int, int] | None:
        rate = settings.PORTAL_LIMITS.get(self.scope)
        if rate is None:
            return None
        number, _slash, period = rate.partition("/")
        return int(number), PERIODS[period]

    def _window(self, ident: str, seconds: int) -> tuple[str, int]:
        now = int(time.time())
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
        return (
            f"limit:{self.scope}:{digest}:{now // seconds}",
            seconds - now % seconds,
        )

    def wait(self, ident: str) -> int:
        """Seconds until ``ident`` may try again: 0 while under the limit."""
        rate = self._rate()
        if rate is None:
            return 0
        count, seconds = rate
        key, left = self._window(ident, seconds)
        return left if cache.get(key, 0) >= count else 0

    def hit(self, ident: str) -> None:
        """Count one try of ``ident``."""
        rate = self._rate()
        if rate is None:
            return
        key, left = self._window(ident, rate[1])
        cache.add(key, 0, left + 1)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls: a new window
            cache.add(key, 1, rate[1])


SIGNIN_FAILURES_PER_ADDRESS = Limit("signin-address")
PASSWORD_RESETS_PER_ADDRESS = Limit("password-reset-address")
PASSWORD_RESETS_PER_ACCOUNT = Limit("password-reset-account")
