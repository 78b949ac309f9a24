"""The portal's settings, plus a minimal view to compare the pages with."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
