"""The API's own pages: its 404 answer and the interactive documentation."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularSwaggerSplitView


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


# --- Interactive documentation ----------------------------------------------------


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; its start-up script is a file too,
    so the page needs no inline script and no CDN."""

    template_name = "api/swagger_ui.html"
