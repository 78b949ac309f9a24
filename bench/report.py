"""Benchmark of the hemispheric report at full scale (see bench/README.md).

    .venv/bin/python bench/report.py [--repeat 3] [--database-url URL] [--keep]

Seeds a throwaway database (SQLite in a temporary folder unless --database-url names
a PostgreSQL server, where a database of its own is created and dropped) with a
full cycle: all 35 member states, participating, with an accepted update on each of
the 21 recommendations addressed to them (and the Secretariat's on the 22nd), each
with a narrative of about 300 words, measures and some assistance needs. Then, each
in a fresh process, it times:

- compile: the report as the Celery task makes it (``report_run_compile_now``: the
  run recorded, the data read, the charts drawn, the HTML rendered, WeasyPrint, the
  PDF stored with its checksum), and that process's peak memory;
- weasyprint: WeasyPrint alone rendering the same final HTML to a PDF.

It prints the medians and the ratio compile / weasyprint (target: at most 1.15,
with a peak under 500 MB).

With ``--workers 2 1`` it also times a draft rendered in sections
(``reporting.parallel``) by that many real Celery worker processes (solo pool, over
Redis, ``--redis-url``, db 13 by default), from the request to the stored PDF, with
each worker's peak memory (``VmHWM``) and CPU time, against WeasyPrint alone
(target with 2 workers: at most 0.65) and the compile (target with 1: at most 1.0).
Workers in other processes need the database on PostgreSQL (``--database-url``).
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
NARRATIVE_WORDS = 300
SENTENCES = [
    "The inter-institutional committee against trafficking in persons met {n} times "
    "during the period and adopted a work plan with indicators for each ministry.",
    "Labour inspectors received **{n} hours** of training on indicators of forced "
    "labour in agriculture, fishing and domestic work.",
    "The public prosecutor's specialised unit opened {n} investigations, {m} of "
    "them with financial investigations running in parallel.",
    "Shelters run with civil society organizations now offer legal, medical and "
    "psychological assistance, with interpreters where needed.",
    "A protocol agreed with the consulates allows the identification and referral "
    "of victims abroad within {n} days.",
    "The statistics office published the first annual report on trafficking, with "
    "data disaggregated by sex, age, nationality and form of exploitation.",
    "Awareness campaigns reached schools in {n} provinces, with material prepared "
    "together with survivor leaders.",
    "Cooperation with technology companies produced a reporting channel for online "
    "exploitation, answered around the clock.",
    "The budget line for victim assistance grew by {n}% compared with the previous "
    "year, and regional offices received their own allocations.",
    "Judges and prosecutors took part in a course on trauma-informed interviews, "
    "organized with the support of the OAS.",
    "A bill amending the criminal code to cover recruitment through social networks "
    "is before the legislature, with a vote expected next session.",
    "The anti-corruption office reviewed the procedures of migration officials at "
    "{n} border crossings and suspended three of them.",
]
BULLETS = [
    "Training of trainers for the regional offices.",
    "A helpline staffed with social workers and psychologists.",
    "Joint operations with neighbouring states under bilateral agreements.",
    "Guidelines for journalists on reporting without exposing victims.",
]
MEASURES = [
    ("legislation", "Amendment to the criminal code on trafficking in persons"),
    ("policy", "National action plan against trafficking in persons 2025-2029"),
    ("institution", "Specialised prosecutor's unit on trafficking"),
    ("training", "Course for labour inspectors on forced labour"),
    ("awareness", "Campaign in schools and on social networks"),
    ("cooperation", "Memorandum with the consulates of the region"),
    ("victim_services", "Protocol for identifying and referring victims"),
    ("data", "Annual statistical report on trafficking"),
]
STATUSES = [
    "not_started",
    "planned",
    "in_progress",
    "largely_implemented",
    "fully_implemented",
]
NEEDS = [
    ("training", "Training of trainers for the regional offices."),
    ("data_systems", "A case management system shared by police and prosecutors."),
    ("financial_investigation", "Mentoring on tracing the proceeds of trafficking."),
    ("international_cooperation", "Support for joint investigation teams."),
]


def narrative(rng: random.Random) -> str:
    """About 300 words of Markdown: paragraphs, a list, some bold."""
    paragraphs, words = [], 0
    while words < NARRATIVE_WORDS:
        sentences = [
            rng.choice(SENTENCES).format(n=rng.randint(2, 40), m=rng.randint(1, 9))
            for _ in range(3)
        ]
        paragraph = " ".join(sentences)
        if len(paragraphs) == 1:
            paragraph += "\n\n" + "\n".join(
                f"- {bullet}" for bullet in rng.sample(BULLETS, 2)
            )
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return "\n\n".join(paragraphs)


# --- Steps run in child processes -------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def seed() -> dict:
    _django()
    from datetime import date

    from django.db import transaction

    from accounts.models import Role, User
    from accounts.services import user_assign_role
    from recommendations import services
    from recommendations.models import MemberState, ReportingCycle
    from recommendations.services import MeasureData, NeedData, UpdateContent

    rng = random.Random(35)  # invented data, the same every time
    checklist = dict.fromkeys(services.REVIEW_CHECKLIST, True)
    cycle = ReportingCycle.objects.get(is_open=True)
    with transaction.atomic():
        clerk, reviewer = (
            User.objects.create(username=name, email=f"{name}@example.org")
            for name in ("bench-clerk", "bench-reviewer")
        )
        for user, role in ((clerk, Role.ADMIN), (reviewer, Role.REVIEWER)):
            user_assign_role(user=user, role=role)
        MemberState.objects.update(participating=True)
        recommendations = list(cycle.instrument.recommendations.order_by("number"))
        count = 0
        for state in [None, *MemberState.objects.order_by("iso3")]:
            for recommendation in recommendations:
                if recommendation.is_for_secretariat != (state is None):
                    continue
                _kind, title = rng.choice(MEASURES)
                content = UpdateContent(
                    status=rng.choice(STATUSES),
                    summary=f"{title}: progress reported by note verbale.",
                    narrative=narrative(rng),
                    narrative_visibility=(
                        "public" if rng.random() < 0.85 else "confidential"
                    ),
                    on_behalf_reference=f"Note verbale {rng.randint(100, 999)}/2026",
                    measures=[
                        MeasureData(
                            kind=k, title=t, date=date(2025, rng.randint(1, 12), 1)
                        )
                        for k, t in rng.sample(MEASURES, rng.randint(1, 3))
                    ],
                    assistance_needs=[
                        NeedData(kind=k, description=d)
                        for k, d in rng.sample(NEEDS, 1)
                        if rng.random() < 0.3
                    ],
                )
                update = services.progress_update_create(
                    actor=clerk,
                    cycle=cycle,
                    member_state=state,
                    recommendation=recommendation,
                    content=content,
                )
                services.progress_update_submit(update=update, actor=clerk)
                services.progress_update_accept(
                    update=update, actor=reviewer, checklist=checklist
                )
                count += 1
    return {"updates": count}


def compile_once(html_path: str) -> dict:
    _django()
    from recommendations.models import ReportingCycle
    from reporting import pdf, services

    captured = {}
    render_html = pdf.render_html

    def keep(context):
        start = time.perf_counter()
        captured["html"] = render_html(context)
        captured["template"] = time.perf_counter() - start
        return captured["html"]

    pdf.render_html = keep
    cycle = ReportingCycle.objects.get(is_open=True)
    start, cpu = time.perf_counter(), _cpu()
    run = services.report_run_compile_now(cycle=cycle, language="en")
    seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu
    Path(html_path).write_text(captured["html"], encoding="utf-8")
    return {
        "seconds": seconds,
        "cpu": cpu_seconds,
        "template": captured["template"],
        "peak_mb": _peak_mb(),
        "pages": run.page_count,
        "bytes": run.size,
        "html_bytes": len(captured["html"].encode()),
        "stages": run.stage_seconds,
    }


def weasyprint_once(html_path: str) -> dict:
    _django()  # the fetcher finds the stylesheet through Django's static finders
    from weasyprint import HTML

    from reporting import pdf

    html = Path(html_path).read_text(encoding="utf-8")
    start, cpu = time.perf_counter(), _cpu()
    data = HTML(
        string=html, base_url=pdf.STATIC_ROOT_URL, url_fetcher=pdf.StaticFilesFetcher()
    ).write_pdf(pdf_variant=pdf.PDF_VARIANT)
    seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu_seconds,
        "peak_mb": _peak_mb(),
        "bytes": len(data),
    }


def _cpu() -> float:
    """CPU seconds of this process, all threads: steadier than the wall clock on a
    busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def request_draft() -> dict:
    """Ask for a hemispheric draft, as the Secretariat does; wait for the workers."""
    _django()
    from accounts.models import User
    from recommendations.models import ReportingCycle
    from reporting import services
    from reporting.models import ReportRun

    cycle = ReportingCycle.objects.get(is_open=True)
    clerk = User.objects.get(username="bench-clerk")
    start = time.perf_counter()
    run = services.report_run_request(actor=clerk, cycle=cycle, language="en")
    while not run.is_finished:
        time.sleep(0.05)
        run.refresh_from_db()
    seconds = time.perf_counter() - start
    if run.state != ReportRun.State.SUCCEEDED:
        sys.exit(f"The draft failed: {run.error}")
    return {
        "seconds": seconds,
        "pages": run.page_count,
        "stages": run.stage_seconds,
    }


