"""Latency and throughput of the portal's pages under gunicorn, side by side with a
minimal view that renders the base template through the same middleware, and with the
bare floor: a Django view behind SecurityMiddleware and CommonMiddleware only
(bench/floor_settings.py), served by the same gunicorn settings just before.

    .venv/bin/python bench/http_bench.py [--scale 10] [--seconds 10] [--connections 8]

It makes a throwaway PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tip_bench), fills it with the full-scale data set
(``seed_full_scale``: 35 states, 22 recommendations, 3 cycles, ``--scale`` updates per
state and recommendation per cycle), starts gunicorn on a free port with Redis as the
cache, and loads each page with wrk from this machine's loopback. Needs wrk (Debian:
apt-get install wrk) and gunicorn. Prints a Markdown table; --json writes the figures.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/tip_bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url: str, var: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "SECRET_KEY": "bench-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_VAR_DIR": str(var),
        "DEBUG": "0",
        "API_THROTTLE_ANON": "off",
        "API_THROTTLE_USER": "off",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def recreate_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(parsed._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def vacuum_analyze(url: str) -> None:
    """What autovacuum does to a live database soon after a bulk load: the planner's
    statistics, and the visibility map that lets index-only scans skip the table.
    Without it (autovacuum is off on some development servers) the bench measures a
    database no deployment has."""
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


SESSION_SNIPPET = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from accounts.models import ApiToken
from recommendations.models import MemberState
from accounts.services import user_assign_role
User = get_user_model()
user, _ = User.objects.get_or_create(
    username="bench-focal", defaults={"email": "bf@example.org"}
)
mexico = MemberState.objects.get(iso3="MEX")
user_assign_role(user=user, role="focal_point", member_state=mexico)
client = Client()
client.force_login(user)
_token, secret = ApiToken.objects.create(user=user, name="bench")
print(client.cookies[settings.SESSION_COOKIE_NAME].value, secret)
"""


QUERIES_SNIPPET = """
import json, sys
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import ApiToken, User
# The host wrk uses: the test client's own "testserver" is not an allowed host.
focal = Client(HTTP_HOST="127.0.0.1")
focal.force_login(User.objects.get(username="bench-focal"))
_token, token = ApiToken.objects.create(
    user=User.objects.get(username="bench-focal"), name="bench queries"
)
counts = {}
for name, path, who in json.loads(TARGETS):
    client = focal if who == "signed_in" else Client(HTTP_HOST="127.0.0.1")
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if who == "api" else {}
    if who == "uncached":
        client.cookies["sessionid"] = "none"
    cache.clear()
    client.get(path, **headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}: no query count")
    counts[name] = len(queries)
print(json.dumps(counts))
"""


def count_queries(env: dict, targets: list) -> dict:
    """SQL queries of each page, in-process, after a first request warmed it up."""
    plan = [(name, path, kind) for name, path, kind in targets]
    snippet = f"TARGETS = {json.dumps(json.dumps(plan))}\n" + QUERIES_SNIPPET
    # The version read afresh each time: the snippet empties the cache between pages.
    env = {**env, "PAGE_CACHE_VERSION_MS": "0"}
    return json.loads(manage(env, "shell", "-v", "0", "-c", snippet).splitlines()[-1])


def wrk(url: str, seconds: int, connections: int, headers: list[str]) -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


FLOOR = ("bare floor (Security + Common middleware)", "/floor/", "anonymous")
TARGETS = [
    ("minimal view (base template)", "/en/bench/minimal/", "anonymous"),
    ("home page, cached", "/en/", "anonymous"),
    ("public dashboard, cached", "/en/status/", "anonymous"),
    ("public dashboard, uncached", "/en/status/", "uncached"),
    ("map, cached", "/en/status/map/", "anonymous"),
    ("state page (Mexico), cached", "/en/states/MEX/", "anonymous"),
    ("state page (Mexico), uncached", "/en/states/MEX/", "uncached"),
    ("recommendation 4, cached", "/en/recommendations/4/", "anonymous"),
    ("focal point's dashboard", "/en/workspace/MEX/", "signed_in"),
    ("API: progress updates", "/api/v1/progress-updates/", "api"),
    ("API: status", "/api/v1/status/", "api"),
]


