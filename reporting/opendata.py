"""Open data: the public tables of a cycle as CSV, JSON and XLSX, with a dictionary.

Built from the same status matrix as the pages and the report. Only accepted updates,
only their public parts.

Files are in the language of their address (``/es/data/...``): the states' names,
the themes' titles and the recommendations' texts, with the dictionary. Each
translated text has columns beside it saying what it is (``text_language``,
``text_standing``, ``text_reference``) and the English text as adopted
(``text_en``), which is authoritative; identifiers and codes never change.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.links import absolute_url
from core.spreadsheets import CsvDictWriter, xlsx_append
from recommendations.translations.texts import translate
from reporting.selectors import (
    CATEGORIES,
    NO_INFORMATION,
    StatusMatrix,
    history_cycles,
    history_updates,
)


@dataclass(frozen=True)
class Column:
    name: str
    description: str | Promise  # a lazy translation, read in the file's language
    kind: str = "string"  # string, integer, number, boolean, date, datetime, url


@dataclass
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[dict]


@dataclass(frozen=True)
class Filters:
    member_state: str | None = None  # ISO3
    recommendation: int | None = None
    theme: str | None = None  # slug
    status: str | None = None  # a status, or no_information


def language() -> str:
    """The language of the files: that of the address they were asked at."""
    return (get_language() or "en")[:2]


def _state_columns() -> list[Column]:
    return [
        Column("member_state", _("ISO 3166 alpha-3 code of the member state")),
        Column(
            "member_state_name",
            _("Name of the member state, in the language of the file"),
        ),
        Column("member_state_name_en", _("Name of the member state, in English")),
    ]


def _state_cells(state) -> dict:
    if state is None:
        return {
            "member_state": "",
            "member_state_name": str(_("OAS Secretariat")),
            "member_state_name_en": "OAS Secretariat",
        }
    return {
        "member_state": state.iso3,
        "member_state_name": state.name,
        "member_state_name_en": state.name_en,
    }


def _translated_columns(field: str, meaning) -> list[Column]:
    """A catalogue text in the file's language, what that text is, and the English."""
    return [
        Column(
            field,
            _("%(meaning)s, in the language of the file (see %(field)s_standing)")
            % {"meaning": meaning, "field": field},
        ),
        Column(
            f"{field}_language",
            _("Language of %(field)s: en where it is not translated yet")
            % {"field": field},
        ),
        Column(
            f"{field}_standing",
            _(
                "What %(field)s is: source, the English text as adopted; official, "
                "an official translation (see %(field)s_reference); working, a "
                "working translation: the English text is authoritative; missing, "
                "not translated yet: the English text stands in"
            )
            % {"field": field},
        ),
        Column(
            f"{field}_reference",
            _("Symbol of the official document a translation comes from, if any"),
        ),
        Column(
            f"{field}_en",
            _("%(meaning)s, in English as adopted: the authoritative text")
            % {"meaning": meaning},
        ),
    ]


def _translated_cells(obj, field: str) -> dict:
    found = translate(obj, field)
    return {
        field: found.text,
        f"{field}_language": found.language,
        f"{field}_standing": found.standing,
        f"{field}_reference": found.reference,
        f"{field}_en": getattr(obj, field),
    }


def status_rows(matrix: StatusMatrix, filters: Filters) -> Table:
    rows = []
    for state in matrix.participating:
        if filters.member_state and state.iso3 != filters.member_state:
            continue
        for recommendation, update in matrix.row(state):
            if (
                filters.recommendation
                and recommendation.number != filters.recommendation
            ):
                continue
            if filters.theme and recommendation.theme.slug != filters.theme:
                continue
            status = update.status if update else NO_INFORMATION
            if filters.status and status != filters.status:
                continue
            rows.append(
                {
                    **_state_cells(state),
                    "recommendation": recommendation.number,
                    "theme": recommendation.theme.slug,
                    "status": status,
                    "summary": update.summary if update else "",
                    "summary_language": update.narrative_language if update else "",
                    "accepted_at": update.reviewed_at if update else None,
                    "update_url": absolute_url(
                        reverse(
                            "reporting:state-recommendation",
                            args=[state.iso3, recommendation.number],
                        )
                    )
                    if update
                    else "",
                }
            )
    return Table(
        "status",
        str(_("Status of each participating state on each recommendation")),
        str(
            _(
                "One row per participating member state and recommendation "
                "addressed to states."
            )
        ),
        [
            *_state_columns(),
            Column(
                "recommendation", _("Number of the recommendation, 1 to 22"), "integer"
            ),
            Column("theme", _("Short name of the recommendation's theme")),
            Column(
                "status",
                _("Status on the scale; no_information where none was accepted"),
            ),
            Column("summary", _("Public summary of the accepted update")),
            Column(
                "summary_language",
                _("Language the state wrote the summary in (it is not translated)"),
            ),
            Column(
                "accepted_at",
                _("When the Secretariat accepted the update (UTC)"),
                "datetime",
            ),
            Column("update_url", _("Page of the published update"), "url"),
        ],
        rows,
    )


