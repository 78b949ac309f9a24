"""The API's published status matrix and report runs.

Report runs go through ``reporting.permissions`` (``get_run_for``, ``runs_visible_to``,
``get_published_run``), ``reporting.services`` and ``reporting.runs``, like the reports
pages.

The status rows come from ``reporting.selectors.status_matrix``, the same aggregate as
the public pages, the open data and the PDF report, so all of them agree.
"""

import re

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import (
    exceptions,
    generics,
    mixins,
    serializers,
    status,
    viewsets,
)
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.api import (
    ErrorSerializer,
    OneValuePerParameter,
    Pagination,
    StrictCharField,
    UserThrottle,
    errors,
)
from core.downloads import attachment
from core.filters import StrictFilterSet
from recommendations.models import MemberState, ReportingCycle
from recommendations.services import WorkflowError
from reporting import permissions as report_permissions
from reporting import services
from reporting.models import REPORT_LANGUAGES, ReportRun
from reporting.runs import report_runs_sweep
from reporting.selectors import (
    CATEGORIES,
    NO_INFORMATION,
    public_cycle,
    status_matrix,
)

SECRETARIAT = "secretariat"
_INTEGER = re.compile(r"[0-9]+")


class StatusRowSerializer(serializers.Serializer):
    member_state = serializers.CharField(
        allow_null=True,
        help_text=(
            "ISO 3166 alpha-3 code; null for the Secretariat's own recommendation."
        ),
    )
    recommendation = serializers.IntegerField(help_text="The recommendation's number.")
    status = serializers.ChoiceField(
        choices=CATEGORIES,
        help_text=(
            "The status of the latest accepted update in the cycle; no_information "
            "where none was accepted."
        ),
    )
    update = serializers.IntegerField(
        allow_null=True,
        help_text="The id of that update, under progress-updates.",
    )


@extend_schema_field(OpenApiTypes.INT)
class QueryIntegerField(StrictCharField):
    """A whole number in a query string, where every value arrives as text."""


class StatusQuerySerializer(serializers.Serializer):
    """The filters; an empty text one (``?theme=``) filters nothing."""

    cycle = StrictCharField(
        required=False,
        allow_blank=True,
        help_text=("The cycle's slug; the open cycle when left out, else the latest."),
    )
    member_state = StrictCharField(
        required=False,
        allow_blank=True,
        help_text=(
            "ISO 3166 alpha-3 code, or `secretariat` for the Secretariat's own rows."
        ),
    )
    theme = StrictCharField(required=False, allow_blank=True, help_text="Theme slug.")
    recommendation = QueryIntegerField(
        required=False, help_text="The recommendation's number."
    )
    status = serializers.ChoiceField(choices=CATEGORIES, required=False)

    def validate(self, data: dict) -> dict:
        return {key: value for key, value in data.items() if value != ""}

    def validate_recommendation(self, value: str) -> int:
        if not _INTEGER.fullmatch(value):
            raise serializers.ValidationError(_("Enter a whole number."))
        return int(value)


class StatusPagination(Pagination):
    """The whole matrix of a cycle fits in one page."""

    page_size = 1000
    max_page_size = 1000


