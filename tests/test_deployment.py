"""The production stack as docker-compose.yml describes it (no Docker engine runs here,
so the file is checked, service by service)."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)")
PORTAL_SERVICES = ["migrate", "web", "worker", "beat"]
# One-shot jobs started on demand (`docker compose --profile NAME run --rm NAME`).
JOBS = {name: service for name, service in SERVICES.items() if "profiles" in service}


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_every_service_of_the_stack_is_there():
    assert set(SERVICES) - set(JOBS) == {
        "db",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
        "proxy",
    }


@pytest.mark.parametrize("name", sorted(set(SERVICES) - set(JOBS)))
def test_every_service_has_a_health_check(name):
    check = SERVICES[name]["healthcheck"]
    assert check["test"] and check["test"][0] in {"CMD", "CMD-SHELL"}
    assert "interval" in check


def test_web_worker_and_beat_run_the_same_image_with_the_same_configuration():
    images = {SERVICES[name]["image"] for name in PORTAL_SERVICES}
    assert images == {"tip-portal:latest"}
    environments = [SERVICES[name]["environment"] for name in PORTAL_SERVICES]
    assert all(env == environments[0] for env in environments)
    assert "gunicorn" in SERVICES["web"]["command"]
    assert SERVICES["worker"]["command"][2] == "worker"
    assert SERVICES["beat"]["command"][2] == "beat"


def test_workers_can_be_scaled():
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert "--scale worker=" in (ROOT / "README.md").read_text()


def test_scaled_workers_share_the_sections_of_a_draft():
    # `--scale worker=N`: a draft's sections are a chord (a result backend), spread
    # over every worker taking the reports queue, their files on the shared volume.
    worker = SERVICES["worker"]
    assert worker["environment"]["CELERY_RESULT_BACKEND"].startswith("redis://redis")
    assert "--queues=celery,reports" in worker["command"]
    assert "media:/app/var/media" in worker["volumes"]


def test_the_app_waits_for_its_database_broker_and_migrations():
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_tls_terminates_at_the_proxy_in_front_of_the_app():
    proxy = SERVICES["proxy"]
    assert "443:443" in proxy["ports"]
    assert "ports" not in SERVICES["web"]  # reached only through the proxy
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "X-Forwarded-Proto" in caddyfile


def test_media_and_database_live_on_volumes():
    assert "media:/app/var/media" in SERVICES["web"]["volumes"]
    assert "media:/app/var/media" in SERVICES["worker"]["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert {"pgdata", "media", "redisdata"} <= set(COMPOSE["volumes"])


def test_configuration_comes_only_from_the_environment():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(VARIABLE.findall(text)) - {"HOSTNAME"}
    listed = set(env_example())
    assert used - listed == set(), (
        "variables the compose file uses but .env.example lacks"
    )
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    for name in listed - {
        "DOMAIN",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "WEB_CONCURRENCY",
        "WORKER_CONCURRENCY",
    }:
        assert f'"{name}"' in settings_source, (
            f"{name} is listed but no setting reads it"
        )


def test_no_secret_is_written_in_the_compose_file():
    environment = SERVICES["web"]["environment"]
    for name in ("SECRET_KEY", "EMAIL_HOST_PASSWORD"):
        assert environment[name].startswith("${")
    assert "POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    for value in env_example().values():
        assert "change-me" in value or not re.search(r"(?i)password|secret", value)


# --- the Dockerfile, stage by stage (no engine builds it here) ---


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions, (keyword, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            current = stages.setdefault(arguments.split(" AS ")[-1].strip(), [])
        current.append((keyword, " ".join(arguments.split())))
    return stages


STAGES = dockerfile_stages()
RUNTIME = STAGES["runtime"]


def instructions(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for name, arguments in stage if name == keyword]


def apt_packages(stage: list[tuple[str, str]]) -> set[str]:
    packages = set()
    for command in instructions(stage, "RUN"):
        for install in re.findall(r"apt-get install ([^&]*)", command):
            packages |= {word for word in install.split() if not word.startswith("-")}
    return packages


def test_the_image_has_what_weasyprint_and_backups_need():
    packages = apt_packages(RUNTIME)
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libcairo2"} <= packages
    assert any(package.startswith("postgresql-client") for package in packages)
    runs = " ".join(instructions(RUNTIME, "RUN"))
    assert "collectstatic" in runs and ("USER", "portal") in RUNTIME


def test_the_compose_stack_runs_the_last_stage_of_the_image():
    assert list(STAGES)[-1] == "runtime"
    for name in PORTAL_SERVICES:
        assert SERVICES[name]["build"] == {"context": ".", "target": "runtime"}


def test_the_postgresql_client_is_the_major_version_of_the_server():
    server = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", SERVICES["db"]["image"])
    clients = [
        re.fullmatch(r"postgresql-client-(\d+)", package)
        for package in apt_packages(RUNTIME)
    ]
    client = [match[1] for match in clients if match]
    assert server and client == [server[1]], (server, client)
    # Debian's own client is older: the PostgreSQL project's repository, for the
    # Debian release of the base image, signed by the key Debian ships for it.
    image = instructions(RUNTIME, "FROM")[0].split()[0]  # python:3.11-slim-bookworm
    base = image.rpartition("-")[2]
    runs = " ".join(instructions(RUNTIME, "RUN"))
    assert f"https://apt.postgresql.org/pub/repos/apt {base}-pgdg main" in runs
    key = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc"
    assert any(
        argument.startswith(f"--from=builder {key} ")
        for argument in instructions(RUNTIME, "COPY")
    )
    assert "postgresql-common" in apt_packages(STAGES["builder"])


def test_the_dependencies_are_installed_from_the_lock_with_their_hashes():
    builder = " ".join(instructions(STAGES["builder"], "RUN"))
    assert "pip install --no-cache-dir --require-hashes -r requirements/base.txt" in (
        builder
    )
    assert "--from=builder /opt/venv /opt/venv" in instructions(RUNTIME, "COPY")
    assert not any("pip install" in run for run in instructions(RUNTIME, "RUN"))


def test_the_runtime_stage_has_neither_tests_benchmarks_nor_build_tools():
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"tests", "bench", ".venv", ".git", ".env"} <= ignored
    for argument in instructions(RUNTIME, "COPY"):
        sources = argument.split()[:-1]
        assert not {"tests", "bench"} & {s.strip("./").split("/")[0] for s in sources}
    tools = {"build-essential", "gcc", "g++", "make", "libpq-dev"}
    assert not tools & apt_packages(RUNTIME)
    assert not any(package.endswith("-dev") for package in apt_packages(RUNTIME))
    assert "build-essential" in apt_packages(STAGES["builder"])


def test_the_dependency_audit_is_a_job_on_demand():
    audit = JOBS["audit"]
    assert audit["profiles"] == ["audit"] and audit["restart"] == "no"
    assert audit["build"]["target"] == "audit"
    stage = STAGES["audit"]
    assert "pip install --no-cache-dir --require-hashes -r requirements/tools.txt" in (
        " ".join(instructions(stage, "RUN"))
    )
    assert instructions(stage, "CMD") == ['["python", "bin/audit"]']
    assert "--profile audit run --rm audit" in (ROOT / "README.md").read_text()


# --- bin/run, with its programs replaced by stubs that say what they were given ---


def run_script(tmp_path: Path, **environment: str) -> list[str]:
    """bin/run in a copy of the project whose Python and Celery only log their
    SITE_URL and arguments: what the real ones would have been given."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "run").write_text((ROOT / "bin" / "run").read_text())
    (tmp_path / "bin" / "_venv.sh").write_text("")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    log = tmp_path / "log"
    for program in ("python", "celery"):
        stub = venv / program
        stub.write_text(f'#!/bin/sh\necho "{program} $SITE_URL $*" >> "{log}"\n')
        stub.chmod(0o755)
    outside = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(
        ["bash", str(tmp_path / "bin" / "run")],
        env={**outside, **environment},
        # Not checked: the exit trap stops a worker the stub never started.
        capture_output=True,
        timeout=60,
    )
    return log.read_text().splitlines()


def test_run_links_back_to_the_port_it_serves(tmp_path):
    lines = run_script(tmp_path, PORT="8123")
    assert "python http://localhost:8123 manage.py runserver 0.0.0.0:8123" in lines
    assert all(" http://localhost:8123 " in line for line in lines), lines


def test_run_defaults_to_port_8000(tmp_path):
    lines = run_script(tmp_path)
    assert "python http://localhost:8000 manage.py runserver 0.0.0.0:8000" in lines


def test_run_keeps_a_site_url_given_to_it(tmp_path):
    lines = run_script(tmp_path, PORT="8123", SITE_URL="https://tip.example.org")
    assert "python https://tip.example.org manage.py runserver 0.0.0.0:8123" in lines
