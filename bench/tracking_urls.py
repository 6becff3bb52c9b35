"""The project's URLs plus `/bare/<code>`: a redirect with the same middleware and no tracking."""

import os

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_http_methods

from campaignplatform.urls import urlpatterns as project_urlpatterns


@login_not_required
@require_http_methods(["GET", "HEAD"])
def bare_redirect(request, code):
    response = HttpResponseRedirect("https://example.com/product")
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
def worker_pid(request):
    """Which gunicorn worker holds this keep-alive connection (the driver balances them)."""
    return HttpResponse(str(os.getpid()), content_type="text/plain")


urlpatterns = [
    path("bare/<str:code>", bare_redirect),
    path("bench/worker", worker_pid),
    *project_urlpatterns,
]
