"""The API's sign-in: the token endpoint, and the caller's own tokens."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout, tokens, two_factor
from accounts.models import ApiToken
from core.api import (
    AnonThrottle,
    ErrorSerializer,
    OneValuePerParameter,
    SignInThrottle,
    StrictCharField,
    errors,
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
    name = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=(
            "What will use the token (a state's system, a script), to tell your "
            "tokens apart when you list or revoke them."
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
        if two_factor.has_two_factor(user):
            if not data.get("otp", "").strip():
                raise OTPRequired
            try:
                two_factor.two_factor_verify(user=user, code=data["otp"])
            except two_factor.TwoFactorError as error:
                lockout.signin_failed(
                    request, username=user.get_username(), reason="code"
                )
                if getattr(request, "axes_locked_out", False):
                    raise LockedOut from error
                raise OTPInvalid(error.message, code=error.code) from error
        elif two_factor.two_factor_required(user):
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
        self.wait = lockout.lockout_seconds()


class TooManyTokens(exceptions.APIException):
    status_code = 409
    default_code = "too_many_tokens"


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=(
            "Send it as `Authorization: Token <token>`. Given this once: the portal "
            "keeps only a hash of it."
        )
    )
    id = serializers.UUIDField(
        help_text="The token's id, to revoke it: `DELETE /api/v1/auth/tokens/{id}/`."
    )
    name = serializers.CharField()
    expires = serializers.DateTimeField(
        help_text="When it stops working (after `API_TOKEN_DAYS`, 30 by default)."
    )


class TokenView(OneValuePerParameter, APIView):
    """Exchange a username and password (and, with two-factor sign-in, a one-time
    code) for a new API token, named after what will use it (`name`).

    Each call gives another token; a user holds several, listed at
    `/api/v1/auth/tokens/`. A token stops working when it expires (`expires`), when
    revoked, and for all of a user's tokens, when the password changes or is reset,
    when two-factor sign-in is turned on, off or reset, when the account is
    deactivated, and when a policy requires two-factor sign-in of a user who has
    not set it up.

    After repeated failures (a wrong password or code) for one username from one
    address, that pair is locked out for a while: `429` with `error.code`
    `locked_out` and `Retry-After`.
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
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "The user holds as many unexpired tokens as allowed "
                    "(`too_many_tokens`): revoke some first."
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
        data = serializer.validated_data
        try:
            token, secret = tokens.api_token_issue(
                user=data["user"], name=data.get("name", ""), request=request._request
            )
        except tokens.ApiTokenLimitError as error:
            raise TooManyTokens(error.message) from error
        body = TokenSerializer(
            {
                "token": secret,
                "id": token.id,
                "name": token.name,
                "expires": token.expiry,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK)


class ApiTokenSchemeExtension(OpenApiAuthenticationExtension):
    """The schema's name for token sign-in, the same since v1 began."""

    target_class = "accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix=self.target.authenticate_header(None),
        )


# --- The caller's own tokens ------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    expires = serializers.DateTimeField(source="expiry", read_only=True)
    last_used = serializers.DateTimeField(
        source="last_used_at",
        read_only=True,
        allow_null=True,
        help_text="Within a minute; null if never used.",
    )
    current = serializers.SerializerMethodField(
        help_text="Whether this request is signed in with it."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "expires", "last_used", "current"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_current(self, token: ApiToken) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class ApiTokenListView(OneValuePerParameter, generics.ListAPIView):
    """Your own unexpired API tokens, newest first: their names and dates, never
    their secrets. Nobody sees another user's tokens."""

    serializer_class = ApiTokenSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return tokens.api_tokens_of(user=self.request.user)

    @extend_schema(operation_id="auth_tokens_list", tags=["auth"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ApiTokenView(OneValuePerParameter, APIView):
    @extend_schema(
        operation_id="auth_tokens_destroy",
        tags=["auth"],
        description=(
            "Revoke one of your own tokens (this one too, if it is the one you "
            "send): it stops working at once. Another user's token answers 404."
        ),
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, id) -> Response:
        token = tokens.api_token_for(user=request.user, token_id=id)
        tokens.api_token_revoke(
            token=token, actor=request.user, request=request._request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
