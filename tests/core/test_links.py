"""Links reversed once for many rows give the address ``reverse`` gives each row."""

import functools

from django.test import RequestFactory
from django.urls import reverse
from rest_framework.reverse import reverse as api_reverse

from core.links import link_for_each


def test_one_changing_part_beside_a_fixed_one():
    link = link_for_each("reporting:state-recommendation", "MEX", ...)

    for number in (1, 9, 22, 999999991):
        assert link(number) == reverse(
            "reporting:state-recommendation", args=["MEX", number]
        )


def test_two_changing_parts_are_written_in_the_order_given():
    link = link_for_each("reporting:state-recommendation", ..., ...)

    assert link("BRA", 12) == "/en/states/BRA/recommendations/12/"
    assert link("JAM", 3) == reverse("reporting:state-recommendation", args=["JAM", 3])


def test_keyword_parts_with_the_apis_absolute_reverse():
    request = RequestFactory().get("/api/v1/progress-updates/", secure=True)
    link = link_for_each(
        "v1:progress-update-evidence-file",
        reverse=functools.partial(api_reverse, request=request),
        evidence_id=...,
        pk=...,
    )

    assert link(7, 41) == api_reverse(
        "v1:progress-update-evidence-file",
        kwargs={"pk": 41, "evidence_id": 7},
        request=request,
    )
    assert link(7, 41).startswith("https://testserver/api/v1/progress-updates/41/")
