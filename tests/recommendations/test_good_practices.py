"""Good practices for the hemispheric report: a reviewer marks an accepted, public
update and chooses the excerpt the report quotes; the report reads them back through
``selectors.good_practices``.

The cast (tests/conftest.py): Maria (focal point of Mexico), Bruno (focal point of
Brazil), Rita (reviewer), Alba (admin), the public. Carla, another reviewer, accepts
the updates the tests start from. Each denial checks that nothing changed.
"""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import Role
from recommendations import selectors
from recommendations.good_practices import (
    EXCERPT_MAX_CHARS,
    GoodPracticeError,
    StaleGoodPracticeError,
    good_practice_mark,
    good_practice_unmark,
)
from recommendations.models import (
    GoodPracticeMark,
    MemberState,
    ReportingCycle,
    ReviewState,
)
from recommendations.selectors import GoodPractice
from tests import factories

pytestmark = pytest.mark.django_db

EXCERPT = "Mexico trained 400 labour inspectors to spot forced labour."
LOGIN = "/en/accounts/login/?next="


@pytest.fixture
def carla(db):
    return factories.secretariat(Role.REVIEWER, username="carla")


def accepted(state, number, *, author, reviewer, **fields):
    """An accepted update of ``state`` on ``number``, public unless said otherwise."""
    fields.setdefault("narrative_visibility", "public")
    return factories.progress_update(
        state, number, author=author, reviewer=reviewer, **fields
    )


@pytest.fixture
def mex_good(focal_mex, carla, cycle):
    return accepted(
        "MEX",
        5,
        author=focal_mex,
        reviewer=carla,
        summary="Labour inspectors trained across the country.",
        narrative_language="es",
    )


def marks_of(update):
    return list(
        GoodPracticeMark.objects.filter(update=update).values_list(
            "version", "excerpt", "unmarked_at"
        )
    )


def url(update, step=""):
    return f"/en/updates/{update.pk}/good-practice/{step}"


# --- Marking and unmarking --------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "secretariat_admin"])
def test_a_reviewer_or_an_admin_marks_a_good_practice(request, role, mex_good):
    actor = request.getfixturevalue(role)

    mark = good_practice_mark(actor=actor, update=mex_good, excerpt=f"  {EXCERPT}\n")

    assert mark.is_live
    assert mark.excerpt == EXCERPT
    assert mark.language == "es"  # the narrative's language
    assert mark.marked_by == actor
    assert mark.version == 1


@pytest.mark.parametrize("role", ["focal_mex", "focal_bra", "public"])
def test_others_may_not_mark_nor_unmark(who, role, reviewer, mex_good):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    before = marks_of(mex_good)
    actor = who(role) or AnonymousUser()

    with pytest.raises(PermissionDenied):
        good_practice_mark(actor=actor, update=mex_good, excerpt="Another excerpt.")
    with pytest.raises(PermissionDenied):
        good_practice_unmark(actor=actor, update=mex_good)

    assert marks_of(mex_good) == before


def test_an_inactive_reviewer_may_not_mark(reviewer, mex_good):
    reviewer.is_active = False
    reviewer.save()

    with pytest.raises(PermissionDenied):
        good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    assert not GoodPracticeMark.objects.exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("draft", "Only an accepted update"),
        ("submitted", "Only an accepted update"),
        ("returned", "Only an accepted update"),
        ("confidential", "confidential"),
        ("secretariat", "the Secretariat's own"),
    ],
)
def test_only_a_states_accepted_public_update_qualifies(
    request, target, message, reviewer, carla, focal_mex
):
    if target == "secretariat":
        update = factories.progress_update(
            None, 22, author=carla, reviewer=reviewer, narrative_visibility="public"
        )
    elif target == "confidential":
        update = accepted(
            "MEX",
            6,
            author=focal_mex,
            reviewer=carla,
            narrative_visibility="confidential",
        )
    else:
        steps = {
            "draft": [],
            "submitted": ["submit"],
            "returned": ["submit", "return"],
        }[target]
        update = factories.progress_update(
            "MEX",
            3,
            author=focal_mex,
            reviewer=carla,
            steps=steps,
            narrative_visibility="public",
        )

    with pytest.raises(GoodPracticeError, match=message):
        good_practice_mark(actor=reviewer, update=update, excerpt=EXCERPT)
    assert not GoodPracticeMark.objects.exists()


