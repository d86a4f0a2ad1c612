from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach")

    def ready(self) -> None:
        from outreach import checks  # noqa: F401 (registers the deployment checks)
        from outreach.accounts import connect_signals

        connect_signals()
