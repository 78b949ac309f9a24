"""Following up from the coverage page: reminding chosen states now (recorded, once a
day per state), each state's focal points and how to reach them, and the list as CSV
and XLSX; for the Secretariat's admins, and for nobody else."""

import csv
import html
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook

from recommendations import notifications
from recommendations.models import FollowUpReminder, MemberState, Notification
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = "/en/review/coverage/"
REMIND = "/en/review/coverage/remind/"
CSV = "/en/review/coverage/export.csv"
XLSX = "/en/review/coverage/export.xlsx"


def state(iso3: str) -> MemberState:
    return MemberState.objects.get(iso3=iso3)


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def focal_mex(db):
    return factories.focal_point(
        "MEX", username="maria", first_name="María", last_name="López"
    )


@pytest.fixture
def focal_arg(db):
    return factories.focal_point(
        "ARG", username="ana", first_name="Ana", last_name="Gómez"
    )


@pytest.fixture
def secretariat_admin(db):
    return factories.secretariat(
        "admin", username="alba", first_name="Alba", last_name="Ruiz"
    )


def remind(client, capture, *iso3: str):
    with capture(execute=True):
        return client.post(REMIND, {"states": list(iso3)}, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def sent_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


# --- Who may ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["focal_mex", "focal_bra"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", PAGE), ("post", REMIND), ("get", CSV), ("get", XLSX)],
)
def test_focal_points_are_refused_the_page_the_reminder_and_the_export(
    client, request, cycle, focal_arg, role, method, path
):
    client.force_login(request.getfixturevalue(role))

    response = getattr(client, method)(path, {"states": ["ARG"]})

    assert response.status_code == 403
    assert "ana@example.org" not in text(response)
    assert not FollowUpReminder.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    ("method", "path"), [("post", REMIND), ("get", CSV), ("get", XLSX)]
)
def test_a_reviewer_is_refused_the_reminder_and_the_export(
    client, reviewer, cycle, focal_arg, method, path
):
    client.force_login(reviewer)

    response = getattr(client, method)(path, {"states": ["ARG"]})

    assert response.status_code == 403
    assert not FollowUpReminder.objects.exists() and mail.outbox == []
    assert not Notification.objects.exists()


def test_a_reviewer_sees_the_coverage_without_the_follow_up_tools(
    client, reviewer, cycle, focal_arg
):
    client.force_login(reviewer)

    page = text(client.get(PAGE))

    assert "By recommendation" in page
    assert "Follow up" not in page
    assert REMIND not in page and CSV not in page
    assert "ana@example.org" not in page and "Ana Gómez" not in page


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", PAGE), ("post", REMIND), ("get", CSV), ("get", XLSX)],
)
def test_the_public_is_sent_to_sign_in(client, cycle, focal_arg, method, path):
    response = getattr(client, method)(path, {"states": ["ARG"]})

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/?next=")
    assert not FollowUpReminder.objects.exists() and mail.outbox == []


def test_the_reminder_is_posted_only(client, secretariat_admin, cycle, focal_arg):
    client.force_login(secretariat_admin)

    assert client.get(REMIND, {"states": ["ARG"]}).status_code == 405
    assert not FollowUpReminder.objects.exists()


def test_the_service_refuses_whoever_may_not_follow_up(cycle, reviewer, focal_arg):
    with pytest.raises(PermissionDenied):
        notifications.follow_up_reminders_send(
            actor=reviewer, cycle=cycle, member_states=[state("ARG")]
        )

    assert not FollowUpReminder.objects.exists()


# --- What the Secretariat sees --------------------------------------------------------


def test_the_admin_sees_each_states_figures_and_focal_points(
    client,
    django_assert_max_num_queries,
    secretariat_admin,
    focal_mex,
    focal_arg,
    mex_submitted,
    mex_public,
    mex_draft,
):
    client.force_login(secretariat_admin)

    with django_assert_max_num_queries(20):
        response = client.get(PAGE)

    page = text(response)
    assert response.status_code == 200
    assert "Follow up" in page
    row = page[page.index('id="remind-MEX"') :]
    row = row[: row.index("</tr>")]
    # Mexico: 5 accepted, 4 awaiting review, 3 a draft; 18 of the 21 with nothing
    cells = [cell.split("<")[0] for cell in row.split("<td>")[1:6]]
    assert cells == ["1", "1", "0", "1", "18"]
    assert 'href="mailto:maria@example.org"' in row
    assert "María López" in row
    assert "Not reminded from here" in row
    chile = page[page.index('id="remind-CHL"') :]
    assert "No focal point" in chile[: chile.index("</tr>")]
    # Cuba does not take part: no line, nothing to remind
    assert 'id="remind-CUB"' not in page