def test_an_update_replaced_by_a_newer_accepted_one_no_longer_qualifies(
    reviewer, carla, focal_mex, mex_good
):
    accepted("MEX", 5, author=focal_mex, reviewer=carla, summary="Newer.")

    with pytest.raises(GoodPracticeError, match="newer accepted update"):
        good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    assert not GoodPracticeMark.objects.exists()


def test_a_good_practice_may_be_marked_after_the_cycle_closed(reviewer, mex_good):
    ReportingCycle.objects.filter(pk=mex_good.cycle_id).update(is_open=False)
    mex_good.refresh_from_db()

    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)

    assert GoodPracticeMark.objects.get().excerpt == EXCERPT


@pytest.mark.parametrize(
    ("excerpt", "message"),
    [
        ("", "Write the excerpt the report will quote."),
        (" \r\n\t ", "Write the excerpt the report will quote."),
        ("x" * (EXCERPT_MAX_CHARS + 1), "The excerpt has 601 characters"),
    ],
)
def test_an_empty_or_too_long_excerpt_is_refused_and_changes_nothing(
    excerpt, message, reviewer, mex_good
):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    before = marks_of(mex_good)

    with pytest.raises(ValidationError) as raised:
        good_practice_mark(
            actor=reviewer, update=mex_good, excerpt=excerpt, expected_version=1
        )

    assert message in raised.value.message_dict["excerpt"][0]
    assert marks_of(mex_good) == before


def test_the_limit_counts_a_line_break_once(reviewer, mex_good):
    # A browser sends a textarea's line breaks as CR LF: one character to the reader.
    half = "x" * (EXCERPT_MAX_CHARS // 2 - 1)
    excerpt = f"{half}\r\n\r\n{half}"

    mark = good_practice_mark(actor=reviewer, update=mex_good, excerpt=excerpt)

    assert mark.excerpt == f"{half}\n\n{half}"
    assert len(mark.excerpt) == EXCERPT_MAX_CHARS


def test_a_new_excerpt_replaces_the_old_one_which_is_kept(reviewer, mex_good):
    first = good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)

    second = good_practice_mark(
        actor=reviewer, update=mex_good, excerpt="Shorter.", expected_version=1
    )

    first.refresh_from_db()
    assert not first.is_live and first.unmarked_by == reviewer
    assert second.is_live and second.version == 2 and second.excerpt == "Shorter."
    # The same excerpt again changes nothing.
    again = good_practice_mark(
        actor=reviewer, update=mex_good, excerpt="Shorter.", expected_version=2
    )
    assert again.pk == second.pk
    assert GoodPracticeMark.objects.count() == 2


def test_a_reviewer_does_not_overwrite_anothers_change(
    reviewer, secretariat_admin, mex_good
):
    # Both opened the page when the update was not marked (version 0).
    good_practice_mark(
        actor=secretariat_admin, update=mex_good, excerpt=EXCERPT, expected_version=0
    )
    before = marks_of(mex_good)

    with pytest.raises(StaleGoodPracticeError) as raised:
        good_practice_mark(
            actor=reviewer, update=mex_good, excerpt="Mine.", expected_version=0
        )
    assert secretariat_admin.get_full_name() in raised.value.message
    assert EXCERPT in raised.value.message
    with pytest.raises(StaleGoodPracticeError):
        good_practice_unmark(actor=reviewer, update=mex_good, expected_version=0)

    assert marks_of(mex_good) == before


def test_marking_again_after_another_unmarked_is_refused(
    reviewer, secretariat_admin, mex_good
):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    good_practice_unmark(actor=secretariat_admin, update=mex_good, expected_version=1)
    before = marks_of(mex_good)

    with pytest.raises(StaleGoodPracticeError, match="unmarked this good practice"):
        good_practice_mark(
            actor=reviewer, update=mex_good, excerpt="Changed.", expected_version=1
        )
    assert marks_of(mex_good) == before


