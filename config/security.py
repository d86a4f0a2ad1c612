"""Headers every response carries, and the security.txt of RFC 9116."""

from datetime import UTC, timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

# Radar uses no camera, microphone, location, payment or sensor: no page, nor anything injected into one, may.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)


class SecurityHeadersMiddleware:
    """`Permissions-Policy` everywhere; `Cache-Control: no-store` on every API answer (they hold personal data,
    or say who may see it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        if request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response


# RFC 9116 asks for an expiry under a year away, so that a stale file is noticed; this one is written on request.
SECURITY_TXT_LIFETIME = timedelta(days=180)


@require_GET
def security_txt(request):
    if not settings.RADAR_SECURITY_CONTACT:
        raise Http404
    expires = (timezone.now() + SECURITY_TXT_LIFETIME).replace(microsecond=0)
    lines = [
        f"Contact: {settings.RADAR_SECURITY_CONTACT}",
        f"Expires: {expires.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: fr, en",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