class StatusView(OneValuePerParameter, generics.GenericAPIView):
    """The published status of each participating state on each recommendation.

    One row per state and recommendation addressed to states, and one per
    recommendation addressed to the Secretariat (``member_state`` null), by state name
    then number. Public.
    """

    permission_classes = [AllowAny]
    serializer_class = StatusRowSerializer
    pagination_class = StatusPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="status_list",
        parameters=[StatusQuerySerializer],
        responses={200: StatusRowSerializer(many=True), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        # A plain dict: DRF would read an empty value as a missing one.
        query = StatusQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rows = self._rows(query.validated_data)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page)

    def _rows(self, query: dict) -> list[dict]:
        cycle = self._cycle(query.get("cycle"))
        if cycle is None:
            return []
        matrix = status_matrix(cycle=cycle, details=False)
        recommendations = matrix.recommendations
        theme = query.get("theme")
        if theme is not None:
            if not any(r.theme.slug == theme for r in recommendations):
                raise serializers.ValidationError(
                    {"theme": [_("The cycle has no theme with this slug.")]}
                )
            recommendations = [r for r in recommendations if r.theme.slug == theme]
        number = query.get("recommendation")
        if number is not None:
            if not any(r.number == number for r in matrix.recommendations):
                raise serializers.ValidationError(
                    {
                        "recommendation": [
                            _("The cycle has no recommendation with this number.")
                        ]
                    }
                )
            recommendations = [r for r in recommendations if r.number == number]
        states, secretariat_rows = self._states(matrix, query.get("member_state"))
        rows = [
            _row(state.iso3, r, matrix.update(state, r))
            for state in states
            for r in recommendations
            if not r.is_for_secretariat
        ]
        if secretariat_rows:
            rows += [
                _row(None, r, matrix.secretariat.get(r.pk))
                for r in recommendations
                if r.is_for_secretariat
            ]
        wanted = query.get("status")
        return [row for row in rows if wanted is None or row["status"] == wanted]

    @staticmethod
    def _cycle(slug: str | None) -> ReportingCycle | None:
        if slug is None:
            return public_cycle()
        cycle = ReportingCycle.objects.select_related("instrument").filter(slug=slug)
        found = cycle.first()
        if found is None:
            raise serializers.ValidationError(
                {"cycle": [_("No reporting cycle has this slug.")]}
            )
        return found

    @staticmethod
    def _states(matrix, code: str | None) -> tuple[list[MemberState], bool]:
        if code is None:
            return matrix.participating, True
        if code.lower() == SECRETARIAT:
            return [], True
        states = [s for s in matrix.participating if s.iso3 == code.upper()]
        if not states:
            raise serializers.ValidationError(
                {"member_state": [_("No participating member state has this code.")]}
            )
        return states, False


def _row(iso3: str | None, recommendation, update) -> dict:
    return {
        "member_state": iso3,
        "recommendation": recommendation.number,
        "status": update.status if update else NO_INFORMATION,
        "update": update.pk if update else None,
    }


# --- Reports ------------------------------------------------------------------------


class ReportRunSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="v1:report-detail")
    cycle = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    member_state = serializers.SlugRelatedField(
        slug_field="iso3",
        read_only=True,
        allow_null=True,
        help_text="ISO 3166 alpha-3 code; null for the hemispheric one.",
    )
    download = serializers.SerializerMethodField(
        help_text="Where to download the PDF, once the run succeeded."
    )

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "url",
            "cycle",
            "member_state",
            "language",
            "as_of",
            "state",
            "stage",
            "progress",
            "attempts",
            "max_attempts",
            "error",
            "requested_at",
            "started_at",
            "finished_at",
            "page_count",
            "size",
            "sha256",
            "published_at",
            "final",
            "download",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "final": {
                "help_text": "The final edition (published, without the DRAFT mark); "
                "false for a draft."
            }
        }

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, run: ReportRun) -> str | None:
        if run.state != ReportRun.State.SUCCEEDED or not run.pdf:
            return None
        return reverse(
            "v1:report-pdf", args=[run.pk], request=self.context.get("request")
        )


class ReportRequestSerializer(serializers.Serializer):
    cycle = StrictCharField(
        required=False,
        help_text=("The cycle's slug; the open cycle when left out, else the latest."),
    )
    language = serializers.ChoiceField(
        choices=REPORT_LANGUAGES, required=False, default="en"
    )
    member_state = StrictCharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=3,
        help_text=(
            "ISO 3166 alpha-3 code for a state's own report; null or left out for "
            "the hemispheric report."
        ),
    )
    as_of = serializers.DateTimeField(
        required=False,
        help_text=(
            "The moment whose data the report covers, with its time zone; now when "
            "left out."
        ),
    )

    def validate_cycle(self, slug: str) -> ReportingCycle:
        cycle = ReportingCycle.objects.filter(slug=slug).first()
        if cycle is None:
            raise serializers.ValidationError(_("No reporting cycle has this slug."))
        return cycle

    def validate_member_state(self, code: str | None) -> MemberState | None:
        if code is None:
            return None
        state = MemberState.objects.filter(iso3=code.upper()).first()
        if state is None:
            raise serializers.ValidationError(_("No member state has this code."))
        return state


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "unavailable"