def test_the_page_stays_a_few_queries_with_every_state_reminded(
    client, django_assert_max_num_queries, secretariat_admin, cycle
):
    for number, member_state in enumerate(MemberState.objects.all()):
        factories.focal_point(member_state.iso3, username=f"focal{number}")
        FollowUpReminder.objects.create(
            cycle=cycle,
            member_state=member_state,
            sent_by=secretariat_admin,
            sent_at=timezone.now(),
            day=timezone.localdate(),
        )
    client.force_login(secretariat_admin)

    with django_assert_max_num_queries(20):
        page = text(client.get(PAGE))

    participating = MemberState.objects.filter(participating=True).count()
    assert page.count("by Alba Ruiz") == participating


# --- Sending ----------------------------------------------------------------------


def test_chosen_states_are_reminded_and_the_page_says_when_and_by_whom(
    client,
    django_capture_on_commit_callbacks,
    secretariat_admin,
    focal_mex,
    focal_bra,
    focal_arg,
    cycle,
):
    client.force_login(secretariat_admin)

    response = remind(client, django_capture_on_commit_callbacks, "MEX", "ARG")

    # The two states' focal points, and only they, get the email
    assert messages_of(response) == [
        "Reminder sent to the focal points of Argentina, Mexico."
    ]
    [email] = sent_to(focal_mex)
    assert email.subject == (
        "Reminder from the Secretariat: Mexico has recommendations to report on"
    )
    assert "Alba Ruiz, of the Secretariat, reminds you" in email.body
    assert "21 recommendations" in email.body
    assert "/en/workspace/MEX/" in email.body
    assert len(sent_to(focal_arg)) == 1 and sent_to(focal_bra) == []
    # ... and reads it in the portal too
    assert Notification.objects.filter(recipient=focal_mex).count() == 1
    # The reminders are recorded: who, when, to which state
    recorded = FollowUpReminder.objects.order_by("member_state__iso3")
    assert [r.member_state.iso3 for r in recorded] == ["ARG", "MEX"]
    assert {r.sent_by for r in recorded} == {secretariat_admin}
    assert {r.cycle for r in recorded} == {cycle}
    page = text(response)
    row = page[page.index('id="remind-MEX"') :]
    assert "Last reminded" in row[: row.index("</tr>")]
    assert "by Alba Ruiz" in row[: row.index("</tr>")]
    brazil = page[page.index('id="remind-BRA"') :]
    assert "Not reminded from here" in brazil[: brazil.index("</tr>")]


def test_a_second_reminder_the_same_day_is_refused_for_that_state_only(
    client,
    django_capture_on_commit_callbacks,
    secretariat_admin,
    focal_mex,
    focal_arg,
    focal_bra,
    cycle,
):
    client.force_login(secretariat_admin)
    remind(client, django_capture_on_commit_callbacks, "MEX")
    mail.outbox.clear()

    response = remind(client, django_capture_on_commit_callbacks, "MEX", "BRA")

    assert messages_of(response) == [
        "Reminder sent to the focal points of Brazil.",
        "Not sent to Mexico: reminded today already. A state is reminded once a day "
        "at most; try again tomorrow.",
    ]
    assert sent_to(focal_mex) == [] and len(sent_to(focal_bra)) == 1
    assert FollowUpReminder.objects.filter(member_state__iso3="MEX").count() == 1


def test_a_state_may_be_reminded_again_the_next_day_in_the_portals_time_zone(
    secretariat_admin, focal_mex, cycle
):
    mexico = [state("MEX")]
    # 23:30 and 23:50 in New York are the same day there, a different one in UTC
    evening = datetime(2027, 1, 11, 4, 30, tzinfo=UTC)
    send = notifications.follow_up_reminders_send

    first = send(
        actor=secretariat_admin, cycle=cycle, member_states=mexico, now=evening
    )
    later = send(
        actor=secretariat_admin,
        cycle=cycle,
        member_states=mexico,
        now=evening + timedelta(minutes=20),
    )
    morning = send(
        actor=secretariat_admin,
        cycle=cycle,
        member_states=mexico,
        now=evening + timedelta(hours=8),
    )

    assert len(first.sent) == 1 and first.sent[0].day.isoformat() == "2027-01-10"
    assert later.sent == [] and later.reminded_today == mexico
    assert len(morning.sent) == 1 and morning.sent[0].day.isoformat() == "2027-01-11"


