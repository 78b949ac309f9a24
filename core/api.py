"""What every endpoint of the REST API shares: errors, strict fields, pagination,
throttling and the schema's error responses. Settings name these classes, so this
module never imports DRF's views (``core.api_views`` and each app's API have
those).

Errors always have one shape, ``{"error": {"code", "message", ...}}``: ``fields`` for
invalid input, ``changes`` and ``by`` for a save on a stale version. The messages come
from the services and DRF, through gettext, in the language asked for: ``?lang=``, else
``Accept-Language`` (``ApiLanguageMiddleware``).
"""

import math

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from core.clients import client_ip
from core.errors import ConflictError

# --- Strict fields ----------------------------------------------------------------
# DRF turns 3 into "3" and "3" into 3; the schema says which type a field takes, and a
# request of another type is refused rather than silently converted.


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": gettext_lazy("Not a valid string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictURLField(serializers.URLField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# --- The language of the answer ----------------------------------------------------

LANGUAGE_PARAMETER = "lang"


def api_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


class ApiLanguageMiddleware:
    """Under /api/, ``?lang=en|es|fr|pt`` chooses the language of the answer's texts
    and messages, winning over ``Accept-Language`` (which LocaleMiddleware, placed
    before this one, has already applied). Any other value, or the parameter given
    twice, is refused with 400, as the API refuses any other filter it cannot read:
    a client that misspells a language learns it rather than getting English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and LANGUAGE_PARAMETER in request.GET:
            values = request.GET.getlist(LANGUAGE_PARAMETER)
            if len(values) > 1:
                return _language_refused(_("Give this parameter once."))
            if values[0] not in api_languages():
                return _language_refused(
                    _("Give one of these languages: %(languages)s.")
                    % {"languages": ", ".join(api_languages())}
                )
            translation.activate(values[0])
            request.LANGUAGE_CODE = values[0]
        return self.get_response(request)


def _language_refused(message: str) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": "invalid",
                "message": _("The request is not valid; see the fields."),
                "fields": {LANGUAGE_PARAMETER: [message]},
            }
        },
        status=400,
    )


# --- Query strings ----------------------------------------------------------------


class OneValuePerParameter:
    """Every query parameter of the API takes one value: ``?status=a&status=b`` is
    refused (400) rather than silently read as its last value."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        repeated = sorted(
            name for name, values in request.query_params.lists() if len(values) > 1
        )
        if repeated:
            raise exceptions.ValidationError(
                {name: [_("Give this parameter once.")] for name in repeated}
            )


# --- Errors -----------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="What changed.")
    before = serializers.CharField(help_text="In the version you read.")
    after = serializers.CharField(help_text="In the version saved now.")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "invalid, not_authenticated, authentication_failed, invalid_credentials, "
            "otp_required, otp_invalid, otp_throttled, two_factor_setup_required, "
            "permission_denied, not_found, method_not_allowed, not_acceptable, "
            "unsupported_media_type, conflict, stale_version, throttled, locked_out, "
            "parse_error, too_many_tokens"
        )
    )
    message = serializers.CharField(help_text="For a person to read.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=(
            "Invalid input: the messages for each field of the request, nested like "
            "the request (a list of measures gives a list of objects)."
        ),
    )
    changes = ChangeSerializer(
        many=True,
        required=False,
        help_text=(
            "A save on a stale version: what changed since the version you sent."
        ),
    )
    by = serializers.CharField(required=False, help_text="Who saved the newer version.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "The request is not valid: see `error.fields`.",
    401: "No credentials, or credentials that are not valid.",
    403: "You may not do this.",
    404: "Not found, or not visible to you.",
    406: "The `Accept` header asks for a format the API does not give.",
    409: (
        "The workflow does not allow this now (`conflict`), or someone saved the "
        "update after the version you sent (`stale_version`, with `changes`)."
    ),
    415: "The request's content type is not accepted here.",
    429: "Too many requests: wait the seconds in `Retry-After`.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for ``extend_schema(responses=...)``."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def error_response(
    status_code: int, code: str, message: str, headers=None, **extra
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, **extra}},
        status=status_code,
        headers=headers,
    )


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every refusal as ``{"error": {...}}``; the services' errors as 400, 403, 409."""
    from rest_framework.views import set_rollback

    if isinstance(exc, ConflictError):
        set_rollback()
        return error_response(409, exc.code, exc.message, **exc.details())
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return _django_validation_error(exc)
    if isinstance(exc, Http404):
        # Django's messages name the model ("No MemberState matches the given
        # query."): the API says DRF's translated "Not found." instead.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        return None  # a server error: Django reports it
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        return _drf_validation_error(exc)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return error_response(exc.status_code, code, str(exc.detail), headers)


def _drf_validation_error(exc: exceptions.ValidationError) -> Response:
    detail = exc.detail
    if isinstance(detail, dict):
        general = detail.get(api_settings.NON_FIELD_ERRORS_KEY)
        message = (
            " ".join(str(m) for m in general)
            if isinstance(general, list) and general
            else _("The request is not valid; see the fields.")
        )
        return error_response(400, "invalid", message, fields=_plain(detail))
    messages = detail if isinstance(detail, list) else [detail]
    return error_response(400, "invalid", " ".join(str(m) for m in messages))