class ReportFilter(StrictFilterSet):
    cycle = django_filters.CharFilter(field_name="cycle__slug")
    member_state = django_filters.CharFilter(
        method="filter_member_state",
        help_text="ISO 3166 alpha-3 code, or `hemispheric`.",
    )
    language = django_filters.ChoiceFilter(choices=REPORT_LANGUAGES)
    state = django_filters.ChoiceFilter(choices=ReportRun.State.choices)

    class Meta:
        model = ReportRun
        fields = ["cycle", "member_state", "language", "state"]

    def filter_member_state(self, queryset, name, value: str):
        if value.lower() == "hemispheric":
            return queryset.filter(member_state__isnull=True)
        return queryset.filter(member_state__iso3=value.upper())


class ReportThrottle(UserThrottle):
    """Each run compiles a PDF: asking for runs has its own, lower rate."""

    scope = "reports"


@extend_schema_view(
    list=extend_schema(
        description=(
            "The runs you may follow (a state's own reports for its focal points and "
            "the Secretariat; the hemispheric ones for the Secretariat), and the "
            "published reports, for everyone."
        )
    ),
    retrieve=extend_schema(
        description=(
            "A run's state and progress; `download` once it succeeded. Poll it "
            "every few seconds while `state` is queued or running."
        )
    ),
)
class ReportRunViewSet(
    OneValuePerParameter,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Report runs: ask for a PDF report, follow its progress, download it."""

    serializer_class = ReportRunSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]
    filterset_class = ReportFilter
    ordering_fields = ["requested_at", "published_at", "id"]
    ordering = ["-requested_at", "-id"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ReportRun]:
        if getattr(self, "swagger_fake_view", False):
            return ReportRun.objects.none()
        visible = report_permissions.runs_visible_to(self.request.user)
        published = ReportRun.objects.published().hemispheric()
        return (visible | published).select_related("cycle", "member_state")

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(ReportThrottle())
        return throttles

    def get_object(self) -> ReportRun:
        run = _run_for(self.request.user, self.kwargs["pk"])
        if not run.is_finished:
            # A run whose worker died is caught as soon as someone looks.
            report_runs_sweep(runs=ReportRun.objects.filter(pk=run.pk))
            run.refresh_from_db()
        return run

    @extend_schema(
        description=(
            "Ask for a report: the hemispheric one (the Secretariat) or a state's "
            "own (its focal points and the Secretariat). It is compiled in the "
            "background: the answer, 202, gives the run to poll."
        ),
        request=ReportRequestSerializer,
        responses={
            202: ReportRunSerializer,
            **errors(400, 403),
            503: OpenApiResponse(
                ErrorSerializer, description="The job queue is not answering."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cycle = data.get("cycle") or public_cycle()
        if cycle is None:
            raise WorkflowError(_("There is no reporting cycle yet."))
        try:
            run = services.report_run_request(
                actor=request.user,
                cycle=cycle,
                language=data["language"],
                member_state=data["member_state"],
                as_of=data.get("as_of"),
            )
        except services.ReportQueueUnavailable as error:
            raise ServiceUnavailable(error.message) from None
        run = ReportRun.objects.select_related("cycle", "member_state").get(pk=run.pk)
        body = self.get_serializer(run).data
        return Response(
            body,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": str(body["url"])},
        )

    @extend_schema(
        description=(
            "The PDF, to those who may follow the run, and to everyone once it is "
            "published. 409 while it is not ready."
        ),
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **errors(404, 409),
        },
    )
    @action(detail=True, methods=["get"], url_name="pdf")
    def pdf(self, request: Request, pk: str):
        run = _run_for(request.user, pk)
        if run.state != ReportRun.State.SUCCEEDED or not run.pdf:
            raise WorkflowError(_("The report is not ready: it has no PDF yet."))
        return attachment(
            run.pdf,
            filename=run.download_name(),
            content_type="application/pdf",
            public=run.is_published,
        )

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The PDF answers whatever Accept says; its errors are JSON.
        return super().perform_content_negotiation(
            request, force=force or self.action == "pdf"
        )


def _run_for(user, pk) -> ReportRun:
    """The run if the user may follow it, or if it is published: the two doors."""
    try:
        return report_permissions.get_run_for(user, pk)
    except Http404:
        run = report_permissions.get_published_run(pk)
    return ReportRun.objects.select_related("cycle", "member_state").get(pk=run.pk)