def test_the_database_refuses_a_second_reminder_the_same_day(
    secretariat_admin, reviewer, cycle
):
    # What two clicks at the same moment meet: the second insert fails, whoever runs it.
    fields = {"cycle": cycle, "member_state": state("MEX"), "day": timezone.localdate()}
    FollowUpReminder.objects.create(
        sent_by=secretariat_admin, sent_at=timezone.now(), **fields
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpReminder.objects.create(
            sent_by=reviewer, sent_at=timezone.now(), **fields
        )


def test_a_reminder_claimed_meanwhile_sends_nothing(
    django_capture_on_commit_callbacks, secretariat_admin, focal_mex, cycle
):
    # Given another click's reminder committed after this one read the page
    now = timezone.now()
    FollowUpReminder.objects.create(
        cycle=cycle,
        member_state=state("MEX"),
        sent_by=secretariat_admin,
        sent_at=now,
        day=notifications.portal_day(now),
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = notifications.follow_up_reminders_send(
            actor=secretariat_admin, cycle=cycle, member_states=[state("MEX")]
        )

    assert outcome.sent == [] and outcome.reminded_today == [state("MEX")]
    assert mail.outbox == [] and not Notification.objects.exists()


def test_states_with_nothing_to_submit_or_nobody_to_remind_are_refused(
    client, django_capture_on_commit_callbacks, secretariat_admin, focal_mex, cycle
):
    # Given Mexico submitted on every recommendation addressed to the states
    for number in range(1, 22):
        factories.progress_update("MEX", number, author=focal_mex, steps=["submit"])
    client.force_login(secretariat_admin)

    response = remind(client, django_capture_on_commit_callbacks, "MEX", "CHL")

    assert messages_of(response) == [
        "Not sent to Mexico: every recommendation has an update submitted.",
        "Not sent to Chile: no focal point to remind. Invite one first.",
    ]
    assert mail.outbox == [] and not FollowUpReminder.objects.exists()


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ([], "Choose at least one state to remind."),
        (["CUB"], "CUB is not a participating member state."),
        (["XXX"], "XXX is not a participating member state."),
    ],
)
def test_a_bad_choice_is_refused_with_a_message(
    client,
    django_capture_on_commit_callbacks,
    secretariat_admin,
    cycle,
    chosen,
    message,
):
    client.force_login(secretariat_admin)

    response = remind(client, django_capture_on_commit_callbacks, *chosen)

    assert messages_of(response) == [message]
    assert not FollowUpReminder.objects.exists()


def test_the_email_is_in_the_recipients_language(
    django_capture_on_commit_callbacks, secretariat_admin, cycle
):
    focal = factories.focal_point("ARG", username="ana", language="es")

    with django_capture_on_commit_callbacks(execute=True):
        notifications.follow_up_reminders_send(
            actor=secretariat_admin, cycle=cycle, member_states=[state("ARG")]
        )

    [email] = sent_to(focal)
    assert email.extra_headers["Content-Language"] == "es"
    assert "/es/workspace/ARG/" in email.body


# --- The list as a file -----------------------------------------------------------


@pytest.fixture
def risky_focal_point(db):
    """A focal point whose name a spreadsheet would run as a formula."""
    return factories.focal_point(
        "ARG",
        username="eve",
        first_name='=HYPERLINK("http://evil.example/","Click")',
        last_name="",
    )


def test_the_csv_lists_each_state_with_its_figures_focal_points_and_last_reminder(
    client, secretariat_admin, focal_mex, mex_submitted, risky_focal_point, cycle
):
    FollowUpReminder.objects.create(
        cycle=cycle,
        member_state=state("MEX"),
        sent_by=secretariat_admin,
        sent_at=datetime(2027, 1, 11, 14, 5, tzinfo=UTC),
        day=date(2027, 1, 11),
    )
    client.force_login(secretariat_admin)

    response = client.get(CSV)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="coverage-{cycle.slug}-'
    )
    assert "no-store" in response["Cache-Control"]
    rows = {
        row["ISO code"]: row
        for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    participating = MemberState.objects.filter(participating=True).count()
    assert len(rows) == participating and "CUB" not in rows
    mexico = rows["MEX"]
    assert mexico["Member state"] == "Mexico"
    assert (mexico["Awaiting review"], mexico["Nothing"]) == ("1", "20")
    assert mexico["Focal points"] == "María López <maria@example.org>"
    assert mexico["Last reminded (America/New_York)"] == "2027-01-11T09:05-05:00"
    assert mexico["Reminded by"] == "Alba Ruiz"
    # A name that looks like a formula is text, not a formula
    assert rows["ARG"]["Focal points"].startswith("'=HYPERLINK(")


def test_the_xlsx_holds_the_same_list_with_text_as_text(
    client, secretariat_admin, focal_mex, risky_focal_point, cycle
):
    client.force_login(secretariat_admin)

    response = client.get(XLSX)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Member state", "ISO code", "Accepted"]
    lines = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    focal_points = header.index("Focal points")
    assert lines["MEX"][focal_points].value == "María López <maria@example.org>"
    risky = lines["ARG"][focal_points]
    assert risky.data_type == "s" and risky.value.startswith("=HYPERLINK(")
    assert lines["MEX"][header.index("Nothing")].value == 21


def test_an_unknown_format_is_not_found(client, secretariat_admin, cycle):
    client.force_login(secretariat_admin)

    assert client.get("/en/review/coverage/export.pdf").status_code == 404
