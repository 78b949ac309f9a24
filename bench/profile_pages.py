"""Where the time of an uncached page goes: each page of http_bench rendered in-process,
several times, with the SQL timed apart from the Python and a cProfile of the rest.

    .venv/bin/python bench/http_bench.py --scale 10      # once: makes the data
    .venv/bin/python bench/profile_pages.py [--repeat 20] [--top 20] [--page dashboard]

It reads the database http_bench left (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tip_bench), with the same settings (bench.settings,
DEBUG off), and the test client on the host wrk uses. For each page it prints the
milliseconds per request (wall and CPU), of which in SQL, the queries, and the
functions with most time of their own and most cumulative time.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_bench import DEFAULT_DATABASE, TARGETS, environment  # noqa: E402


class SqlTimer:
    """A database execute wrapper adding up the time spent in the database driver."""

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0
        self.slowest: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            self.seconds += took
            self.queries += 1
            self.slowest[sql] = max(took, self.slowest.get(sql, 0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument(
        "--page", help="Only the pages whose name contains this (e.g. 'API')."
    )
    options = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    os.environ.update(
        environment(database_url, Path(tempfile.mkdtemp(prefix="tip-profile-")))
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from accounts.models import ApiToken, User

    focal_user = User.objects.filter(username="bench-focal").first()
    if focal_user is None:
        sys.exit("No data: run bench/http_bench.py --scale 10 first.")
    focal = Client(HTTP_HOST="127.0.0.1")
    focal.force_login(focal_user)
    _token, token = ApiToken.objects.create(user=focal_user, name="bench profile")
    anonymous = Client(HTTP_HOST="127.0.0.1")
    uncached = Client(HTTP_HOST="127.0.0.1")
    uncached.cookies["sessionid"] = "none"
    clients = {
        "anonymous": (anonymous, {}),
        "uncached": (uncached, {}),
        "signed_in": (focal, {}),
        "api": (anonymous, {"HTTP_AUTHORIZATION": f"Token {token}"}),
    }
    for name, path, kind in TARGETS:
        if kind == "anonymous" and "minimal" not in name:
            continue  # the cached copies: nothing of the page's own work to see
        if options.page and options.page.lower() not in name.lower():
            continue
        client, headers = clients[kind]
        response = client.get(path, **headers)  # warm: templates, translations
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
        timer = SqlTimer()
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timer):
            for _ in range(options.repeat):
                client.get(path, **headers)
        wall = (time.perf_counter() - wall) / options.repeat * 1000
        cpu = (time.process_time() - cpu) / options.repeat * 1000
        sql = timer.seconds / options.repeat * 1000
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(options.repeat):
            client.get(path, **headers)
        profile.disable()
        print(
            f"\n## {name} ({path}): {wall:.1f} ms a request "
            f"({cpu:.1f} ms CPU in this process), of which SQL {sql:.1f} ms "
            f"in {timer.queries // options.repeat} queries"
        )
        print("\nslowest queries (ms, worst of the requests):")
        for sql, took in sorted(timer.slowest.items(), key=lambda item: -item[1])[:3]:
            print(f"  {took * 1000:6.1f}  {sql[:300]}")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats(order).print_stats(options.top)
            lines = out.getvalue().splitlines()
            start = next(i for i, line in enumerate(lines) if "ncalls" in line)
            print(f"\nby {order} ({options.repeat} requests):")
            print("\n".join(line for line in lines[start:] if line.strip()))


if __name__ == "__main__":
    main()
