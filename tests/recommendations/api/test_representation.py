"""An update as the API answers it, the list and the detail: the serializer writes it
out by hand for speed, and must answer exactly what its declared fields would."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

from recommendations import services
from recommendations.api.serializers import ProgressUpdateSerializer
from recommendations.services import MeasureData
from tests import factories

pytestmark = pytest.mark.django_db


class DeclaredFields(ProgressUpdateSerializer):
    """The same update through DRF's own field by field machinery, with the rule the
    API keeps: the private parts and, unless public, the narrative null for a reader
    who may not read the update in full."""

    def to_representation(self, update):
        data = serializers.ModelSerializer.to_representation(self, update)
        if self.context["rights"].may_read(update):
            return data
        for name in ("author", "on_behalf_reference", "evidence", "review_comment"):
            data[name] = None
        if not update.narrative_is_public:
            data["narrative"] = data["challenges"] = None
        return data


@pytest.fixture
def every_kind(
    focal_mex,
    reviewer,
    mex_draft,
    mex_returned,
    mex_public,
    mex_confidential,
    bra_draft,
):
    """Updates of each review state, with and without measures, dates, evidence,
    comments, a predecessor, and the Secretariat's own."""
    services.evidence_add(
        update=mex_returned,
        actor=focal_mex,
        upload=SimpleUploadedFile("minutes.txt", b"Minutes of the meeting."),
    )
    factories.progress_update(
        "MEX",
        5,
        author=focal_mex,
        reviewer=reviewer,
        narrative_visibility="confidential",
        measures=[
            MeasureData(
                kind="training",
                title="Course for inspectors",
                date=datetime.date(2026, 5, 1),
                link="https://example.org/course",
            )
        ],
    )  # supersedes mex_public
    factories.progress_update(
        None, 22, author=reviewer, steps=["submit"], on_behalf_reference="Note 1"
    )


@pytest.mark.parametrize("role", ["public", "focal_mex", "focal_bra", "reviewer"])
def test_the_list_and_each_update_answer_what_the_declared_fields_would(
    api, who, role, every_kind
):
    client = api(who(role))
    listed = client.get("/api/v1/progress-updates/").json()["results"]
    assert len(listed) >= 3
    response = client.get("/api/v1/progress-updates/")
    view, request = (
        response.renderer_context["view"],
        response.renderer_context["request"],
    )
    context = view.get_serializer_context()
    updates = {u.pk: u for u in view.get_queryset()}
    states = set()
    for shown in listed:
        update = updates[shown["id"]]
        expected = DeclaredFields(update, context=context).data
        assert shown == expected
        assert list(shown) == list(expected)  # the same keys, in the same order
        detail = client.get(shown["url"]).json()
        assert detail == expected
        states.add(update.review_state)
    assert request.user.is_authenticated == (role != "public")
    if role in ("focal_mex", "reviewer"):  # who may read Mexico's work in progress
        assert {"draft", "returned", "accepted"} <= states