def test_unmarking(reviewer, mex_good):
    mark = good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)

    good_practice_unmark(actor=reviewer, update=mex_good, expected_version=1)

    mark.refresh_from_db()
    assert not mark.is_live and mark.unmarked_by == reviewer
    with pytest.raises(GoodPracticeError, match="not marked"):
        good_practice_unmark(actor=reviewer, update=mex_good)
    # Marked again later: a new mark, the history kept.
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    assert [m[0] for m in marks_of(mex_good)] == [2, 3]


# --- What the report reads --------------------------------------------------------


def test_the_report_reads_the_marks_in_force_by_recommendation_and_state_name(
    reviewer, carla, focal_mex, focal_bra, cycle
):
    brazil = accepted("BRA", 5, author=focal_bra, reviewer=carla)
    mexico = accepted("MEX", 5, author=focal_mex, reviewer=carla)
    mexico_7 = accepted("MEX", 7, author=focal_mex, reviewer=carla)
    for update in (mexico, brazil, mexico_7):
        good_practice_mark(
            actor=reviewer, update=update, excerpt=f"Excerpt {update.pk}."
        )
    as_of = timezone.now()

    found = selectors.good_practices(cycle=cycle, as_of=as_of)

    assert list(found) == [5, 7]
    assert found[5] == [
        GoodPractice(
            member_state=MemberState.objects.get(iso3="BRA"),
            excerpt=f"Excerpt {brazil.pk}.",
            language="en",
            update_id=brazil.pk,
        ),
        GoodPractice(
            member_state=MemberState.objects.get(iso3="MEX"),
            excerpt=f"Excerpt {mexico.pk}.",
            language="en",
            update_id=mexico.pk,
        ),
    ]
    assert [p.update_id for p in found[7]] == [mexico_7.pk]


def test_the_order_follows_the_state_names_of_the_active_language(
    reviewer, carla, cycle
):
    # United States sorts after Haiti in English; "États-Unis" before "Haïti" in French.
    for iso3 in ("USA", "HTI"):
        focal = factories.focal_point(iso3)
        update = accepted(iso3, 5, author=focal, reviewer=carla)
        good_practice_mark(actor=reviewer, update=update, excerpt=f"By {iso3}.")
    as_of = timezone.now()

    english = selectors.good_practices(cycle=cycle, as_of=as_of)[5]
    with translation.override("fr"):
        french = selectors.good_practices(cycle=cycle, as_of=as_of)[5]

    assert [p.member_state.iso3 for p in english] == ["HTI", "USA"]
    assert [p.member_state.iso3 for p in french] == ["USA", "HTI"]


def test_the_report_as_of_a_moment_quotes_what_was_marked_then(
    reviewer, cycle, mex_good
):
    before_marking = timezone.now()
    good_practice_mark(actor=reviewer, update=mex_good, excerpt="First choice.")
    after_first = timezone.now()
    good_practice_mark(
        actor=reviewer, update=mex_good, excerpt="Second choice.", expected_version=1
    )
    after_second = timezone.now()
    good_practice_unmark(actor=reviewer, update=mex_good)
    after_unmark = timezone.now()

    def quoted(as_of):
        return [
            p.excerpt
            for p in selectors.good_practices(cycle=cycle, as_of=as_of).get(5, [])
        ]

    assert quoted(before_marking) == []
    assert quoted(after_first) == ["First choice."]
    assert quoted(after_second) == ["Second choice."]
    assert quoted(after_unmark) == []


