"""themes.csv adds up what it lists: the follow-up theme's recommendation 21, which
states report on; the Secretariat's 22 is listed apart, not counted."""

import csv
import io

import pytest

from recommendations.models import MemberState
from reporting.opendata import CATEGORIES

pytestmark = pytest.mark.django_db


def themes(client) -> dict[str, dict]:
    response = client.get("/en/data/themes.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return {row["theme"]: row for row in csv.DictReader(io.StringIO(text))}


def counted(row: dict) -> int:
    return sum(int(row[category]) for category in CATEGORIES)


def test_the_follow_up_theme_counts_every_recommendation_it_lists(client):
    participating = MemberState.objects.filter(participating=True).count()
    row = themes(client)["follow-up"]
    assert row["recommendations"] == "21"
    assert row["secretariat_recommendations"] == "22"
    assert counted(row) == 1 * participating


def test_every_theme_counts_each_listed_recommendation_once_per_state(client):
    participating = MemberState.objects.filter(participating=True).count()
    for slug, row in themes(client).items():
        listed = len(row["recommendations"].split())
        assert counted(row) == listed * participating, slug