def _count_columns() -> list[Column]:
    return [
        Column(category, _("Number of participating states at this status"), "integer")
        for category in CATEGORIES
    ]


def recommendations_rows(matrix: StatusMatrix, filters: Filters) -> Table:
    rows = []
    for recommendation in matrix.recommendations:
        if filters.theme and recommendation.theme.slug != filters.theme:
            continue
        if filters.recommendation and recommendation.number != filters.recommendation:
            continue
        counts = matrix.counts_for_recommendation(recommendation)
        rows.append(
            {
                "recommendation": recommendation.number,
                "theme": recommendation.theme.slug,
                "addressee": recommendation.addressee,
                **_translated_cells(recommendation, "short_title"),
                **_translated_cells(recommendation, "text"),
                **{category: counts.get(category, 0) for category in CATEGORIES},
            }
        )
    return Table(
        "recommendations",
        str(_("Statuses by recommendation")),
        str(_("How many participating states are at each status, per recommendation.")),
        [
            Column("recommendation", _("Number of the recommendation"), "integer"),
            Column("theme", _("Short name of the theme")),
            Column(
                "addressee", _("member_states, or secretariat for recommendation 22")
            ),
            *_translated_columns("short_title", _("Short title of the recommendation")),
            *_translated_columns("text", _("Full text of the recommendation")),
            *_count_columns(),
        ],
        rows,
    )


def themes_rows(matrix: StatusMatrix, filters: Filters) -> Table:
    rows = []
    for row in matrix.themes():
        if filters.theme and row.theme.slug != filters.theme:
            continue
        rows.append(
            {
                "theme": row.theme.slug,
                "position": row.theme.position,
                **_translated_cells(row.theme, "title"),
                # The counts cover what states report on; the Secretariat's own
                # recommendations (22) are listed apart, so the list matches them.
                "recommendations": _numbers(
                    r for r in row.recommendations if not r.is_for_secretariat
                ),
                "secretariat_recommendations": _numbers(
                    r for r in row.recommendations if r.is_for_secretariat
                ),
                "advanced_share": round(row.advanced_share, 4),
                **{category: row.counts.get(category, 0) for category in CATEGORIES},
            }
        )
    return Table(
        "themes",
        str(_("Statuses by theme")),
        str(
            _(
                "Statuses added up over each theme's recommendations "
                "addressed to states."
            )
        ),
        [
            Column("theme", _("Short name of the theme")),
            Column("position", _("Order of the theme in the instrument"), "integer"),
            *_translated_columns("title", _("Title of the theme")),
            Column(
                "recommendations",
                _("Numbers of its recommendations addressed to states, counted here"),
            ),
            Column(
                "secretariat_recommendations",
                _(
                    "Numbers of its recommendations addressed to the Secretariat, "
                    "not counted here"
                ),
            ),
            Column(
                "advanced_share",
                _("Share of state-recommendation pairs largely or fully implemented"),
                "number",
            ),
            *_count_columns(),
        ],
        rows,
    )


def _numbers(recommendations) -> str:
    return " ".join(str(r.number) for r in recommendations)


