"""Draft and publication: a confirmed publication compiles a final edition, which is
published as it succeeds, with each reporting state's profile for the public; the
cover's header entered per run; the editable DOCX for the Secretariat.

The compile itself is replaced here by a recorder (the pipeline's own tests compile
for real); one test below goes through the real pipeline to see the edition and the
header reach the ReportSpec.
"""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reporting import pdf, runs, services
from reporting.models import ReportRun, ReportText
from reporting.pipeline import CompiledReport
from reporting.services import ReportError, RunHeader
from tests import factories

pytestmark = pytest.mark.django_db
State = ReportRun.State
FAKE_PDF = b"%PDF-1.4 compiled"
FAKE_DOCX = b"PK\x03\x04 a docx"
HEADER = RunHeader(
    organ="Eighth Meeting of National Authorities on Trafficking in Persons",
    classification="OEA/Ser.K/XXXIX.8",
    document_symbol="RTP-VIII/doc.3/26",
    issued_on=date(2026, 3, 2),
    original_language="es",
)


@pytest.fixture
def compiles(monkeypatch) -> list[dict]:
    """Every compile the worker does, recorded; each gives a tiny PDF and DOCX."""
    calls = []

    def fake_compile(**kwargs):
        calls.append(kwargs)
        return CompiledReport(
            pdf=FAKE_PDF,
            page_count=2,
            sha256=hashlib.sha256(FAKE_PDF).hexdigest(),
            html="<html></html>",
            docx=FAKE_DOCX,
        )

    monkeypatch.setattr(runs, "report_compile", fake_compile)
    return calls


def texts(cycle, actor, language="en", *, introduction="Why.", conclusions="What."):
    return services.report_text_save(
        actor=actor,
        cycle=cycle,
        language=language,
        introduction=introduction,
        conclusions=conclusions,
    )


def draft(cycle, **fields) -> ReportRun:
    fields = {
        "organ": HEADER.organ,
        "classification": HEADER.classification,
        "document_symbol": HEADER.document_symbol,
        "issued_on": HEADER.issued_on,
        "original_language": HEADER.original_language,
        **fields,
    }
    return factories.finished_report_run(cycle, **fields)


# --- Refusals -----------------------------------------------------------------------


def test_publication_is_refused_while_the_introduction_or_conclusions_are_missing(
    client, cycle, secretariat_admin
):
    run = draft(cycle)
    client.force_login(secretariat_admin)
    # No texts at all, then conclusions without an introduction, then texts in
    # another language only: each time refused, saying what is missing
    for introduction, conclusions, language, missing in (
        (None, None, None, "introduction, conclusions"),
        ("   ", "Conclusions.", "en", "introduction"),
        ("Intro.", "Conclusions.", "es", "introduction, conclusions"),
    ):
        if language:
            ReportText.objects.all().delete()
            texts(
                cycle,
                secretariat_admin,
                language,
                introduction=introduction,
                conclusions=conclusions,
            )
        with pytest.raises(ReportError, match=f"missing in English: {missing}"):
            services.report_run_publish(actor=secretariat_admin, run=run)
        page = client.get(f"/en/reports/runs/{run.pk}/publish/").content.decode()
        assert f"missing in English: {missing}" in page
        assert "Confirm: publish the report" not in page
        response = client.post(f"/en/reports/runs/{run.pk}/publish/")
        assert response.status_code == 302
        assert response["Location"] == f"/en/reports/runs/{run.pk}/"
        assert not ReportRun.objects.filter(edition_of=run).exists()
        run.refresh_from_db()
        assert run.published_at is None


@pytest.mark.parametrize("who", ["reviewer", "focal_mex", "focal_bra"])
def test_only_those_who_may_publish_do(request, client, cycle, secretariat_admin, who):
    texts(cycle, secretariat_admin)
    run = draft(cycle)
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.report_run_publish(actor=user, run=run)
    client.force_login(user)
    # The reviewer sees the run but may not publish it; focal points do not see it
    expected = 403 if who == "reviewer" else 404
    assert client.get(f"/en/reports/runs/{run.pk}/publish/").status_code == expected
    assert client.post(f"/en/reports/runs/{run.pk}/publish/").status_code == expected
    assert not ReportRun.objects.filter(edition_of=run).exists()
    client.logout()
    response = client.post(f"/en/reports/runs/{run.pk}/publish/")
    assert response["Location"].startswith("/en/accounts/login/")


