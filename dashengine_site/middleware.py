"""Site-wide request checks that come before everything else."""

from __future__ import annotations

import ipaddress

from django.http import HttpResponse


class ClientAddressMiddleware:
    """A 400 for a client address that is not an IP address.

    The web server takes the address from X-Forwarded-For when the peer is a
    configured proxy (`FORWARDED_ALLOW_IPS`); what a proxy wrote there is not
    checked by it, and the audit trail and the login throttling need a real address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = request.META.get("REMOTE_ADDR") or ""
        if address:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                return HttpResponse(
                    "The client address forwarded by the proxy is not an IP address.",
                    status=400,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