def _django_validation_error(exc: DjangoValidationError) -> Response:
    if hasattr(exc, "error_dict"):
        fields = {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): [
                str(m) for m in messages
            ]
            for key, messages in exc.message_dict.items()
        }
        general = fields.get(api_settings.NON_FIELD_ERRORS_KEY)
        message = " ".join(general) if general else " ".join(exc.messages)
        return error_response(400, "invalid", message, fields=fields)
    return error_response(400, "invalid", " ".join(exc.messages))


def _plain(detail):
    """DRF's ErrorDetail strings, lists and dicts as plain JSON values."""
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(value) for value in detail]
    return str(detail)


# --- The schema -------------------------------------------------------------------


def document_common_errors(result, generator, request, public):
    """Add the errors any operation can answer, so that no response goes undocumented.

    Every operation takes ``lang``. Path parameters routed by digits are integers.
    Every operation: 406 and 429, and 401 (a token that is not valid) where
    credentials are read. With a body: 400 and
    415. With path parameters: 404. With query parameters: 400.
    """
    error_ref = {"$ref": "#/components/schemas/Error"}
    json = {"application/json": {"schema": error_ref}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            wanted = [406, 429]
            if operation.get("security"):
                wanted.append(401)
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == LANGUAGE_PARAMETER for p in parameters):
                parameters.append(_language_parameter())
            for parameter in parameters:
                # Ids and numbers in paths: routed by a digits-only pattern.
                if parameter.get("in") == "path" and parameter.get("schema") == {
                    "type": "string",
                    "pattern": "^[0-9]+$",
                }:
                    parameter["schema"] = {"type": "integer", "minimum": 1}
            if "requestBody" in operation:
                wanted += [400, 415]
            if any(p.get("in") == "query" for p in parameters):
                wanted.append(400)
            if any(p.get("in") == "path" for p in parameters):
                wanted.append(404)
            if any(p.get("name") == "page" for p in parameters):
                wanted.append(404)  # a page past the last
            for code in wanted:
                responses.setdefault(
                    str(code),
                    {"description": ERROR_DESCRIPTIONS[code], "content": json},
                )
    return result


def _language_parameter() -> dict:
    return {
        "in": "query",
        "name": LANGUAGE_PARAMETER,
        "required": False,
        "schema": {"type": "string", "enum": api_languages()},
        "description": (
            "The language of the answer: of the catalogue's texts (themes, "
            "recommendations, footnotes, cycles, the instrument), of member states' "
            "names and of error messages. Wins over the `Accept-Language` header, "
            "which is read when `lang` is left out; English when neither names one "
            "of these. Another value, or `lang` given twice, gives 400. Each "
            "translated text comes with its standing in `<field>_translation`: "
            "`source` (the English original), `official`, `working` (a working "
            "translation: the English text, in `<field>_en`, is authoritative) or "
            "`missing` (no translation yet: the English text stands in)."
        ),
    }


# --- Ordering, pagination and throttling -----------------------------------------


class Ordering(OrderingFilter):
    """``?ordering=-created_at,id``: a field the list cannot sort by gives 400, as
    does an empty ``?ordering=``, as the schema says (core.api_schema)."""

    def get_ordering(self, request: Request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        fields = raw.split(",")
        valid = {name for name, _label in self.get_valid_fields(queryset, view)}
        wrong = [f for f in fields if f.removeprefix("-") not in valid]
        if wrong:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        _("Sort by one of: %(fields)s; a leading - reverses.")
                        % {"fields": ", ".join(sorted(valid))}
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None) or []
        for parameter in parameters:
            parameter["description"] = (
                f"Sort by {', '.join(fields)} (comma-separated; a leading - reverses)."
            )
        return parameters


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``, at most 100 a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request: Request, paginator):
        raw = request.query_params.get(self.page_query_param, "1")
        if raw in self.last_page_strings:
            return raw
        if not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [_("Give a whole number from 1.")]}
            )
        return raw

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1.")]}
            )
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page, from 1; more than {self.max_page_size} "
                    f"gives {self.max_page_size}."
                )
        return parameters


class _RateFromSettings:
    """Read the rate when asked, not at import: tests and the fuzzing run change it.

    A rate of None (``off`` in the environment) lets every request through.

    The client is told apart by its address as the portal reads it behind
    ``TRUSTED_PROXIES`` (as django-axes and the audit trail do): DRF's own reading
    keys on the whole X-Forwarded-For header, which a client can vary at will.
    """

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class AnonThrottle(_RateFromSettings, AnonRateThrottle):
    pass


class UserThrottle(_RateFromSettings, UserRateThrottle):
    pass


class SignInThrottle(_RateFromSettings, SimpleRateThrottle):
    """Attempts on the token endpoint, per address, to slow password guessing."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }
