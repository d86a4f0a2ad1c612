"""Deployment checks of Radar's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def base_url_set(app_configs, **kwargs) -> list[Warning]:
    if settings.RADAR_BASE_URL:
        return []
    return [
        Warning(
            "RADAR_BASE_URL is not set: emails, which hold a link and no personal data, cannot be sent.",
            hint="Set RADAR_BASE_URL to this Radar's address, e.g. https://radar.example.org.",
            id="radar.W001",
        )
    ]
