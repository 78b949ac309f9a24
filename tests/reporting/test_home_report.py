"""Published reports are in the navigation and on the home page: the report
published last, with its date and an edition per language, each downloadable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from recommendations.models import ReportingCycle
from tests import factories

pytestmark = pytest.mark.django_db


def published(cycle, language: str, when, page_count: int = 1):
    run = factories.finished_report_run(cycle, language=language, published_at=when)
    run.page_count = page_count
    run.save(update_fields=["page_count"])
    return run


def test_the_public_navigation_links_to_the_published_reports(client):
    html = client.get("/en/").content.decode()

    assert '<a href="/en/reports/published/">Reports</a>' in html
    assert client.get("/en/reports/published/").status_code == 200


def test_the_secretariat_has_its_own_reports_page_in_the_navigation(client, reviewer):
    client.force_login(reviewer)
    html = client.get("/en/").content.decode()

    assert '<a href="/en/reports/">Reports</a>' in html
    assert '<a href="/en/reports/published/">Reports</a>' not in html


def test_without_a_published_report_the_home_page_has_no_report(client, cycle):
    factories.finished_report_run(cycle)  # generated, never published

    html = client.get("/en/").content.decode()

    assert "Latest progress report" not in html


def test_the_home_page_offers_the_latest_report_in_each_language(client, cycle):
    now = timezone.now()
    older_cycle = ReportingCycle.objects.create(
        instrument=cycle.instrument,
        name="Earlier cycle",
        slug="earlier",
        meeting="Seventh Meeting",
        period_start=cycle.period_start - timedelta(days=800),
        period_end=cycle.period_start - timedelta(days=400),
        deadline=now - timedelta(days=400),
        is_open=False,
    )
    old = published(older_cycle, "en", now - timedelta(days=300))
    first_english = published(cycle, "en", now - timedelta(days=3))
    english = published(cycle, "en", now - timedelta(days=2), page_count=84)
    spanish = published(cycle, "es", now - timedelta(days=1), page_count=90)
    unpublished = factories.finished_report_run(cycle, language="fr")

    html = client.get("/en/").content.decode()

    section = html[html.index("Latest progress report") :]
    section = section[: section.index("</section>")]
    published_on = date_format(timezone.localtime(spanish.published_at))
    assert f"published {published_on}:" in section
    assert (
        f'<a href="/en/reports/published/{english.pk}/download/" hreflang="en" '
        f'type="application/pdf">English (PDF, 84 pages)</a>'
    ) in section
    assert (
        f'<a href="/en/reports/published/{spanish.pk}/download/" hreflang="es" '
        f'type="application/pdf">Spanish (PDF, 90 pages)</a>'
    ) in section
    assert section.index("English (PDF") < section.index("Spanish (PDF")
    for hidden in (old, first_english, unpublished):
        assert f"/published/{hidden.pk}/" not in section
    assert 'href="/en/reports/published/"' in section
    # The link downloads the PDF, for anyone
    download = client.get(f"/en/reports/published/{english.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"


def test_the_latest_report_costs_two_queries(client, cycle, django_assert_num_queries):
    from reporting.selectors import latest_report

    for language in ("en", "es", "fr", "pt"):
        published(cycle, language, timezone.now())

    with django_assert_num_queries(2):
        report = latest_report()

    assert [run.language for run in report.editions] == ["en", "es", "fr", "pt"]