# --- Publication, end to end --------------------------------------------------------


def test_confirming_compiles_a_final_edition_that_is_published_with_the_profiles(
    client,
    cycle,
    secretariat_admin,
    some_updates,
    mexico,
    brazil,
    compiles,
    django_capture_on_commit_callbacks,
):
    texts(cycle, secretariat_admin)
    run = draft(cycle)
    client.force_login(secretariat_admin)

    # The confirmation page says what will happen
    page = client.get(f"/en/reports/runs/{run.pk}/publish/").content.decode()
    assert "compile its final edition" in page
    assert "this draft stays a draft" in page
    assert "Confirm: publish the report" in page
    assert not ReportRun.objects.filter(edition_of=run).exists()

    # Confirming queues the final edition; the worker (eager here) compiles it,
    # publishes it, then compiles each reporting state's profile
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/reports/runs/{run.pk}/publish/")
    edition = ReportRun.objects.get(edition_of=run)
    assert response["Location"] == f"/en/reports/runs/{edition.pk}/"
    edition.refresh_from_db()
    assert edition.state == State.SUCCEEDED, edition.error
    assert edition.final and edition.is_published
    assert edition.published_by == secretariat_admin
    assert (edition.cycle, edition.language, edition.as_of) == (
        run.cycle,
        run.language,
        run.as_of,
    )
    assert RunHeader.of(edition) == HEADER
    run.refresh_from_db()
    assert not run.final and run.published_at is None  # the draft stays a draft

    hemispheric = [c for c in compiles if c["member_state"] is None]
    assert len(hemispheric) == 1
    assert hemispheric[0]["final"] is True
    assert hemispheric[0]["header"] == pdf.DocumentHeader(
        organ=HEADER.organ,
        classification=HEADER.classification,
        symbol=HEADER.document_symbol,
        issued_on=HEADER.issued_on,
        original_language="es",
    )

    profiles = ReportRun.objects.filter(profile_of=edition)
    assert {p.member_state for p in profiles} == {mexico, brazil}
    for profile in profiles:
        assert profile.state == State.SUCCEEDED, profile.error
        assert profile.final and profile.published_at is None
        assert (profile.as_of, profile.language) == (edition.as_of, "en")
    assert sorted(c["member_state"].iso3 for c in compiles if c["member_state"]) == [
        "BRA",
        "MEX",
    ]
    assert all(c["final"] for c in compiles)

    # The public reports page lists the edition, not the draft
    public = client.get("/en/reports/published/").content.decode()
    assert edition.get_public_url() in public and run.get_public_url() not in public

    # Publishing again, the draft or its edition, is refused
    for again in (run, edition):
        with pytest.raises(ReportError, match="already published"):
            services.report_run_publish(actor=secretariat_admin, run=again)
    assert ReportRun.objects.filter(edition_of=run).count() == 1

    # Withdrawing still works, and the draft may then not be published twice
    services.report_run_unpublish(actor=secretariat_admin, run=edition)
    edition.refresh_from_db()
    assert edition.published_at is None
    with pytest.raises(ReportError, match="already has a final edition"):
        services.report_run_publish(actor=secretariat_admin, run=run)
    # ... while the withdrawn edition is published again at once
    services.report_run_publish(actor=secretariat_admin, run=edition)
    edition.refresh_from_db()
    assert edition.is_published
    assert ReportRun.objects.filter(profile_of=edition).count() == 2


def test_a_final_edition_being_compiled_is_not_asked_for_twice(
    cycle, secretariat_admin, django_capture_on_commit_callbacks
):
    texts(cycle, secretariat_admin)
    run = draft(cycle)
    with django_capture_on_commit_callbacks():  # queued, not run
        edition = services.report_run_publish(actor=secretariat_admin, run=run)
    assert edition.state == State.QUEUED and edition.final
    with pytest.raises(ReportError, match="being compiled"):
        services.report_run_publish(actor=secretariat_admin, run=run)
    # A failed edition may be asked for again
    ReportRun.objects.filter(pk=edition.pk).update(state=State.FAILED)
    with django_capture_on_commit_callbacks():
        again = services.report_run_publish(actor=secretariat_admin, run=run)
    assert again.pk != edition.pk and again.edition_of == run


