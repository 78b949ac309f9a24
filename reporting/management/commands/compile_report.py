"""python manage.py compile_report --output FILE.pdf [--cycle SLUG] [--state ISO3]
[--language en|es|fr|pt] [--as-of ISO8601] [--final] [--docx FILE.docx]
[--organ TEXT] [--classification TEXT] [--symbol TEXT] [--issued-on YYYY-MM-DD]
[--original-language en|es|fr|pt]: the report, compiled here and now."""

import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from recommendations.models import MemberState, ReportingCycle
from reporting.models import REPORT_LANGUAGES
from reporting.services import ReportError, RunHeader, report_run_compile_now


class Command(BaseCommand):
    help = (
        "Compile a progress report to a PDF file, with the same code as the portal's "
        "background job, and record it as a run (default: the open cycle, the "
        "hemispheric report, English, now). Exits non-zero with a message on failure."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="Where to write the PDF.")
        parser.add_argument("--cycle", help="Slug of the reporting cycle.")
        parser.add_argument(
            "--state", help="ISO 3166 alpha-3 code: that state's own report."
        )
        parser.add_argument(
            "--language",
            default="en",
            choices=[code for code, _name in REPORT_LANGUAGES],
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help=(
                "Data as of this moment, ISO 8601 (e.g. 2026-03-31T18:00:00-04:00); "
                f"without an offset, in {settings.PORTAL_TIME_ZONE}."
            ),
        )

        parser.add_argument(
            "--final",
            action="store_true",
            help="The final edition: no DRAFT mark (it is not published by this).",
        )
        parser.add_argument("--docx", help="Also write the editable edition here.")
        parser.add_argument("--organ", default="", help="The cover's organ.")
        parser.add_argument(
            "--classification", default="", help="e.g. OEA/Ser.K/XXXIX.8"
        )
        parser.add_argument("--symbol", default="", help="e.g. RTP-VIII/doc.3/26")
        parser.add_argument("--issued-on", dest="issued_on", help="YYYY-MM-DD")
        parser.add_argument(
            "--original-language",
            dest="original_language",
            default="en",
            choices=[code for code, _name in REPORT_LANGUAGES],
        )

    def handle(self, *args, **options):
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")
        cycle = self._cycle(options["cycle"])
        state = self._state(options["state"])
        as_of = self._as_of(options["as_of"])
        try:
            run = report_run_compile_now(
                cycle=cycle,
                member_state=state,
                language=options["language"],
                as_of=as_of,
                header=self._header(options),
                final=options["final"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except ReportError as error:
            raise CommandError(error.message) from error
        self._write(run.pdf, output)
        if options["docx"]:
            self._write(run.docx, Path(options["docx"]))
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {output} ({run.page_count} pages, {run.size} bytes, "
                f"run {run.pk}); SHA-256 {run.sha256}"
            )
        )

    def _cycle(self, slug: str | None) -> ReportingCycle:
        if slug:
            cycle = ReportingCycle.objects.filter(slug=slug).first()
            if cycle is None:
                raise CommandError(f"No reporting cycle has the slug {slug!r}.")
            return cycle
        cycle = ReportingCycle.objects.open().first()
        if cycle is None:
            raise CommandError("No reporting cycle is open: give one with --cycle.")
        return cycle

    def _state(self, iso3: str | None) -> MemberState | None:
        if not iso3:
            return None
        state = MemberState.objects.filter(iso3=iso3.upper()).first()
        if state is None:
            raise CommandError(f"No member state has the code {iso3!r}.")
        return state

    def _as_of(self, value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise CommandError(
                f"--as-of {value!r} is not an ISO 8601 date and time."
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(settings.PORTAL_TIME_ZONE))
        return moment

    def _header(self, options) -> RunHeader:
        issued_on = None
        if options["issued_on"]:
            try:
                issued_on = date.fromisoformat(options["issued_on"])
            except ValueError:
                raise CommandError(
                    f"--issued-on {options['issued_on']!r} is not a date (YYYY-MM-DD)."
                ) from None
        return RunHeader(
            organ=options["organ"],
            classification=options["classification"],
            document_symbol=options["symbol"],
            issued_on=issued_on,
            original_language=options["original_language"],
        )

    def _write(self, stored, output: Path) -> None:
        # Written beside the target and renamed, so a failure leaves no half file.
        handle, partial = tempfile.mkstemp(dir=output.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as target, stored.open("rb") as source:
                for chunk in source.chunks():
                    target.write(chunk)
            os.replace(partial, output)
        except OSError as error:
            Path(partial).unlink(missing_ok=True)
            raise CommandError(f"Could not write {output}: {error}") from error
