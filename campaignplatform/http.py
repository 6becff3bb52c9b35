"""Request headers every view may rely on, checked once for the whole site."""

from django.http import HttpResponseBadRequest


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
