"""The open data as a Frictionless Data Package: the full export's
``datapackage.json`` and each resource's own, validated by frictionless against the
files they describe; times typed as times, in the CSV, JSON and XLSX files; the ZIP's
entries readable by everyone."""

import datetime
import io
import json
import stat
import zipfile

import pytest
from frictionless import Package, validate
from openpyxl import load_workbook

from recommendations.services import MeasureData
from tests import factories

LANGUAGES = ["en", "es", "fr", "pt"]


def _accept(state, number, *, author, reviewer, language, **fields):
    factories.progress_update(
        state,
        number,
        author=author,
        reviewer=reviewer,
        narrative_language=language,
        summary=f"Resumen {language} =1+1, «quoted», line\nbreak",
        measures=[
            MeasureData(
                kind="policy", title="National plan", date=datetime.date(2026, 3, 4)
            ),
            MeasureData(
                kind="legislation", title="Law", link="https://example.org/law"
            ),
        ],
        **fields,
    )


@pytest.fixture
def published(focal_mex, focal_bra, reviewer, mexico, brazil):
    """Accepted updates written in every language, with and without measure dates,
    and a draft that must not show."""
    for number, language in enumerate(LANGUAGES, start=1):
        _accept(mexico, number, author=focal_mex, reviewer=reviewer, language=language)
    _accept(
        brazil,
        1,
        author=focal_bra,
        reviewer=reviewer,
        language="pt",
        status="fully_implemented",
    )
    factories.progress_update(brazil, 2, author=focal_bra, steps=[])


def _unpacked(client, language: str, tmp_path):
    response = client.get(f"/{language}/data/export/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    archive.extractall(tmp_path)
    [descriptor] = tmp_path.glob("*/datapackage.json")
    return archive, descriptor


def _errors(report) -> str:
    return "\n".join(
        f"{task.name}: {error.type} {error.message}"
        for task in report.tasks
        for error in task.errors
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_full_export_is_a_valid_data_package(
    client, settings, published, language, tmp_path
):
    archive, descriptor = _unpacked(client, language, tmp_path)

    report = validate(str(descriptor))

    assert report.valid, _errors(report)
    package = json.loads(descriptor.read_text())
    files = {n.split("/", 1)[1] for n in archive.namelist()}
    assert {r["path"] for r in package["resources"]} == files - {
        "datapackage.json",
        "README.txt",
    }
    assert package["licenses"] == [
        {"title": "CC BY 4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}
    ]
    assert package["name"].endswith(f"-{language}")
    assert package["sources"][0]["path"] == settings.SITE_URL


@pytest.mark.django_db
def test_every_column_of_the_dictionary_has_its_field_and_type(
    client, published, tmp_path
):
    _archive, descriptor = _unpacked(client, "en", tmp_path)
    package = Package(str(descriptor))

    status = package.get_resource("status-csv")
    types = {field.name: field.type for field in status.schema.fields}
    assert types["accepted_at"] == "datetime"
    assert types["recommendation"] == "integer"
    assert types["update_url"] == "string"
    history = package.get_resource("history-json").schema
    assert history.get_field("cycle_closed_at").type == "datetime"
    assert package.get_resource("measures-csv").schema.get_field("date").type == "date"
    assert package.get_resource("states-csv").schema.get_field(
        "participating"
    ).type == ("boolean")
    rows = status.read_rows()
    accepted = [row for row in rows if row["accepted_at"] is not None]
    assert len(accepted) == 5  # Mexico's four and Brazil's one, typed
    assert all(isinstance(row["accepted_at"], datetime.datetime) for row in accepted)
    assert {row["summary_language"] for row in accepted} == set(LANGUAGES)
    dates = {r["date"] for r in package.get_resource("measures-json").read_rows()}
    assert dates == {datetime.date(2026, 3, 4), None}


@pytest.mark.django_db
def test_the_zip_entries_are_readable_by_everyone(client, published):
    archive = zipfile.ZipFile(io.BytesIO(client.get("/en/data/export/").content))

    modes = {
        info.filename: stat.S_IMODE(info.external_attr >> 16)
        for info in archive.infolist()
    }

    assert len(modes) == 14  # six tables in CSV and JSON, the package, the README
    assert set(modes.values()) == {0o644}
    assert all(stat.S_ISREG(info.external_attr >> 16) for info in archive.infolist())


@pytest.mark.django_db
def test_times_are_utc_to_the_second_in_csv_and_json(client, published):
    document = json.loads(client.get("/en/data/status.json?state=MEX").content)
    rows = [row for row in document["rows"] if row["accepted_at"] is not None]

    assert len(rows) == 4
    for row in rows:
        when = datetime.datetime.strptime(row["accepted_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert when.year >= 2026
    missing = next(row for row in document["rows"] if row["recommendation"] == 9)
    assert missing["accepted_at"] is None
    body = client.get("/en/data/status.csv?state=MEX").content.decode("utf-8-sig")
    assert rows[0]["accepted_at"] in body


@pytest.mark.django_db
def test_xlsx_times_and_dates_are_excel_dates(client, published):
    status = load_workbook(
        io.BytesIO(client.get("/en/data/status.xlsx?state=MEX").content)
    )["status"]
    header = [cell.value for cell in status[1]]
    column = header.index("accepted_at")
    cells = [row[column] for row in status.iter_rows(min_row=2)]
    filled = [cell for cell in cells if cell.value is not None]

    assert len(filled) == 4
    for cell in filled:
        assert cell.is_date and isinstance(cell.value, datetime.datetime)
        assert cell.number_format == "yyyy-mm-dd hh:mm:ss"
    measures = load_workbook(io.BytesIO(client.get("/en/data/measures.xlsx").content))[
        "measures"
    ]
    header = [cell.value for cell in measures[1]]
    dates = [row[header.index("date")] for row in measures.iter_rows(min_row=2)]
    dated = [cell for cell in dates if cell.value is not None]
    assert dated and all(cell.is_date for cell in dated)
    assert {cell.value.date() for cell in dated} == {datetime.date(2026, 3, 4)}
    assert all(cell.number_format == "yyyy-mm-dd" for cell in dated)


@pytest.mark.django_db
def test_each_download_points_at_its_package(client, published):
    response = client.get("/es/data/status.csv?state=MEX")

    assert (
        '</es/data/status/datapackage.json?state=MEX>; rel="describedby"'
        in response["Link"].replace("http://localhost:8000", "")
    )
    assert 'rel="license"' in response["Link"]


@pytest.mark.django_db
def test_a_resource_package_with_bad_filters_is_refused(client, published):
    assert client.get("/en/data/status/datapackage.json?state=XXX").status_code == 400
    assert client.get("/en/data/nothing/datapackage.json").status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_resource_package_validates_against_the_files_it_points_at(
    live_server, settings, language, focal_mex, reviewer, mexico
):
    """Over HTTP, as a reader's tools fetch it: the package at its address, the
    CSV, JSON and XLSX files at theirs."""
    settings.SITE_URL = live_server.url
    _accept(mexico, 1, author=focal_mex, reviewer=reviewer, language=language)
    address = f"{live_server.url}/{language}/data/measures/datapackage.json?state=MEX"

    report = validate(address)

    assert report.valid, _errors(report)
    package = Package(address)
    assert [r.name for r in package.resources] == [
        "measures-csv",
        "measures-json",
        "measures-xlsx",
    ]
    assert all("cycle=" in r.path and "state=MEX" in r.path for r in package.resources)
    for resource in package.resources:
        assert len(resource.read_rows()) == 2
