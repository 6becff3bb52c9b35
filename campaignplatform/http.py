"""Request headers every view may rely on, checked once for the whole site."""

import ipaddress

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
    candidate = forwarded[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


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


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response that has not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