def test_the_real_pipeline_gets_the_edition_and_the_header(
    cycle, secretariat_admin, some_updates, monkeypatch
):
    seen = []
    gather = pdf.gather

    def recording_gather(spec):
        seen.append(spec)
        return gather(spec)

    monkeypatch.setattr(pdf, "gather", recording_gather)
    run = services.report_run_compile_now(
        cycle=cycle, language="en", header=HEADER, final=True
    )
    assert run.state == State.SUCCEEDED and run.final
    assert seen[0].final is True
    assert seen[0].header.symbol == "RTP-VIII/doc.3/26"
    assert seen[0].header.issued_on == date(2026, 3, 2)
    assert seen[0].header.original_language == "es"
    assert run.pdf.read().startswith(b"%PDF")
    # The same job stored the editable edition beside the PDF
    assert run.docx.name.endswith(f"{run.pk}-oas-en.docx")
    assert run.docx.read().startswith(b"PK")


def test_the_final_edition_prints_the_texts_written_after_its_draft(
    cycle, secretariat_admin, compiles, django_capture_on_commit_callbacks
):
    earlier = timezone.now() - timedelta(days=2)
    run = draft(cycle, as_of=earlier)
    texts(cycle, secretariat_admin, introduction="Written after the draft.")
    with django_capture_on_commit_callbacks(execute=True):
        edition = services.report_run_publish(actor=secretariat_admin, run=run)
    [compiled] = compiles
    assert compiled["as_of"] == earlier  # the data as the draft had them
    assert compiled["texts_as_of"] == edition.requested_at > earlier
    spec = pdf.ReportSpec(
        cycle=cycle,
        member_state=None,
        language="en",
        as_of=earlier,
        final=True,
        texts_as_of=edition.requested_at,
    )
    assert pdf.gather(spec).texts.introduction == "Written after the draft."
    spec_of_draft = pdf.ReportSpec(
        cycle=cycle, member_state=None, language="en", as_of=earlier
    )
    assert pdf.gather(spec_of_draft).texts is None


# --- The states' profiles for the public --------------------------------------------


@pytest.fixture
def published_cycle(
    cycle,
    secretariat_admin,
    some_updates,
    compiles,
    django_capture_on_commit_callbacks,
):
    texts(cycle, secretariat_admin)
    with django_capture_on_commit_callbacks(execute=True):
        edition = services.report_run_publish(actor=secretariat_admin, run=draft(cycle))
    edition.refresh_from_db()
    assert edition.is_published
    return edition


def test_a_states_public_page_offers_its_profile_once_the_report_is_published(
    client,
    published_cycle,
    secretariat_admin,
    mexico,
    django_capture_on_commit_callbacks,
):
    profile = ReportRun.objects.get(profile_of=published_cycle, member_state=mexico)
    url = f"/en/reports/published/profiles/{profile.pk}/download/"

    page = client.get("/en/states/MEX/").content.decode()
    assert url in page and "Download the profile (PDF, English)" in page
    response = client.get(url)  # anonymous
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FAKE_PDF
    assert "mex" in response["Content-Disposition"]

    # Withdrawn with its report (the cached public page too)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_unpublish(actor=secretariat_admin, run=published_cycle)
    assert client.get(url).status_code == 404
    assert url not in client.get("/en/states/MEX/").content.decode()


def test_no_state_report_is_public_before_publication(
    client, cycle, focal_mex, secretariat_admin, mexico, compiles
):
    # A state's own report, even final, and a profile whose report is a draft
    own = factories.finished_report_run(cycle, member_state=mexico, final=True)
    hemispheric = draft(cycle)
    unpublished = factories.finished_report_run(
        cycle, member_state=mexico, final=True, profile_of=hemispheric
    )
    for run in (own, unpublished):
        url = f"/en/reports/published/profiles/{run.pk}/download/"
        assert client.get(url).status_code == 404
        client.force_login(focal_mex)
        assert client.get(url).status_code == 404  # not this door either
        client.logout()
    page = client.get("/en/states/MEX/").content.decode()
    assert "/reports/published/profiles/" not in page
    # Nor through the hemispheric reports' public door
    assert client.get(f"/en/reports/published/{own.pk}/download/").status_code == 404


# --- The header, entered per run ----------------------------------------------------


