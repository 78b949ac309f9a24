"""The public catalogue through the API: themes, recommendations, member states,
cycles. Every role reads it; nobody writes it through the API."""

from datetime import date

import pytest

from recommendations.models import Instrument, Recommendation, Theme
from tests.api_client import ROLES, error_of

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def eighth_instrument() -> Instrument:
    """A second, non-current instrument with one theme and one recommendation."""
    instrument = Instrument.objects.create(
        slug="rtp-viii",
        title="Recommendations of the Eighth Meeting",
        short_title="RTP-VIII",
        agreed_by="CSH",
        agreed_on=date(2026, 3, 1),
        meeting="Eighth Meeting",
        meeting_place="Washington",
        meeting_start=date(2026, 3, 1),
        meeting_end=date(2026, 3, 2),
        reports_to="Ninth Meeting",
    )
    theme = Theme.objects.create(
        instrument=instrument, position=1, slug="prevention", title="Prevention"
    )
    Recommendation.objects.create(
        instrument=instrument, number=1, theme=theme, text="Prevent it."
    )
    return instrument


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("themes/", 8),
        ("recommendations/", 22),
        ("member-states/", 35),
        ("cycles/", 1),
        ("instruments/", 1),
    ],
)
def test_every_role_reads_the_catalogue(api, who, role, path, count):
    response = api(who(role)).get(API + path)

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_themes_in_order_with_their_recommendations(api):
    themes = api().get(f"{API}themes/").json()["results"]

    assert [t["position"] for t in themes] == list(range(1, 9))
    assert themes[0]["title"] == "Multidimensional approach"
    assert themes[0]["recommendations"] == [1]
    assert themes[1]["recommendations"] == [2, 3, 4]
    assert themes[0]["instrument"] == "rtp-vii-recommendations"


def test_a_theme_by_slug(api):
    response = api().get(f"{API}themes/corruption/")

    assert response.status_code == 200
    assert response.json()["title"] == "Corruption"


def test_a_recommendation_by_number(api):
    body = api().get(f"{API}recommendations/22/").json()

    assert body["number"] == 22
    assert body["addressee"] == "secretariat"
    assert body["theme"] == "follow-up"
    # Without ?lang= or Accept-Language: the English text, said to be the source.
    assert body["text"] == body["text_en"]
    assert body["text_translation"] == {
        "language": "en",
        "standing": "source",
        "reference": "",
    }


def test_footnotes_resolve_idem(api):
    body = api().get(f"{API}recommendations/14/").json()

    assert any("domestic law" in note["text"] for note in body["footnotes"])


def test_other_instruments_by_query(api, eighth_instrument):
    current = api().get(f"{API}recommendations/1/").json()
    other = api().get(f"{API}recommendations/1/?instrument=rtp-viii").json()
    themes = api().get(f"{API}themes/?instrument=rtp-viii").json()

    assert current["instrument"] == "rtp-vii-recommendations"
    assert other["text"] == "Prevent it." and other["instrument"] == "rtp-viii"
    assert [t["slug"] for t in themes["results"]] == ["prevention"]
    assert api().get(f"{API}recommendations/2/?instrument=rtp-viii").status_code == 404


def test_an_unknown_instrument_or_number_is_not_found(api):
    unknown = api().get(f"{API}recommendations/?instrument=nope")
    missing = api().get(f"{API}recommendations/23/")

    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"
    assert missing.status_code == 404


def test_recommendations_filtered_by_theme_and_addressee(api):
    theme = api().get(f"{API}recommendations/?theme=corruption").json()["results"]
    secretariat = api().get(f"{API}recommendations/?addressee=secretariat").json()

    assert [r["number"] for r in theme] == [12]
    assert [r["number"] for r in secretariat["results"]] == [22]


def test_member_states_by_iso3_in_any_case(api):
    upper = api().get(f"{API}member-states/MEX/").json()
    lower = api().get(f"{API}member-states/mex/").json()

    assert upper == lower
    assert upper["name_es"] == "México" and upper["iso2"] == "MX"
    assert api().get(f"{API}member-states/XXX/").status_code == 404


def test_member_states_filtered_by_participation(api):
    absent = api().get(f"{API}member-states/?participating=false").json()
    wrong = api().get(f"{API}member-states/?participating=maybe")

    assert {s["iso3"] for s in absent["results"]} == {"CUB", "NIC", "VEN"}
    assert wrong.status_code == 400
    assert "participating" in error_of(wrong)["fields"]


def test_member_states_ordered(api):
    by_code = api().get(f"{API}member-states/?ordering=-iso3").json()["results"]
    wrong = api().get(f"{API}member-states/?ordering=population")

    assert by_code[0]["iso3"] == "VEN"
    assert wrong.status_code == 400 and "ordering" in error_of(wrong)["fields"]


def test_cycles_by_slug(api, cycle):
    body = api().get(f"{API}cycles/{cycle.slug}/").json()
    open_ = api().get(f"{API}cycles/?is_open=true").json()

    assert body["is_open"] is True and body["time_zone"] == cycle.time_zone
    assert [c["slug"] for c in open_["results"]] == [cycle.slug]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "path",
    [
        "themes/corruption/",
        "recommendations/3/",
        "member-states/MEX/",
        "instruments/rtp-vii-recommendations/",
    ],
)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_nobody_writes_the_catalogue_through_the_api(api, who, role, path, method):
    response = getattr(api(who(role)), method)(API + path, {}, format="json")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_nobody_creates_a_cycle_through_the_api(api, secretariat_admin):
    response = api(secretariat_admin).post(f"{API}cycles/", {}, format="json")

    assert response.status_code == 405
