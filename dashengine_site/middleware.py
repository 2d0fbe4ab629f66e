"""Site-wide request checks that come before everything else."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest, HttpResponse

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class MalformedRequestMiddleware:
    """A 400 for what the rest of the stack would trip over.

    - A client address that is not an IP address. The web server takes it from
      X-Forwarded-For when the peer is a configured proxy (`FORWARDED_ALLOW_IPS`)
      without checking it; the audit trail and the login throttling need a real one.
    - A form body declared in another charset than UTF-8. Django refuses to read
      it inside the CSRF check, whose error pages run the same check again: the
      request would end as a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        address = request.META.get("REMOTE_ADDR") or ""
        if address:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                return _bad_request("The client address forwarded by the proxy is not an IP address.")
        charset = request.content_params.get("charset", "utf-8").lower().replace("_", "-")
        if request.content_type in FORM_TYPES and charset not in ("utf-8", "utf8"):
            return _bad_request("Forms must be sent in UTF-8.")
        return self.get_response(request)
