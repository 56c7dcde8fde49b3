from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrustConfig(AppConfig):
    """The bottom layer: the audit log, idempotency, API tokens, roles, the API's errors and the change hook. It
    imports no other app of the project; every other app may import it."""

    name = "trust"
    verbose_name = _("Audit and access")
