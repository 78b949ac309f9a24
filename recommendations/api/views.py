"""The API's catalogue and progress updates: thin views over the same permission
doors, selectors and services as the pages.

Reads go through ``permissions.updates_visible_to`` (lists and details alike); writes
through ``permissions.can_report_on`` / ``can_review`` and then the services, which
check again, validate and record the step. Each update carries ``actions``: what the
reader may do with it, from ``permissions.Rights.actions``, on the services' rules.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import OneValuePerParameter, StrictCharField, errors
from core.downloads import attachment
from recommendations import permissions, selectors, services
from recommendations.api import filters
from recommendations.api.serializers import (
    AcceptSerializer,
    CycleSerializer,
    EmptySerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    InstrumentSerializer,
    MemberStateSerializer,
    ProgressUpdateCreateSerializer,
    ProgressUpdateEditSerializer,
    ProgressUpdatePatchSerializer,
    ProgressUpdateSerializer,
    RecommendationSerializer,
    ReturnSerializer,
    SubmitSerializer,
    ThemeSerializer,
    content_data,
    content_from,
)
from recommendations.evidence import ALLOWED
from recommendations.models import (
    Instrument,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    Theme,
    UpdateEvent,
)
from recommendations.services import WorkflowError

INSTRUMENT = OpenApiParameter(
    "instrument",
    OpenApiTypes.STR,
    description="The instrument's slug; the current instrument when left out.",
)


class InstrumentQuerySerializer(serializers.Serializer):
    instrument = StrictCharField(required=False, allow_blank=True, max_length=50)


def instrument_for(request: Request) -> Instrument:
    query = InstrumentQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    slug = query.validated_data.get("instrument")
    instruments = Instrument.objects.all()
    found = (
        instruments.filter(slug=slug) if slug else instruments.filter(is_current=True)
    ).first()
    if found is None:
        raise NotFound(_("No instrument has this slug."))
    return found


class PublicReadViewSet(OneValuePerParameter, viewsets.ReadOnlyModelViewSet):
    """The catalogue: public, read-only."""

    permission_classes = [AllowAny]

    def _fake(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


class InstrumentViewSet(PublicReadViewSet):
    """The documents of recommendations, by slug: their title, meeting and dates;
    ``is_current`` marks the one whose recommendations the portal tracks now."""

    serializer_class = InstrumentSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Instrument]:
        return Instrument.objects.prefetch_related("footnotes__repeats").order_by(
            "-meeting_start", "slug"
        )


@extend_schema_view(
    list=extend_schema(parameters=[INSTRUMENT], responses={200: ThemeSerializer}),
    retrieve=extend_schema(parameters=[INSTRUMENT]),
)
class ThemeViewSet(PublicReadViewSet):
    """The instrument's themes, in order."""

    serializer_class = ThemeSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Theme]:
        if self._fake():
            return Theme.objects.none()
        numbers = Recommendation.objects.order_by("number").only("number", "theme_id")
        return (
            Theme.objects.filter(instrument=instrument_for(self.request))
            .select_related("instrument")
            .prefetch_related(Prefetch("recommendations", queryset=numbers))
            .order_by("position")
        )


@extend_schema_view(
    list=extend_schema(parameters=[INSTRUMENT]),
    retrieve=extend_schema(parameters=[INSTRUMENT]),
)
class RecommendationViewSet(PublicReadViewSet):
    """The recommendations, by their number in the instrument."""

    serializer_class = RecommendationSerializer
    lookup_field = "number"
    lookup_value_regex = r"[0-9]+"
    filterset_class = filters.RecommendationFilter
    ordering_fields = ["number"]
    ordering = ["number"]

    def get_queryset(self) -> QuerySet[Recommendation]:
        if self._fake():
            return Recommendation.objects.none()
        return (
            Recommendation.objects.filter(instrument=instrument_for(self.request))
            .select_related("instrument", "theme")
            .prefetch_related("footnotes__repeats")
        )


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "iso3",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="ISO 3166 alpha-3 code, such as MEX.",
            )
        ]
    )
)
class MemberStateViewSet(PublicReadViewSet):
    """The 35 member states of the OAS, by ISO 3166 alpha-3 code."""

    serializer_class = MemberStateSerializer
    queryset = MemberState.objects.all()
    lookup_field = "iso3"
    lookup_value_regex = r"[A-Za-z]{3}"
    filterset_class = filters.MemberStateFilter
    ordering_fields = ["name_en", "iso3"]
    ordering = ["name_en"]

    def get_object(self) -> MemberState:
        self.kwargs["iso3"] = self.kwargs["iso3"].upper()
        return super().get_object()


