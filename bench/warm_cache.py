"""From an acceptance to a warm cache: how long readers keep the previous pages after
a publication, at full scale, with a real Celery worker over Redis.

    .venv/bin/python bench/warm_cache.py [--scale 10] [--reuse]

Seeds a throwaway database as bench/http_bench.py does (BENCH_DATABASE_URL), starts one
Celery worker (concurrency 1, Redis as broker and cache), accepts one submitted update
through recommendations.services.progress_update_accept, and waits for the
publication version to move. Meanwhile a reader asks for Mexico's page again and
again: each answer's status, whether it came from the cache (no SQL query) and which
version it carried are counted. Afterwards every page of reporting.warm's list, in
four languages, is asked for once: those answered without a query were warm.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_bench import (  # noqa: E402 - after the path the script needs
    DEFAULT_DATABASE,
    environment,
    manage,
    seed,
)

HOST = "127.0.0.1"
DRIVER = """
import json, time
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from core import publication
from recommendations import services
from recommendations.models import ProgressUpdate, ReviewState
from reporting.warm import most_read_pages
from tests import factories
from accounts.models import Role

reviewer = factories.secretariat(Role.REVIEWER, username=f"bench-rev-{time.time_ns()}")
# The seed leaves one update open per state and recommendation: one of Mexico's.
update = ProgressUpdate.objects.filter(
    member_state__iso3="MEX", cycle__is_open=True, review_state=ReviewState.SUBMITTED
).first()
reader = Client(HTTP_HOST=HOST)
page = "/en/states/MEX/"
reader.get(page)  # the previous copy, as readers have it
before = publication.version()
checklist = dict.fromkeys(services.REVIEW_CHECKLIST, True)

started = time.monotonic()
services.progress_update_accept(update=update, actor=reviewer, checklist=checklist)
accepted = time.monotonic() - started
reads = []
while publication.version() == before and time.monotonic() - started < 600:
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(page)
    reads.append((response.status_code, len(queries), before in response["ETag"]))
    time.sleep(0.05)
current = time.monotonic() - started
after = publication.version()

paths = most_read_pages()
warm = 0
for path in paths:
    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST=HOST).get(path)
    warm += response.status_code == 200 and len(queries) == 0
print(json.dumps({
    "accept_call_s": round(accepted, 3),
    "acceptance_to_warm_s": round(current, 2),
    "version_moved": after != before,
    "reads": len(reads),
    "reads_200": sum(1 for status, _q, _old in reads if status == 200),
    "reads_from_cache": sum(1 for _s, queries, _old in reads if queries == 0),
    "reads_previous_copy": sum(1 for _s, _q, old in reads if old),
    "pages": len(paths),
    "pages_warm": warm,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="Keep the existing data.")
    options = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    var = Path(tempfile.mkdtemp(prefix="tip-warm-"))
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {
        **environment(database_url, var),
        "CELERY_BROKER_URL": redis,
        "PUBLICATION_WARM": "1",
        "SITE_URL": f"http://{HOST}",
    }
    if not options.reuse:
        seed(env, database_url, cycles=options.cycles, scale=options.scale)
    log = var / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                Path(sys.executable).with_name("celery"),
                *("-A", "portal", "worker", "-Q", "celery", "--concurrency=1"),
                *("--without-gossip", "--without-mingle", "--loglevel=INFO"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        try:
            time.sleep(8)  # the worker up and listening
            snippet = f"HOST = {HOST!r}\n" + DRIVER
            output = manage(env, "shell", "-v", "0", "-c", snippet)
        finally:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
    figures = json.loads(output.splitlines()[-1])
    print(json.dumps(figures, indent=1))
    print(f"worker log: {log}", file=sys.stderr)


if __name__ == "__main__":
    main()