def test_a_mark_stops_counting_once_a_newer_accepted_update_replaces_its_update(
    reviewer, carla, focal_mex, cycle, mex_good
):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    while_current = timezone.now()
    newer = accepted("MEX", 5, author=focal_mex, reviewer=carla, summary="Newer.")
    after_newer = timezone.now()

    assert [
        p.update_id
        for p in selectors.good_practices(cycle=cycle, as_of=while_current)[5]
    ] == [mex_good.pk]
    assert selectors.good_practices(cycle=cycle, as_of=after_newer) == {}
    # The mark stays on the old update; the newer one may be marked in its turn.
    assert GoodPracticeMark.objects.get(update=mex_good).is_live
    good_practice_mark(actor=reviewer, update=newer, excerpt="The newer practice.")
    assert [
        p.excerpt
        for p in selectors.good_practices(cycle=cycle, as_of=timezone.now())[5]
    ] == ["The newer practice."]


def test_marks_of_another_cycle_are_not_read(reviewer, cycle, mex_good):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    other = ReportingCycle.objects.create(
        instrument=cycle.instrument,
        name="Another cycle",
        slug="another-cycle",
        meeting="Ninth Meeting",
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        deadline=cycle.deadline,
    )

    assert selectors.good_practices(cycle=other, as_of=timezone.now()) == {}


def test_the_report_reads_good_practices_in_one_query(
    reviewer, carla, focal_mex, cycle
):
    def count_queries() -> int:
        as_of = timezone.now()
        with CaptureQueriesContext(connection) as queries:
            found = selectors.good_practices(cycle=cycle, as_of=as_of)
            # Everything the report prints of each, without another query.
            [(p.member_state.name, p.excerpt) for ps in found.values() for p in ps]
        return len(queries)

    update = accepted("MEX", 5, author=focal_mex, reviewer=carla)
    good_practice_mark(actor=reviewer, update=update, excerpt=EXCERPT)
    one = count_queries()
    for number in (7, 8, 9):
        update = accepted("MEX", number, author=focal_mex, reviewer=carla)
        good_practice_mark(actor=reviewer, update=update, excerpt=EXCERPT)

    assert one == 1
    assert count_queries() == one


# --- The update's page ------------------------------------------------------------


def test_a_reviewer_sees_the_form_with_the_summary_suggested(
    client, reviewer, mex_good
):
    client.force_login(reviewer)

    page = client.get(mex_good.get_absolute_url()).content.decode()

    assert "Good practice for the report" in page
    assert 'for="id_excerpt"' in page
    assert "Excerpt for the report" in page
    assert f"At most {EXCERPT_MAX_CHARS} characters" in page
    assert f'maxlength="{EXCERPT_MAX_CHARS}"' in page
    assert "Labour inspectors trained across the country.</textarea>" in page
    assert "Mark as a good practice for the report" in page
    assert "Unmark" not in page


@pytest.mark.parametrize("role", ["focal_mex", "focal_bra"])
def test_others_do_not_see_the_form(client, who, role, mex_good):
    client.force_login(who(role))

    response = client.get(mex_good.get_absolute_url())

    # Bruno may not read Mexico's update at all; Maria reads it without the form.
    assert response.status_code == (200 if role == "focal_mex" else 404)
    assert "Good practice for the report" not in response.content.decode()


def test_the_form_is_not_offered_on_a_confidential_update(
    client, reviewer, carla, focal_mex
):
    update = accepted(
        "MEX", 6, author=focal_mex, reviewer=carla, narrative_visibility="confidential"
    )
    client.force_login(reviewer)

    page = client.get(update.get_absolute_url()).content.decode()

    assert "the report cannot quote it" in page
    assert 'name="excerpt"' not in page


def test_a_reviewer_marks_changes_and_unmarks_from_the_page(client, reviewer, mex_good):
    client.force_login(reviewer)

    marked = client.post(
        url(mex_good), {"excerpt": EXCERPT, "expected_version": "0"}, follow=True
    )

    page = marked.content.decode()
    assert "Marked as a good practice for the report." in page
    assert f"<p>{EXCERPT}</p></blockquote>" in page
    assert 'lang="es"' in page
    assert "Change the excerpt" in page
    mark = GoodPracticeMark.objects.get()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(GoodPracticeMark),
        object_id=mark.pk,
        action=LogEntry.Action.CREATE,
    )
    assert entry.actor == reviewer  # the audit trail records who marked it

    client.post(url(mex_good), {"excerpt": "Shorter.", "expected_version": "1"})
    assert GoodPracticeMark.objects.get(unmarked_at__isnull=True).excerpt == "Shorter."

    unmarked = client.post(
        url(mex_good, "unmark/"), {"expected_version": "2"}, follow=True
    )
    assert "No longer a good practice for the report." in unmarked.content.decode()
    assert not GoodPracticeMark.objects.filter(unmarked_at__isnull=True).exists()