def states_rows(matrix: StatusMatrix, filters: Filters) -> Table:
    rows = []
    for state in matrix.states:
        if filters.member_state and state.iso3 != filters.member_state:
            continue
        counts = matrix.counts_for_state(state)
        rows.append(
            {
                **_state_cells(state),
                "participating": state.participating,
                "advanced_share": round(matrix.advanced_share_of_state(state), 4),
                **{category: counts.get(category, 0) for category in CATEGORIES},
            }
        )
    return Table(
        "states",
        str(_("Statuses by member state")),
        str(
            _(
                "How many of the 21 recommendations addressed to states "
                "are at each status."
            )
        ),
        [
            *_state_columns(),
            Column(
                "participating",
                _("Whether the state takes part in the OAS now"),
                "boolean",
            ),
            Column(
                "advanced_share",
                _("Share of the 21 recommendations largely or fully implemented"),
                "number",
            ),
            *[
                Column(
                    category, _("Number of recommendations at this status"), "integer"
                )
                for category in CATEGORIES
            ],
        ],
        rows,
    )


def measures_rows(matrix: StatusMatrix, filters: Filters) -> Table:
    rows = []
    for update in matrix.updates():
        state = update.member_state
        if filters.member_state and (
            state is None or state.iso3 != filters.member_state
        ):
            continue
        if (
            filters.recommendation
            and update.recommendation.number != filters.recommendation
        ):
            continue
        for measure in update.measures.all():
            rows.append(
                {
                    **_state_cells(state),
                    "recommendation": update.recommendation.number,
                    "kind": measure.kind,
                    "title": measure.title,
                    "date": measure.date,
                    "link": measure.link,
                }
            )
    return Table(
        "measures",
        str(_("Measures reported")),
        str(_("The measures listed in the accepted updates.")),
        [
            *_state_columns(),
            Column("recommendation", _("Number of the recommendation"), "integer"),
            Column("kind", _("Type of measure")),
            Column("title", _("Title of the measure, as the state wrote it")),
            Column("date", _("Date of the measure"), "date"),
            Column("link", _("Link to the measure, if given"), "url"),
        ],
        rows,
    )


def history_rows(matrix: StatusMatrix, filters: Filters) -> Table:
    """Each status of each cycle of the instrument as the cycle closed (so far, in
    the open one): a row per state, recommendation and cycle that had one."""
    cycles = history_cycles(instrument=matrix.cycle.instrument)
    order = {cycle.pk: index for index, cycle in enumerate(cycles)}
    rows = []
    for update in sorted(
        history_updates(cycles=cycles), key=lambda u: order[u.cycle_id]
    ):
        state, recommendation = update.member_state, update.recommendation
        if filters.member_state and (
            state is None or state.iso3 != filters.member_state
        ):
            continue
        if filters.recommendation and recommendation.number != filters.recommendation:
            continue
        if filters.theme and recommendation.theme.slug != filters.theme:
            continue
        if filters.status and update.status != filters.status:
            continue
        cycle = update.cycle
        in_cycle = urlencode({"cycle": cycle.slug})
        if state is None:
            page = reverse("reporting:recommendation", args=[recommendation.number])
        else:
            page = reverse(
                "reporting:state-recommendation",
                args=[state.iso3, recommendation.number],
            )
        rows.append(
            {
                **_state_cells(state),
                "recommendation": recommendation.number,
                "theme": recommendation.theme.slug,
                "cycle": cycle.slug,
                "cycle_name": translate(cycle, "name").text,
                "cycle_name_en": cycle.name,
                "cycle_closed_at": cycle.closed_at,
                "status": update.status,
                "summary": update.summary,
                "summary_language": update.narrative_language,
                "accepted_at": update.reviewed_at,
                "update_url": absolute_url(f"{page}?{in_cycle}"),
            }
        )
    return Table(
        "history",
        str(_("Statuses across reporting cycles")),
        str(
            _(
                "One row per member state, recommendation and reporting cycle with "
                "an accepted status: the status as the cycle closed, or so far in "
                "the open cycle. A state and recommendation missing from a cycle "
                "had no information in it."
            )
        ),
        [
            *_state_columns(),
            Column("recommendation", _("Number of the recommendation"), "integer"),
            Column("theme", _("Short name of the recommendation's theme")),
            Column("cycle", _("Short name of the reporting cycle")),
            Column(
                "cycle_name",
                _(
                    "Name of the reporting cycle, in the language of the file "
                    "(in English where it is not translated yet)"
                ),
            ),
            Column("cycle_name_en", _("Name of the reporting cycle, in English")),
            Column(
                "cycle_closed_at",
                _("When the cycle closed (UTC); empty while it is open"),
                "datetime",
            ),
            Column(
                "status",
                _("Status on the scale, as the cycle closed (so far, if it is open)"),
            ),
            Column("summary", _("Public summary of the accepted update")),
            Column(
                "summary_language",
                _("Language the state wrote the summary in (it is not translated)"),
            ),
            Column(
                "accepted_at",
                _("When the Secretariat accepted the update (UTC)"),
                "datetime",
            ),
            Column("update_url", _("Page of the published update"), "url"),
        ],
        rows,
    )


