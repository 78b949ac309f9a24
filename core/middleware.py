from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.shortcuts import render
from django.utils import timezone


class PortalTimeZoneMiddleware:
    """Pages show every time in the portal's zone (the Secretariat's, where deadlines
    are set), labelled with it, rather than in the server's UTC. The API keeps UTC:
    its clients read the offset and convert for themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(ZoneInfo(settings.PORTAL_TIME_ZONE)):
            return self.get_response(request)


class RequestTooLargeMiddleware:
    """A form whose texts exceed what Django reads into memory
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``) gets a page that says so and how to recover
    the text, rather than a bare "Bad Request". Files do not count: only the text
    fields, which the forms already keep far below the limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and not request.path.startswith("/api/"):
            try:
                request.POST  # noqa: B018 -- read here, where its refusal can be caught
            except RequestDataTooBig:
                return render(
                    request,
                    "portal/request_too_large.html",
                    {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
                    status=413,
                )
        return self.get_response(request)


class NullCharacterMiddleware:
    """An address holding a NUL character (``%00``) is refused with a 400 before any
    view reads it: PostgreSQL refuses NUL in a query, so a state's code or a cycle
    taken from such an address ended in a server error. No link of the portal holds
    one. The API validates its own filters and answers in its own format; forms
    refuse NUL with a message on the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and (
            "\x00" in request.path
            or "\x00" in unquote(request.META.get("QUERY_STRING", ""))
        ):
            raise BadRequest("A NUL character in the address.")
        return self.get_response(request)
