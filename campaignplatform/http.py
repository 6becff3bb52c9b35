"""Request headers every view may rely on, checked once for the whole site."""

import ipaddress
import socket
from functools import wraps

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponseBadRequest


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry of X-Forwarded-For that our own proxies added.

    With N trusted proxies in front of the app, each appends the address it received the request
    from, so the client is the N-th entry from the right; anything further left was written by the
    client and is ignored (it could be anything). A malformed entry falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRACKING_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < trusted:
        return remote
    return _canonical_ip(forwarded[-trusted]) or remote


def _canonical_ip(candidate: str) -> str | None:
    """The address in its canonical text form, or None if it is not one.

    A dotted quad that inet_pton accepts (no leading zeros, each part <= 255) is already
    canonical: checked in C, it costs every tracking click a fifth of what ipaddress does."""
    try:
        socket.inet_pton(socket.AF_INET, candidate)
        return candidate
    except (OSError, ValueError):  # not a dotted quad; ValueError: a NUL or non-ASCII character
        pass
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class BadContentLength(ValueError):
    pass


def content_length(request) -> int:
    """The request's declared body size in bytes; 0 when the header is absent (WSGI may give "").

    Raises BadContentLength for anything but a whole, non-negative number (`abc`, `1e3`, `-1`).
    """
    raw = request.META.get("CONTENT_LENGTH") or ""
    if raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit():
        raise BadContentLength(raw)
    return int(raw)


class ContentLengthMiddleware:
    """Answer 400 to a malformed Content-Length before any view (or Django's body parsing,
    which would silently read nothing) sees it."""

    message = "The Content-Length header must be a whole number of bytes."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            content_length(request)
        except BadContentLength:
            return HttpResponseBadRequest(self.message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def not_a_document(view):
    """For views that only ever answer a redirect (the tracking links): no Content-Security-Policy
    or Permissions-Policy header is built for their responses.

    Both policies govern a document a browser renders; a redirect's body is never rendered, and
    the page it leads to brings its own policies. Building the content security policy costs a
    redirect about a fifth of its time (django-csp builds both policies on every response), and
    the tracking links are the site's busiest URLs. An error page raised from such a view (404)
    is rendered by the handler and still gets both headers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._csp_exempt = response._csp_exempt_ro = True
        response._permissions_policy_exempt = True
        return response

    return wrapper


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, without building policies for a response exempt from both
    (django-csp 4.0 builds them first and reads the exemption after)."""

    def process_response(self, request, response):
        if getattr(response, "_csp_exempt", False) and getattr(response, "_csp_exempt_ro", False):
            return response
        return super().process_response(request, response)


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response that has not set its own (or is not a
    document: `not_a_document`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY and not getattr(response, "_permissions_policy_exempt", False):
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