STEPS = {
    "seed": seed,
    "compile": compile_once,
    "weasyprint": weasyprint_once,
    "draft": request_draft,
}


# --- The parent: a throwaway database, then the measures ---------------------------


def _child(env: dict, step: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--step", step, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"{step} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _proc(pid: int) -> tuple[float, float]:
    """A live process's peak resident memory (MB) and CPU seconds so far."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(ln for ln in status.splitlines() if ln.startswith("VmHWM"))
    peak_kb = int(peak.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return peak_kb / 1024, (int(fields[11]) + int(fields[12])) / ticks


def parallel_draft(env: dict, workers: int, folder: Path, redis_url: str) -> dict:
    """A draft in sections rendered by ``workers`` Celery worker processes."""
    queue = f"bench-reports-{os.getpid()}"
    env = {
        **env,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "REPORT_PARALLEL_DRAFTS": "1",
        "REPORTS_QUEUE": queue,
        "LOG_LEVEL": "INFO",  # the worker says "ready."
    }
    processes = []
    try:
        for number in range(workers):
            log = folder / f"worker-{workers}-{number}.log"
            processes.append(
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", "celery", "-A", "portal", "worker"),
                        *("-Q", queue, "-P", "solo", "-l", "INFO"),
                        *("--without-gossip", "--without-mingle"),
                        *("--without-heartbeat", "-n", f"bench{number}@%h"),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        for number in range(workers):
            log = folder / f"worker-{workers}-{number}.log"
            while b"ready." not in log.read_bytes():
                time.sleep(0.1)
        before = [_proc(process.pid)[1] for process in processes]
        result = _child(env, "draft")
        measures = [_proc(process.pid) for process in processes]
        result["peak_mb"] = [round(peak) for peak, _cpu in measures]
        result["cpu"] = [
            round(cpu - start, 2)
            for (_peak, cpu), start in zip(measures, before, strict=True)
        ]
        # The merge starts when the last section ends: the critical path is the
        # busiest worker's sections, then the merge, wherever it ran.
        merge = result["stages"]["merging"]
        logs = [folder / f"worker-{workers}-{n}.log" for n in range(workers)]
        merged_by = [
            re.search(rb"merge_report_sections\[\S+\] succeeded", log.read_bytes())
            is not None
            for log in logs
        ]
        result["critical_cpu"] = round(
            max(
                cpu - (merge if merged else 0)
                for cpu, merged in zip(result["cpu"], merged_by, strict=True)
            )
            + merge,
            2,
        )
        return result
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


def _throwaway_postgres(server: str) -> tuple[str, callable]:
    import psycopg2

    name = f"tip_portal_bench_{os.getpid()}"
    admin = urlparse(server)._replace(path="/postgres").geturl()

    def run(sql: str) -> None:
        connection = psycopg2.connect(admin)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.close()

    run(f'CREATE DATABASE "{name}"')
    return urlparse(server)._replace(path=f"/{name}").geturl(), (
        lambda: run(f'DROP DATABASE IF EXISTS "{name}"')
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url",
        help="A PostgreSQL server (postgres://user@host:port) to create a throwaway "
        "database on; default: SQLite in a temporary folder.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temp folder.")
    parser.add_argument(
        "--reuse",
        type=Path,
        help="A folder a run with --keep seeded (SQLite): measure again, no seeding.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="*",
        default=[],
        help="Also render a draft in sections with each number of Celery workers.",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="Broker and result backend of the workers (default: %(default)s).",
    )
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        print(json.dumps(STEPS[options.step](*options.args)))
        return

    folder = options.reuse or Path(tempfile.mkdtemp(prefix="tip-portal-bench-"))
    drop = None
    env = {
        **os.environ,
        "DEBUG": "1",
        "PORTAL_VAR_DIR": str(folder),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # Each of the seed's 736 acceptances is a publication: with eager tasks,
        # warming the public pages after each would render 280 pages 736 times.
        "PUBLICATION_WARM": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    if options.database_url:
        env["DATABASE_URL"], drop = _throwaway_postgres(options.database_url)
    else:
        env.pop("DATABASE_URL", None)
    try:
        if not options.reuse:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                env=env,
                cwd=ROOT,
                check=True,
            )
            seeded = _child(env, "seed")
            print(
                f"Seeded {seeded['updates']} accepted updates in "
                f"{time.perf_counter() - started:.0f} s ({folder})"
            )
        html = str(folder / "report.html")
        compiles, renders = [], []
        for attempt in range(1, options.repeat + 1):
            compiles.append(_child(env, "compile", html))
            renders.append(_child(env, "weasyprint", html))
            print(
                f"  run {attempt}: compile {compiles[-1]['seconds']:.2f} s "
                f"({compiles[-1]['cpu']:.2f} s CPU, peak "
                f"{compiles[-1]['peak_mb']:.0f} MB); WeasyPrint alone "
                f"{renders[-1]['seconds']:.2f} s ({renders[-1]['cpu']:.2f} s CPU, "
                f"peak {renders[-1]['peak_mb']:.0f} MB)"
            )
        last = compiles[-1]
        print(
            f"Report: {last['pages']} pages, {last['bytes'] / 1e6:.1f} MB PDF, "
            f"{last['html_bytes'] / 1e6:.1f} MB of HTML; seconds per stage "
            f"{last['stages']}, of which the template {last['template']:.2f}"
        )
        for key, name in (("seconds", "wall clock"), ("cpu", "CPU time")):
            compile_s = statistics.median(c[key] for c in compiles)
            weasy_s = statistics.median(r[key] for r in renders)
            best = min(c[key] for c in compiles) / min(r[key] for r in renders)
            print(
                f"{name}: median compile {compile_s:.2f} s, WeasyPrint alone "
                f"{weasy_s:.2f} s, ratio {compile_s / weasy_s:.3f} "
                f"(best runs {best:.3f}; target <= 1.15)"
            )
        drafts: dict[int, list[dict]] = {n: [] for n in options.workers}
        for attempt in range(1, options.repeat + 1):
            for workers in options.workers:
                draft = parallel_draft(env, workers, folder, options.redis_url)
                drafts[workers].append(draft)
                stages = draft["stages"]
                print(
                    f"  draft {attempt} with {workers} worker(s): "
                    f"{draft['seconds']:.2f} s "
                    f"({draft['pages']} pages; workers' CPU {draft['cpu']} s, peak "
                    f"{draft['peak_mb']} MB; sections' CPU {stages['sections_cpu']} s, "
                    f"longest {stages['section_cpu_max']} s, merge "
                    f"{stages['merging']} s; critical path {draft['critical_cpu']} s "
                    "CPU)"
                )
        weasy = statistics.median(r["seconds"] for r in renders)
        weasy_cpu = statistics.median(r["cpu"] for r in renders)
        compiled = statistics.median(c["seconds"] for c in compiles)
        for workers, runs in drafts.items():
            wall = statistics.median(d["seconds"] for d in runs)
            critical = statistics.median(d["critical_cpu"] for d in runs)
            print(
                f"Draft in sections, {workers} worker(s): median {wall:.2f} s, "
                f"{wall / weasy:.3f}x WeasyPrint alone (target with 2: <= 0.65), "
                f"{wall / compiled:.3f}x the compile (target with 1: <= 1.0); peak "
                f"per worker {max(max(d['peak_mb']) for d in runs)} MB (target < 300); "
                f"CPU of the critical path (busiest worker's sections + merge) "
                f"{critical:.2f} s, {critical / weasy_cpu:.3f}x WeasyPrint's CPU"
            )
        print(
            f"Peak memory of the compile: "
            f"{max(c['peak_mb'] for c in compiles):.0f} MB (target < 500 MB); "
            f"WeasyPrint alone {max(r['peak_mb'] for r in renders):.0f} MB"
        )
    finally:
        if drop:
            drop()
        if not (options.keep or options.reuse):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
