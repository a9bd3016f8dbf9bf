"""Request facts the security settings need."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address for login throttling.

    X-Forwarded-For is trusted only as far as the proxies in front of the site are declared: with
    TRUSTED_PROXY_COUNT = 1 the last entry is the one the proxy itself saw (anything before it can be forged).
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
