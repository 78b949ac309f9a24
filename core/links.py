"""Links: absolute ones for what leaves the portal, and links reversed once for all
the rows of a page or list."""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse as django_reverse

# Stand for the parts of a link that change from row to row: digits, which every
# converter of the portal's addresses accepts.
STAND_INS = ("999999991", "999999992", "999999993")
_STAND_IN = re.compile("|".join(STAND_INS))


def absolute_url(path: str) -> str:
    """Always on SITE_URL, never on the Host header a request carried: for emails,
    the feed and the open data."""
    return f"{settings.SITE_URL}{path}"


def link_for_each(
    viewname: str,
    *args: Any,
    reverse: Callable[..., str] = django_reverse,
    **kwargs: Any,
) -> Callable[..., str]:
    """``reverse(viewname, args or kwargs)`` for many rows at the cost of one. Each
    ``...`` among the arguments is a part that changes from row to row; the
    function returned takes those parts, in the order given, and writes them in.
    A ``reverse`` a row was a tenth of an API list of 50 and more of a state's
    page (bench/README.md). ``reverse`` may be DRF's with its request bound, for
    the API's absolute links."""
    stand_ins = iter(STAND_INS)
    args = tuple(next(stand_ins) if arg is ... else arg for arg in args)
    kwargs = {
        key: next(stand_ins) if value is ... else value for key, value in kwargs.items()
    }
    link = reverse(viewname, args=args or None, kwargs=kwargs or None)
    pieces = _STAND_IN.split(link)
    slots = [STAND_INS.index(found) for found in _STAND_IN.findall(link)]
    if slots == [0]:  # the common case, as fast as ``str.replace``
        head, tail = pieces
        return lambda part: f"{head}{part}{tail}"

    def fill(*parts: object) -> str:
        written = [pieces[0]]
        for slot, piece in zip(slots, pieces[1:], strict=True):
            written += (str(parts[slot]), piece)
        return "".join(written)

    return fill
