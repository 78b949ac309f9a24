"""The portal's own API views: the token endpoint, the documentation, and JSON for
any address under /api/ that names nothing."""

from django.contrib.auth import authenticate
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import (
    AnonThrottle,
    OneValuePerParameter,
    SignInThrottle,
    StrictCharField,
    errors,
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
    # Two-factor sign-in will add an "otp" field here, checked in validate().

    def validate(self, data: dict) -> dict:
        user = authenticate(
            request=self.context["request"]._request,
            username=data["username"],
            password=data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials
        data["user"] = user
        return data


class InvalidCredentials(exceptions.APIException):
    status_code = 400
    default_code = "invalid_credentials"
    default_detail = gettext_lazy(
        "Unable to sign in with the username and password given."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`."
    )


class TokenView(OneValuePerParameter, APIView):
    """Exchange a username and password for the user's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [AnonThrottle, SignInThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(
            user=serializer.validated_data["user"]
        )
        return Response({"token": token.key}, status=status.HTTP_200_OK)


# --- Interactive documentation ----------------------------------------------------


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; its start-up script is a file too,
    so the page needs no inline script and no CDN."""

    template_name = "api/swagger_ui.html"
