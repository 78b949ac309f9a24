"""The portal as docker-compose.yml deploys it, run from this checkout without Docker.

PostgreSQL (a database of the run's own), a throwaway redis-server, gunicorn, a
Celery worker on the ``celery`` and ``reports`` queues and Celery beat, all with
``PORTAL_ENV=production``, behind Caddy running the project's own deploy/Caddyfile
with TLS from Caddy's local authority. Every process listens on 127.0.0.1 only, on a
free port, and writes its log to ``<folder>/logs``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import requests
import yaml

from tests import environment
from tests.celery_support import ThrowawayRedis, free_port

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
COMPOSE = ROOT / "docker-compose.yml"
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-change-me")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STARTUP_SECONDS = 120
STOP_SECONDS = 30
LOG_LINES = 40

# The open cycle's deadline is a real date; filing needs it ahead of today.
DEADLINE_AHEAD = """
from datetime import timedelta
from django.utils import timezone
from recommendations.models import ReportingCycle
soon = timezone.now() + timedelta(days=2)
ReportingCycle.objects.filter(is_open=True, deadline__lt=soon).update(
    deadline=timezone.now() + timedelta(days=30)
)
"""


class StackError(RuntimeError):
    """The stack could not start; the logs say why."""


def compose_upstream() -> str:
    """Where Caddy finds the web application in docker-compose.yml: ``web:<port>``."""
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    command = compose["services"]["web"]["command"]
    bind = next(arg for arg in command if arg.startswith("--bind="))
    return f"web:{bind.rsplit(':', 1)[1]}"


def handlers(node) -> Iterator[dict]:
    """Every HTTP handler in a Caddy JSON configuration, however deeply nested."""
    if isinstance(node, dict):
        if "handler" in node:
            yield node
        for value in node.values():
            yield from handlers(value)
    elif isinstance(node, list):
        for value in node:
            yield from handlers(value)


@dataclass
class Stack:
    folder: Path
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    probe_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    database: str = f"tip_portal_production_{environment.RUN_ID}"
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    redis: ThrowawayRedis | None = None
    database_created: bool = False
    started_at: float = field(default_factory=time.monotonic)

    # --- Addresses ----------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def http_origin(self) -> str:
        return f"http://localhost:{self.http_port}"

    @property
    def probe_url(self) -> str:
        return f"http://127.0.0.1:{self.probe_port}/health"

    def url(self, path: str) -> str:
        return self.origin + path

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def root_certificate(self) -> Path:
        """Caddy's local authority, which the tests trust and nothing else does."""
        return self.xdg_data / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    @property
    def xdg_data(self) -> Path:
        return self.folder / "caddy-data"

    @property
    def redis_url(self) -> str:
        assert self.redis is not None
        return self.redis.url

    def client(self) -> requests.Session:
        """A visitor with no cookies yet, trusting Caddy's authority only."""
        session = requests.Session()
        session.verify = str(self.root_certificate)
        session.trust_env = False  # no proxy or CA bundle from the environment
        return session

    def sign_in(self, username: str) -> requests.Session:
        """A session signed in through the login form, as a browser does it."""
        session = self.client()
        login = self.url("/en/accounts/login/")
        form = session.get(login, timeout=30)
        form.raise_for_status()
        response = session.post(
            login,
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "next": "",
                "csrfmiddlewaretoken": CSRF_FIELD.search(form.text).group(1),
            },
            # Over HTTPS, Django's CSRF check wants a same-origin Referer.
            headers={"Referer": login},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302:
            raise AssertionError(f"{username} could not sign in: {response.text}")
        return session

    # --- The portal's environment -------------------------------------------------

    def maintenance_url(self) -> str:
        return urlparse(environment.POSTGRES_URL)._replace(path="/postgres").geturl()

    def database_url(self) -> str:
        return (
            urlparse(environment.POSTGRES_URL)
            ._replace(path=f"/{self.database}")
            .geturl()
        )

    def postgres(self, statement: str) -> None:
        """A statement outside any transaction, as CREATE DATABASE needs."""
        admin = psycopg2.connect(self.maintenance_url())
        try:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()

    def portal_env(self) -> dict[str, str]:
        """What docker-compose.yml gives the portal's containers, for this host.

        Built from nothing rather than from the test run's environment, which
        tests/environment.py filled with test settings (eager Celery, SQLite...).
        """
        var = self.folder / "var"
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # gunicorn keeps a control socket in ~/.gunicorn: one per stack.
            "HOME": str(self.folder / "home"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_ENV": "production",
            "SECRET_KEY": self.secret_key,
            # As compose adds the service's name and the loopback names to DOMAIN.
            "ALLOWED_HOSTS": "localhost,web,127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": self.origin,
            "SITE_URL": self.origin,
            "DATABASE_URL": self.database_url(),
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": self.redis_url,
            "TRUSTED_PROXIES": "1",
            "DEFAULT_FROM_EMAIL": "Portal <portal@localhost>",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            # The image's ENV: var/, the media volume, the collected static files.
            "PORTAL_VAR_DIR": str(var),
            "MEDIA_ROOT": str(var / "media"),
            "STATIC_ROOT": str(self.folder / "staticfiles"),
        }

    # --- Caddy's configuration ----------------------------------------------------

    def caddy_config(self) -> dict:
        """deploy/Caddyfile as Caddy reads it, on this host's free ports.

        A wrapper Caddyfile imports the project's one under global options: no
        admin endpoint, every site bound to 127.0.0.1, the HTTP port for the
        redirect, and the local authority kept out of the system's trust store.
        The site's port goes in DOMAIN rather than in ``https_port``: with
        ``https_port`` alone Caddy 2.6 redirects to a URL without the port (right
        for 443, unreachable here). Caddy adapts that to JSON, in which two
        addresses of the compose network are then moved onto this host: the
        upstream ``web:8000`` (checked against compose's web service) becomes
        gunicorn's port, and the load balancer's probe on ``:8080`` a free port.
        Nothing else is changed.
        """
        wrapper = self.folder / "Caddyfile"
        wrapper.write_text(
            "{\n"
            "\tadmin off\n"
            f"\thttp_port {self.http_port}\n"
            "\tdefault_bind 127.0.0.1\n"
            "\tskip_install_trust\n"
            "}\n"
            f"import {CADDYFILE}\n",
            encoding="utf-8",
        )
        adapted = subprocess.run(
            [environment.CADDY, "adapt", "--config", str(wrapper)],
            env={**self.caddy_env(), "DOMAIN": f"localhost:{self.https_port}"},
            capture_output=True,
            text=True,
            check=False,
        )
        if adapted.returncode != 0:
            raise StackError(f"caddy adapt failed:\n{adapted.stderr}")
        config = json.loads(adapted.stdout)

        proxies = [h for h in handlers(config) if h["handler"] == "reverse_proxy"]
        dials = sorted({u["dial"] for h in proxies for u in h.get("upstreams", [])})
        if dials != [compose_upstream()]:
            raise StackError(
                f"deploy/Caddyfile proxies to {dials}, but docker-compose.yml's web "
                f"service listens at {compose_upstream()}"
            )
        for proxy in proxies:
            proxy["upstreams"] = [{"dial": f"127.0.0.1:{self.web_port}"}]

        site = f"127.0.0.1:{self.https_port}"
        others = [
            server
            for server in config["apps"]["http"]["servers"].values()
            if server["listen"] != [site]
        ]
        if len(others) != 1 or not others[0]["listen"][0].endswith(":8080"):
            raise StackError(f"expected the site and the :8080 probe, got {config}")
        others[0]["listen"] = [f"127.0.0.1:{self.probe_port}"]
        return config

    def caddy_env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.folder / "caddy-home"),
            # Caddy's authority and certificates live here, thrown away after.
            "XDG_DATA_HOME": str(self.xdg_data),
            "XDG_CONFIG_HOME": str(self.folder / "caddy-config"),
        }

    # --- Processes ----------------------------------------------------------------

    def _log(self, name: str):
        return (self.logs / f"{name}.log").open("ab")

    def run_once(self, jobs: dict[str, list[str]], timeout: float = 600) -> None:
        """One-off commands, side by side, like compose's ``migrate`` service."""
        running = {}
        for name, command in jobs.items():
            with self._log(name) as log:
                running[name] = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.portal_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        try:
            for name, process in running.items():
                if process.wait(timeout) != 0:
                    raise StackError(f"{name} exited with {process.returncode}")
        finally:
            for process in running.values():
                stop(process)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with self._log(name) as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that its children stop with it.
                start_new_session=True,
            )

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not condition():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise StackError(
                        f"{name} exited with {process.returncode} while waiting "
                        f"for {what}"
                    )
            if time.monotonic() > deadline:
                raise StackError(f"timed out waiting for {what}")
            time.sleep(0.2)

    def note(self, what: str) -> None:
        """A line in logs/stack.log: how long each step took to get there."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / "stack.log").open("a", encoding="utf-8") as log:
            log.write(f"{time.monotonic() - self.started_at:6.1f}s {what}\n")

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return path.read_text(encoding="utf-8", errors="replace")

    def log_tails(self) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"--- {path} (last {LOG_LINES} of {len(lines)} lines)")
            parts.extend(lines[-LOG_LINES:])
        return "\n".join(parts)

    # --- Up and down ---------------------------------------------------------------

    def up(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.folder / "home").mkdir(exist_ok=True)
        python = sys.executable
        manage = [python, "manage.py"]

        self.note("starting")
        self.redis = ThrowawayRedis(self.folder)
        self.redis.start()

        self.postgres(f'CREATE DATABASE "{self.database}"')
        self.database_created = True

        # The image collects static files at build time, the migrate service
        # migrates: side by side here, then the demo.
        self.run_once(
            {
                "migrate": [*manage, "migrate", "--noinput"],
                "collectstatic": [*manage, "collectstatic", "--noinput"],
            }
        )
        self.note("migrated, static files collected")
        self.run_once({"deadline": [*manage, "shell", "-c", DEADLINE_AHEAD]})
        self.run_once({"seed_demo": [*manage, "seed_demo", "--force"]})
        self.note("demo loaded")

        env = self.portal_env()
        # The commands of docker-compose.yml's web, worker and beat services, with
        # fewer processes for two cores.
        self.start(
            "gunicorn",
            [
                *(python, "-m", "gunicorn", "portal.wsgi:application"),
                f"--bind=127.0.0.1:{self.web_port}",
                "--workers=2",
                "--timeout=60",
                "--access-logfile=-",
            ],
            env,
        )
        self.start(
            "worker",
            [
                *(python, "-m", "celery", "--app=portal", "worker"),
                "--queues=celery,reports",
                "--concurrency=2",
                "--max-memory-per-child=600000",
                "--loglevel=INFO",
                f"--hostname=production-{environment.RUN_ID}@%h",
            ],
            env,
        )
        self.start(
            "beat",
            [
                *(python, "-m", "celery", "--app=portal", "beat"),
                f"--schedule={self.folder / 'celerybeat-schedule'}",
                f"--pidfile={self.folder / 'celerybeat.pid'}",
                "--loglevel=INFO",
            ],
            env,
        )
        config_path = self.folder / "caddy.json"
        config_path.write_text(json.dumps(self.caddy_config(), indent=1))
        self.start(
            "caddy",
            [environment.CADDY, "run", "--config", str(config_path)],
            self.caddy_env(),
        )

        self.wait_until(self.root_certificate.exists, "Caddy's root certificate")
        self.wait_until(self._ready, "/readyz through Caddy")
        self.wait_until(
            lambda: re.search(r"@\S+ ready\.", self.log_text("worker")),
            "the Celery worker",
        )
        self.wait_until(lambda: "beat: Starting" in self.log_text("beat"), "beat")
        self.note(f"up at {self.origin}")

    def _ready(self) -> bool:
        try:
            response = self.client().get(self.url("/readyz"), timeout=5)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def down(self) -> None:
        self.note("stopping")
        for process in reversed(list(self.processes.values())):
            stop(process)
        self.processes.clear()
        if self.redis is not None:
            self.redis.stop()
        if self.database_created:
            self.postgres(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.database_created = False

    def pids(self) -> set[int]:
        """The stack's processes and their children (each started in its group)."""
        groups = {process.pid for process in self.processes.values()}
        if self.redis is not None and self.redis.process is not None:
            groups.add(self.redis.process.pid)
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, group = int(stat.parent.name), int(fields[2])
            if group in groups or pid in groups:
                found.add(pid)
        return found


def stop(process: subprocess.Popen) -> None:
    """Stop a process and its group: politely, then not."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