TABLES: dict[str, Callable[[StatusMatrix, Filters], Table]] = {
    "status": status_rows,
    "recommendations": recommendations_rows,
    "themes": themes_rows,
    "states": states_rows,
    "measures": measures_rows,
    "history": history_rows,
}


def licence() -> dict[str, str]:
    return {"name": settings.OPEN_DATA_LICENCE, "url": settings.OPEN_DATA_LICENCE_URL}


def _text(value):
    """A cell as CSV and JSON write it: times in UTC to the second, as Table Schema's
    default ``datetime`` format reads them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell(value):
    if value is None:
        return ""
    return "true" if value is True else "false" if value is False else _text(value)


def as_csv(table: Table) -> bytes:
    """The table as CSV; text that looks like a formula starts with an apostrophe."""
    buffer = io.StringIO()
    writer = CsvDictWriter(buffer, fieldnames=[c.name for c in table.columns])
    writer.writeheader()
    for row in table.rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    # A byte-order mark, so spreadsheet programs read the accents right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_json(table: Table, *, cycle, generated_at: datetime) -> bytes:
    document = {
        "title": table.title,
        "description": table.description,
        "language": language(),
        "cycle": cycle.slug,
        "generated_at": generated_at.isoformat(),
        "licence": licence(),
        "source": settings.SITE_URL,
        "columns": [
            {"name": c.name, "type": c.kind, "description": str(c.description)}
            for c in table.columns
        ],
        "rows": table.rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1, default=_text).encode(
        "utf-8"
    )


# Number formats of the XLSX cells holding times: real Excel dates, not text.
_XLSX_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


def _xlsx_value(value):
    # Excel has no time zones: times are written in UTC, as the dictionary says.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return value


def as_xlsx(table: Table, *, cycle, generated_at: datetime) -> bytes:
    """The table and its dictionary as XLSX; every text is a text cell."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.name[:31]
    xlsx_append(sheet, [c.name for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        xlsx_append(sheet, [_xlsx_value(row.get(c.name)) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        if column.kind in _XLSX_FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = _XLSX_FORMATS[column.kind]
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet("about")
    for line in [
        [table.title],
        [table.description],
        [str(_("Language")), language()],
        [str(_("Cycle")), cycle.slug],
        [str(_("Generated")), generated_at.isoformat()],
        [str(_("Licence")), f"{licence()['name']} {licence()['url']}"],
        [],
        [str(_("Column")), str(_("Type")), str(_("Meaning"))],
        *[[c.name, c.kind, str(c.description)] for c in table.columns],
    ]:
        xlsx_append(about, line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_suffix() -> str:
    """``-es`` in the names of files in another language than English."""
    return "" if language() == "en" else f"-{language()}"


# Table Schema (Frictionless Data Package v1) field of each kind of column.
_FIELDS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]},
    "date": {"type": "date"},
    "datetime": {"type": "datetime"},
    "url": {"type": "string", "format": "uri"},
}

# How each file holds its table, as Frictionless reads it: JSON rows under "rows",
# the XLSX table on the sheet named after it.
_FORMATS = {
    "csv": ("text/csv", lambda table: {"delimiter": ",", "doubleQuote": True}),
    "json": (
        "application/json",
        lambda table: {"json": {"property": "rows", "keyed": True}},
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda table: {"excel": {"sheet": table.name[:31]}},
    ),
}


def table_schema(table: Table) -> dict:
    """The table's dictionary as a Table Schema."""
    return {
        "fields": [
            {
                "name": column.name,
                "description": str(column.description),
                **_FIELDS[column.kind],
            }
            for column in table.columns
        ],
        "missingValues": [""],
    }


def data_package(
    tables: list[Table],
    *,
    cycle,
    generated_at: datetime,
    files: dict[str, Callable[[Table], str]],
) -> dict:
    """A Frictionless Data Package (v1) describing ``tables``: one resource per
    file, ``files`` giving the path of each table's file in each format."""
    cycle_name = translate(cycle, "name").text
    return {
        "profile": "tabular-data-package",
        "name": f"tip-portal-{cycle.slug}-{language()}",
        "title": str(
            _(
                "Implementation of the recommendations on trafficking in persons: "
                "%(cycle)s"
            )
            % {"cycle": cycle_name}
        ),
        "description": str(
            _(
                "Progress of the OAS member states on the recommendations of the "
                "Seventh Meeting of National Authorities on Trafficking in Persons, "
                "as accepted by the OAS Secretariat; names and texts in the language "
                "%(language)s."
            )
            % {"language": language()}
        ),
        "homepage": absolute_url(reverse("reporting:data")),
        "created": _text(generated_at),
        "keywords": ["trafficking in persons", "OAS", cycle.slug],
        "licenses": [
            {
                "title": settings.OPEN_DATA_LICENCE,
                "path": settings.OPEN_DATA_LICENCE_URL,
            }
        ],
        "sources": [
            {
                "title": str(_("OAS trafficking in persons portal")),
                "path": settings.SITE_URL,
            }
        ],
        "resources": [
            {
                "name": f"{table.name}-{extension}",
                "path": path(table),
                "profile": "tabular-data-resource",
                "title": table.title,
                "description": table.description,
                "format": extension,
                "mediatype": _FORMATS[extension][0],
                **({"encoding": "utf-8-sig"} if extension != "xlsx" else {}),
                "dialect": _FORMATS[extension][1](table),
                "schema": table_schema(table),
            }
            for table in tables
            for extension, path in files.items()
        ],
    }


def full_export(matrix: StatusMatrix) -> tuple[str, bytes]:
    """Every table of the cycle, in CSV and JSON, in one dated ZIP, described by
    its ``datapackage.json``."""
    generated_at = timezone.now()
    name = f"tip-portal-{matrix.cycle.slug}-{generated_at:%Y-%m-%d}{file_suffix()}"
    tables = [build(matrix, Filters()) for build in TABLES.values()]
    package = data_package(
        tables,
        cycle=matrix.cycle,
        generated_at=generated_at,
        files={
            "csv": lambda table: f"{table.name}.csv",
            "json": lambda table: f"{table.name}.json",
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(path: str, data: bytes | str) -> None:
            entry = zipfile.ZipInfo(f"{name}/{path}", generated_at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            # Readable by everyone once unpacked: writestr's default is 0600.
            entry.external_attr = 0o100644 << 16
            archive.writestr(entry, data)

        for table in tables:
            add(f"{table.name}.csv", as_csv(table))
            add(
                f"{table.name}.json",
                as_json(table, cycle=matrix.cycle, generated_at=generated_at),
            )
        add("datapackage.json", as_package_json(package))
        add("README.txt", _readme(matrix.cycle, generated_at))
    return f"{name}.zip", buffer.getvalue()


def as_package_json(package: dict) -> bytes:
    return json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")


def _readme(cycle, generated_at: datetime) -> str:
    cycle_name = translate(cycle, "name")
    lines = [
        str(cycle_name),
        str(_("Generated %(when)s from %(site)s"))
        % {"when": generated_at.isoformat(), "site": settings.SITE_URL},
        str(_("Licence: %(name)s %(url)s")) % licence(),
        str(_("Language of the names and texts: %(language)s"))
        % {"language": language()},
        str(_("Each .json file carries its data dictionary under 'columns'.")),
        str(
            _(
                "datapackage.json describes every file and its columns as a "
                "Frictionless Data Package (https://datapackage.org)."
            )
        ),
    ]
    if language() != "en":
        lines.append(
            str(
                _(
                    "Theme titles, recommendation texts and the cycle's name are "
                    "working translations unless their _standing column says "
                    "official: the English text, in the _en column, is "
                    "authoritative."
                )
            )
        )
    if cycle_name.is_working:
        lines[0] += " " + str(
            _("(working translation; the English text is authoritative: %(text)s)")
            % {"text": cycle.name}
        )
    return "\n".join(lines) + "\n"