def test_a_too_long_excerpt_comes_back_with_the_message_and_the_text(
    client, reviewer, mex_good
):
    client.force_login(reviewer)
    long = "Long. " * 120

    response = client.post(url(mex_good), {"excerpt": long, "expected_version": "0"})

    assert response.status_code == 400
    page = response.content.decode()
    assert f"The excerpt has {len(long.strip())} characters" in page
    assert "Long. Long." in page
    assert not GoodPracticeMark.objects.exists()


def test_a_stale_form_is_refused_with_a_message(
    client, reviewer, secretariat_admin, mex_good
):
    good_practice_mark(actor=secretariat_admin, update=mex_good, excerpt=EXCERPT)
    client.force_login(reviewer)

    response = client.post(
        url(mex_good), {"excerpt": "Mine.", "expected_version": "0"}, follow=True
    )

    assert "changed this good practice after you opened the page" in (
        response.content.decode()
    )
    assert GoodPracticeMark.objects.get().excerpt == EXCERPT


@pytest.mark.parametrize(
    ("role", "status"), [("focal_mex", 403), ("focal_bra", 404), ("public", 302)]
)
def test_others_are_refused_and_nothing_changes(
    client, who, role, status, reviewer, mex_good
):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    before = marks_of(mex_good)
    if who(role) is not None:
        client.force_login(who(role))

    mark = client.post(url(mex_good), {"excerpt": "Mine.", "expected_version": "1"})
    unmark = client.post(url(mex_good, "unmark/"), {"expected_version": "1"})

    assert mark.status_code == status and unmark.status_code == status
    if status == 302:
        assert mark["Location"].startswith(LOGIN)
    assert marks_of(mex_good) == before


def test_marking_asks_for_a_post(client, reviewer, mex_good):
    client.force_login(reviewer)

    assert client.get(url(mex_good)).status_code == 405
    assert client.get(url(mex_good, "unmark/")).status_code == 405


def test_a_draft_cannot_be_marked_through_the_page(client, reviewer, mex_draft):
    client.force_login(reviewer)

    response = client.post(
        url(mex_draft), {"excerpt": EXCERPT, "expected_version": "0"}, follow=True
    )

    assert "Only an accepted update" in response.content.decode()
    assert mex_draft.review_state == ReviewState.DRAFT
    assert not GoodPracticeMark.objects.exists()


# --- The reviewers' list ----------------------------------------------------------


def test_reviewers_list_the_good_practices_of_the_cycle(
    client, reviewer, carla, focal_mex, mex_good
):
    good_practice_mark(actor=reviewer, update=mex_good, excerpt=EXCERPT)
    replaced = accepted("MEX", 7, author=focal_mex, reviewer=carla)
    good_practice_mark(actor=reviewer, update=replaced, excerpt="Replaced since.")
    accepted("MEX", 7, author=focal_mex, reviewer=carla, summary="Newer.")
    client.force_login(reviewer)

    page = client.get("/en/review/good-practices/").content.decode()

    assert "2 good practices marked" in page
    assert EXCERPT in page and "Replaced since." in page
    assert "No: a newer accepted update replaced this one" in page
    assert page.index(EXCERPT) < page.index("Replaced since.")  # by recommendation


@pytest.mark.parametrize(("role", "status"), [("focal_mex", 403), ("public", 302)])
def test_others_may_not_list_good_practices(client, who, role, status):
    if who(role) is not None:
        client.force_login(who(role))

    assert client.get("/en/review/good-practices/").status_code == status