def test_the_generate_form_stores_the_cover_header_on_the_run(
    client, cycle, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    home = client.get("/en/reports/").content.decode()
    assert "Document symbol" in home
    assert "Meeting of National Authorities on Trafficking in Persons" in home
    with django_capture_on_commit_callbacks():
        response = client.post(
            "/en/reports/generate/",
            {
                "cycle": cycle.slug,
                "language": "es",
                "organ": HEADER.organ,
                "classification": HEADER.classification,
                "document_symbol": HEADER.document_symbol,
                "issued_on": "2026-03-02",
                "original_language": "es",
            },
        )
    run = ReportRun.objects.get()
    assert response["Location"] == run.get_absolute_url()
    assert RunHeader.of(run) == HEADER
    assert not run.final
    page = client.get(run.get_absolute_url()).content.decode()
    assert "RTP-VIII/doc.3/26" in page and "Draft: every page is marked DRAFT" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("document_symbol", "X" * 61, "Document symbol: Ensure this value"),
        ("issued_on", "02/03/2026", "Date of the document: Enter a valid date."),
        ("original_language", "de", "Original language: Select a valid choice."),
    ],
)
def test_a_wrong_header_is_refused_and_nothing_is_queued(
    client, cycle, reviewer, field, value, message
):
    client.force_login(reviewer)
    response = client.post(
        "/en/reports/generate/",
        {"cycle": cycle.slug, "language": "en", field: value},
        follow=True,
    )
    assert message in response.content.decode()
    assert not ReportRun.objects.exists()


def test_the_service_validates_the_header_too(cycle, reviewer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.report_run_request(
            actor=reviewer,
            cycle=cycle,
            language="en",
            header=RunHeader(document_symbol="X" * 61),
        )
    assert not ReportRun.objects.exists()


# --- The editable DOCX --------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("secretariat_admin", 200), ("reviewer", 200), ("focal_mex", 404), (None, 302)],
)
def test_the_docx_is_the_secretariats(request, client, cycle, who, expected, compiles):
    run = factories.report_run(cycle)
    runs.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.docx.name.endswith(f"{run.pk}-oas-en.docx")
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(f"/en/reports/runs/{run.pk}/docx/")
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == FAKE_DOCX
        assert response["Content-Disposition"].endswith('-draft.docx"')
        assert "wordprocessingml" in response["Content-Type"]
        assert response["Cache-Control"].startswith("private, no-store")
        page = client.get(run.get_absolute_url()).content.decode()
        assert f"/en/reports/runs/{run.pk}/docx/" in page


def test_a_published_reports_docx_is_still_not_public(
    client, published_cycle, secretariat_admin
):
    assert published_cycle.docx
    response = client.get(f"/en/reports/runs/{published_cycle.pk}/docx/")
    assert response["Location"].startswith("/en/accounts/login/")
    page = client.get("/en/reports/published/").content.decode()
    assert "/docx/" not in page


# --- The four texts -----------------------------------------------------------------


def test_the_texts_page_edits_the_four_texts_in_markdown(client, cycle, reviewer):
    client.force_login(reviewer)
    page = client.get(f"/en/reports/texts/{cycle.slug}/fr/").content.decode()
    for label in (
        "Introduction",
        "Background and mandate",
        "Conclusions",
        "Recommendations to the meeting",
    ):
        assert label in page
    assert "footnotes" in page and "bookmarks" in page  # the Markdown help
    assert page.count('lang="fr"') >= 4
    response = client.post(
        f"/en/reports/texts/{cycle.slug}/fr/",
        {
            "introduction": "# Portée\n\nCe rapport…",
            "background": "Résolution AG/RES. 3000[^1]\n\n[^1]: 2025.",
            "conclusions": "| a | b |\n|---|---|\n| 1 | 2 |",
            "meeting_recommendations": "1. Adopter le rapport.",
        },
    )
    assert response.status_code == 302
    text = ReportText.objects.get()
    assert text.background.startswith("Résolution")
    assert text.meeting_recommendations == "1. Adopter le rapport."
    # Shown again for the next edit
    page = client.get(f"/en/reports/texts/{cycle.slug}/fr/").content.decode()
    assert "1. Adopter le rapport." in page


def test_saving_only_the_first_two_texts_keeps_the_others(cycle, reviewer):
    services.report_text_save(
        actor=reviewer,
        cycle=cycle,
        language="en",
        introduction="I",
        conclusions="C",
        background="B",
        meeting_recommendations="R",
    )
    text = texts(cycle, reviewer, introduction="I2", conclusions="C")
    assert (text.introduction, text.background, text.meeting_recommendations) == (
        "I2",
        "B",
        "R",
    )
    assert ReportText.objects.count() == 2
    # Nothing changed: no new version
    assert texts(cycle, reviewer, introduction="I2", conclusions="C") == text