@contextlib.contextmanager
def gunicorn(env: dict, workers: int):
    """gunicorn on a free port with the settings ``env`` names, until the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def load(base: str, target: tuple, headers: list[str], options) -> dict:
    name, path, kind = target
    urllib.request.urlopen(
        urllib.request.Request(
            f"{base}{path}", headers=dict(h.split(": ", 1) for h in headers)
        )
    )  # warm the cache and the workers
    result = wrk(f"{base}{path}", options.seconds, options.connections, headers)
    print(f"  {name}: {result['rps']:.0f} req/s", file=sys.stderr)
    return {"page": name, "path": path, "kind": kind, **result}


def median_round(rounds: list[dict]) -> dict:
    """A page's figures from its median round by requests per second, with each
    round's requests per second beside them."""
    ranked = sorted(rounds, key=lambda figures: figures["rps"])
    return {**ranked[(len(ranked) - 1) // 2], "rounds": [r["rps"] for r in rounds]}


def median(values: list[float]) -> float:
    ranked = sorted(values)
    middle = len(ranked) // 2
    if len(ranked) % 2:
        return ranked[middle]
    return (ranked[middle - 1] + ranked[middle]) / 2


def seed(env: dict, database_url: str, *, cycles: int, scale: int) -> None:
    """A fresh database at full scale, with the statistics a live one would have."""
    recreate_database(database_url)
    manage(env, "migrate", "--noinput")
    print(f"Seeding {cycles} cycles x {scale} updates ...", file=sys.stderr)
    manage(env, "seed_full_scale", "--force", f"--cycles={cycles}", f"--per={scale}")
    vacuum_analyze(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=3, help="Every page loaded this many times."
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="Also write the figures to this file.")
    parser.add_argument("--reuse", action="store_true", help="Keep the existing data.")
    options = parser.parse_args()
    for program in ("wrk",):
        if shutil.which(program) is None:
            sys.exit(f"{program} is not installed (Debian: apt-get install {program})")
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    var = Path(tempfile.mkdtemp(prefix="tip-bench-"))
    env = environment(database_url, var)
    if not options.reuse:
        seed(env, database_url, cycles=options.cycles, scale=options.scale)
    manage(env, "collectstatic", "--noinput", "-v0")
    session, token = manage(env, "shell", "-v", "0", "-c", SESSION_SNIPPET).split()[-2:]

    # Both servers up, loaded one at a time (an idle one costs nothing), page after
    # page, in rounds: the machine's speed drifts over minutes, and each round's
    # ratios compare pages measured within a few seconds of each other.
    kinds = {
        "anonymous": [],
        # A cookie named sessionid makes the public pages skip their cache: rendered
        # afresh, as for a signed-in visitor.
        "uncached": ["Cookie: sessionid=none"],
        "signed_in": [f"Cookie: sessionid={session}"],
        "api": [f"Authorization: Token {token}"],
    }
    rounds: list[list[dict]] = []
    with (
        gunicorn(
            {**env, "DJANGO_SETTINGS_MODULE": "bench.floor_settings"}, options.workers
        ) as floor_base,
        gunicorn(env, options.workers) as base,
    ):
        for number in range(1, options.rounds + 1):
            print(f"Round {number} of {options.rounds}:", file=sys.stderr)
            rounds.append(
                [
                    load(floor_base, FLOOR, [], options),
                    *(
                        load(base, target, kinds[target[2]], options)
                        for target in TARGETS
                    ),
                ]
            )
    queries = count_queries(env, TARGETS)
    print(
        f"\n{options.cycles} cycles, {options.scale} updates per state and "
        f"recommendation per cycle; gunicorn --workers={options.workers}; "
        f"wrk -t1 -c{options.connections} -d{options.seconds}s; "
        f"{options.rounds} rounds: each page's median round, and the median of "
        "each round's ratios\n"
    )
    print(
        "| page | req/s | median | p99 | ratio to minimal view | ratio to bare floor "
        "| SQL queries | req/s by round |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    rows = []
    for index, (name, _path, _kind) in enumerate([FLOOR, *TARGETS]):
        each = [figures[index] for figures in rounds]
        row = median_round(each)
        row["queries"] = 0 if index == 0 else queries.get(name)
        # Index 1 is the minimal view, 0 the floor, in every round.
        row["to_minimal"] = median([f[index]["rps"] / f[1]["rps"] for f in rounds])
        row["to_floor"] = median([f[index]["rps"] / f[0]["rps"] for f in rounds])
        rows.append(row)
        by_round = " / ".join(f"{rps:.0f}" for rps in row["rounds"])
        print(
            f"| {row['page']} | {row['rps']:.0f} | {row['p50']} | {row['p99']} | "
            f"{row['to_minimal']:.3f} | {row['to_floor']:.2f} | {row['queries']} | "
            f"{by_round} |"
        )
    if options.json:
        Path(options.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
