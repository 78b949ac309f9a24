"""The reports page's forms and the run page's words, as the server sends them: what
a person sees without scripts, and after a reload."""

import pytest

from reporting.models import ReportRun

pytestmark = pytest.mark.django_db


def test_the_state_report_form_is_laid_out_as_the_portals_forms(client, reviewer):
    client.force_login(reviewer)
    html = client.get("/en/reports/").content.decode()
    assert (
        '<form method="get" action="/en/reports/states/" class="form filter-form">'
        in html
    )
    assert '<label for="state-select">Member state</label>' in html
    assert '<select id="state-select" name="state">' in html


def test_the_run_page_says_queued_while_queued_and_nothing_stale(
    client, reviewer, cycle
):
    client.force_login(reviewer)
    response = client.post(
        "/en/reports/generate/", {"cycle": cycle.slug, "language": "en"}, follow=True
    )
    html = response.content.decode()
    run = ReportRun.objects.get()
    assert response.redirect_chain[-1][0] == run.get_absolute_url()
    assert "The report is queued" not in html  # no flash message to go stale
    assert "Waiting for a worker to take the report up." in html
    assert "data-report-state>Queued</span>" in html
    assert "you may leave this page and come back" in html


def test_after_a_reload_the_run_page_says_it_succeeded(client, reviewer, cycle):
    run = ReportRun.objects.create(
        cycle=cycle,
        language="en",
        as_of=cycle.deadline,
        state="succeeded",
        stage="done",
        progress=100,
        attempts=1,
        sha256="c0" * 32,
        page_count=12,
        size=1234,
    )
    client.force_login(reviewer)
    html = client.get(run.get_absolute_url()).content.decode()
    assert "The report is ready: 12 pages." in html
    assert "data-report-state>Succeeded</span><span data-report-stage></span>" in html
    assert "queued" not in html.lower()
    assert "Waiting for a worker" not in html
