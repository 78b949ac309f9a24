"""The portal's own API views: the token endpoint, the documentation, and JSON for
any address under /api/ that names nothing."""

from django.contrib.auth import authenticate
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import security
from portal.api import (
    AnonThrottle,
    ErrorSerializer,
    OneValuePerParameter,
    SignInThrottle,
    StrictCharField,
)


@csrf_exempt  # a refusal in JSON whatever the method; it changes nothing
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any address under /api/ that names nothing: JSON too, not the HTML 404 page."""
    return JsonResponse(
        {
            "error": {
                "code": "not_found",
                "message": _(
                    "No such address in the API. Addresses end with a slash; "
                    "the schema at /api/schema/ lists them."
                ),
            }
        },
        status=404,
    )


# --- The token endpoint -----------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = StrictCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=(
            "For accounts with two-factor sign-in: the code the authenticator app "
            "shows now (or an unused recovery code). A code works once."
        ),
    )

    def validate(self, data: dict) -> dict:
        request = self.context["request"]._request
        user = authenticate(
            request=request, username=data["username"], password=data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            raise LockedOut
        if user is None or not user.is_active:
            raise InvalidCredentials
        if security.has_two_factor(user):
            if not data.get("otp", "").strip():
                raise OTPRequired
            try:
                security.two_factor_verify(user=user, code=data["otp"])
            except security.TwoFactorError as error:
                security.signin_failed(
                    request, username=user.get_username(), reason="code"
                )
                if getattr(request, "axes_locked_out", False):
                    raise LockedOut from error
                raise OTPInvalid(error.message, code=error.code) from error
        elif security.two_factor_required(user):
            raise TwoFactorSetupRequired
        data["user"] = user
        return data


class InvalidCredentials(exceptions.APIException):
    status_code = 400
    default_code = "invalid_credentials"
    default_detail = gettext_lazy(
        "Unable to sign in with the username and password given."
    )


class OTPRequired(exceptions.APIException):
    status_code = 400
    default_code = "otp_required"
    default_detail = gettext_lazy(
        "This account uses two-factor sign-in: send the code of its authenticator "
        "app in the otp field."
    )


class OTPInvalid(exceptions.APIException):
    status_code = 400
    default_code = "otp_invalid"
    default_detail = gettext_lazy("That code is not valid, or was used already.")


class TwoFactorSetupRequired(exceptions.APIException):
    status_code = 403
    default_code = "two_factor_setup_required"
    default_detail = gettext_lazy(
        "Two-factor sign-in is required for your role: set it up in the portal "
        "(Account security), then ask for a token with a code."
    )


class LockedOut(exceptions.APIException):
    status_code = 429
    default_code = "locked_out"
    default_detail = gettext_lazy(
        "Too many failed sign-ins for this username from your address: wait "
        "before trying again."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wait = security.lockout_seconds()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`."
    )


class TokenView(OneValuePerParameter, APIView):
    """Exchange a username and password (and, with two-factor sign-in, a one-time
    code) for the user's API token.

    After repeated failures (a wrong password or code) for one username from one
    address, that pair is locked out for a while: `429` with `error.code`
    `locked_out` and `Retry-After`. Turning two-factor sign-in on or off revokes
    the token; so does a policy that requires it of a user who has not set it up.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [AnonThrottle, SignInThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "Not valid (`invalid`), a wrong username or password "
                    "(`invalid_credentials`), or, for an account with two-factor "
                    "sign-in, no code (`otp_required`) or a wrong or used one "
                    "(`otp_invalid`, `otp_throttled` after several)."
                ),
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "Two-factor sign-in is required for the user's role and not "
                    "set up yet (`two_factor_setup_required`)."
                ),
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "Too many attempts from this address (`throttled`), or too "
                    "many failed sign-ins for this username from this address "
                    "(`locked_out`): wait the seconds in `Retry-After`."
                ),
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        token = security.api_token_issue(
            user=serializer.validated_data["user"], request=request._request
        )
        return Response({"token": token.key}, status=status.HTTP_200_OK)


# --- Interactive documentation ----------------------------------------------------


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; its start-up script is a file too,
    so the page needs no inline script and no CDN."""

    template_name = "api/swagger_ui.html"