class CycleViewSet(PublicReadViewSet):
    """Reporting cycles, by slug; at most one is open."""

    serializer_class = CycleSerializer
    queryset = ReportingCycle.objects.select_related("instrument")
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = filters.CycleFilter
    ordering_fields = ["period_start", "deadline"]
    ordering = ["-period_start"]


# --- Progress updates -------------------------------------------------------------

EVIDENCE_TYPES = sorted({kind.content_type for kind in ALLOWED.values()})

DOC_VERSION = (
    "Send the `version` you read. If the update was saved since, nothing changes "
    "and the answer is 409 with `error.code` `stale_version` and `error.changes`."
)


# Of the related rows, what a list of updates never shows.
LIST_DEFERRED = (
    "cycle__translations",
    "member_state__translations",
    "recommendation__translations",
    "recommendation__text",
    "recommendation__source_paragraph",
    "author__password",
)


@extend_schema_view(
    list=extend_schema(
        description=(
            "The updates you may see: in full, those of the states you report for "
            "(the Secretariat: all); of the others, the accepted (published) ones "
            "with their public parts only, and null for the rest."
        )
    ),
    retrieve=extend_schema(responses={200: ProgressUpdateSerializer, **errors(404)}),
    create=extend_schema(
        description=(
            "Start a draft in the open cycle. The Secretariat filing for a state "
            "gives `on_behalf_reference`."
        ),
        request=ProgressUpdateCreateSerializer,
        responses={201: ProgressUpdateSerializer, **errors(400, 403, 409)},
    ),
    update=extend_schema(
        description="Replace the content of a draft or returned update. " + DOC_VERSION,
        request=ProgressUpdateEditSerializer,
        responses={200: ProgressUpdateSerializer, **errors(400, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        description="Change some fields of a draft or returned update. " + DOC_VERSION,
        request=ProgressUpdatePatchSerializer,
        responses={200: ProgressUpdateSerializer, **errors(400, 403, 404, 409)},
    ),
    destroy=extend_schema(
        description="Delete a draft that was never submitted.",
        responses={204: None, **errors(403, 404, 409)},
    ),
)
class ProgressUpdateViewSet(
    OneValuePerParameter,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Progress updates and their workflow: draft, submitted, returned, accepted."""

    serializer_class = ProgressUpdateSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]
    filterset_class = filters.ProgressUpdateFilter
    ordering_fields = ["created_at", "updated_at", "submitted_at", "reviewed_at", "id"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ProgressUpdate]:
        if getattr(self, "swagger_fake_view", False):
            return ProgressUpdate.objects.none()
        returns = UpdateEvent.objects.filter(
            action=UpdateEvent.Action.RETURNED
        ).order_by("created_at", "pk")
        user = self.request.user
        return permissions.for_actions(
            permissions.updates_visible_to(user)
            .select_related("cycle", "member_state", "recommendation", "author")
            # The related rows' texts and translations: the list shows their codes,
            # numbers and names, and decoding three JSON columns a row cost a tenth
            # of the list.
            .defer(*LIST_DEFERRED)
            # As lists (to_attr): Django's related managers would build a filtered
            # queryset a row and a relation, most of the list's time at 50 rows.
            .prefetch_related(
                Prefetch("measures", to_attr="listed_measures"),
                Prefetch("assistance_needs", to_attr="listed_needs"),
                Prefetch("evidence", to_attr="listed_evidence"),
                Prefetch("events", queryset=returns, to_attr="listed_returns"),
            ),
            user,
        )

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not hasattr(self, "_rights"):  # read once a request, for every row
            self._rights = permissions.rights_of(self.request.user)
        context["rights"] = self._rights
        return context

    def _shown(self, update: ProgressUpdate, status_code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=update.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _visible(self) -> ProgressUpdate:
        return permissions.get_visible_update_for(self.request.user, self.kwargs["pk"])

    def _changeable(self) -> ProgressUpdate:
        """The update, if the user may change it: 404 if hidden, 403 if only seen."""
        update = self._visible()
        if not permissions.can_report_on(self.request.user, update.member_state):
            raise PermissionDenied
        return update

    def _reviewable(self) -> ProgressUpdate:
        update = self._visible()
        if not permissions.can_review(self.request.user):
            raise PermissionDenied
        return update

    @staticmethod
    def _valid(serializer_class, request: Request, **kwargs) -> serializers.Serializer:
        serializer = serializer_class(data=request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer

    def create(self, request: Request) -> Response:
        data = self._valid(ProgressUpdateCreateSerializer, request).validated_data
        cycle = selectors.open_cycle()
        if cycle is None:
            raise WorkflowError(_("No reporting cycle is open."))
        recommendation = cycle.instrument.recommendations.filter(
            number=data["recommendation"]
        ).first()
        if recommendation is None:
            raise serializers.ValidationError(
                {
                    "recommendation": [
                        _("The open cycle has no recommendation with this number.")
                    ]
                }
            )
        update = services.progress_update_create(
            actor=request.user,
            cycle=cycle,
            member_state=data["member_state"],
            recommendation=recommendation,
            content=content_from(data),
        )
        response = self._shown(update, status.HTTP_201_CREATED)
        response["Location"] = str(response.data["url"])
        return response

    def update(self, request: Request, pk: str) -> Response:
        update = self._changeable()
        serializer = self._valid(ProgressUpdateEditSerializer, request)
        update = services.progress_update_edit(
            update=update,
            actor=request.user,
            content=serializer.content(),
            expected_version=serializer.validated_data["version"],
        )
        return self._shown(update)

    def partial_update(self, request: Request, pk: str) -> Response:
        update = self._changeable()
        changes = dict(
            self._valid(ProgressUpdatePatchSerializer, request).validated_data
        )
        version = changes.pop("version")
        update = services.progress_update_edit(
            update=update,
            actor=request.user,
            content=content_from({**content_data(update), **changes}),
            expected_version=version,
        )
        return self._shown(update)

    def destroy(self, request: Request, pk: str) -> Response:
        services.progress_update_delete(update=self._changeable(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        description=(
            "Send a draft (or a revised returned update) to the Secretariat. "
            "Give `version` to be sure you submit what you read."
        ),
        request=SubmitSerializer,
        responses={200: ProgressUpdateSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        update = self._changeable()
        serializer = self._valid(SubmitSerializer, request)
        update = services.progress_update_submit(
            update=update,
            actor=request.user,
            expected_version=serializer.validated_data.get("version"),
        )
        return self._shown(update)

    @extend_schema(
        description="Take a submitted update back to draft before it is reviewed.",
        request=EmptySerializer,
        responses={200: ProgressUpdateSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        update = self._changeable()
        self._valid(EmptySerializer, request)
        update = services.progress_update_withdraw(update=update, actor=request.user)
        return self._shown(update)

    @extend_schema(
        description=(
            "The Secretariat accepts a submitted update (not one it wrote or "
            "changed): it becomes the state's published status. Every item of "
            "`checklist` must be true."
        ),
        request=AcceptSerializer,
        responses={200: ProgressUpdateSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        update = self._reviewable()
        serializer = self._valid(AcceptSerializer, request)
        update = services.progress_update_accept(
            update=update,
            actor=request.user,
            checklist=dict(serializer.validated_data["checklist"]),
        )
        return self._shown(update)

    @extend_schema(
        description=(
            "The Secretariat returns a submitted update to the state, saying in "
            "`comment` what to change."
        ),
        request=ReturnSerializer,
        responses={200: ProgressUpdateSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str) -> Response:
        update = self._reviewable()
        serializer = self._valid(ReturnSerializer, request)
        update = services.progress_update_return(
            update=update,
            actor=request.user,
            comment=serializer.validated_data["comment"],
            checklist=dict(serializer.validated_data.get("checklist") or {}),
        )
        return self._shown(update)

    @extend_schema(
        description=(
            "Attach an evidence file to a draft or returned update "
            "(multipart/form-data, field `file`)."
        ),
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request: Request, pk: str) -> Response:
        update = self._changeable()
        serializer = self._valid(EvidenceUploadSerializer, request)
        evidence = services.evidence_add(
            update=update, actor=request.user, upload=serializer.validated_data["file"]
        )
        data = EvidenceSerializer(evidence, context={"request": request}).data
        return Response(data, status=201, headers={"Location": str(data["download"])})

    @extend_schema(
        methods=["GET"],
        description=(
            "Download an evidence file: for those who may read the update in full."
        ),
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY)
                for content_type in EVIDENCE_TYPES
            },
            **errors(404),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        description="Remove an evidence file from a draft or returned update.",
        responses={204: None, **errors(403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"evidence/(?P<evidence_id>[0-9]+)",
        url_name="evidence-file",
    )
    def evidence_file(self, request: Request, pk: str, evidence_id: str):
        evidence = permissions.get_evidence_for(request.user, evidence_id)
        if str(evidence.update_id) != pk:
            raise Http404
        if request.method == "DELETE":
            if not permissions.can_report_on(
                request.user, evidence.update.member_state
            ):
                raise PermissionDenied
            services.evidence_remove(evidence=evidence, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return attachment(
            evidence.file,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # A download answers with the file's own type whatever Accept says; its
        # errors are JSON.
        if self.action == "evidence_file":
            force = True
        return super().perform_content_negotiation(request, force=force)
