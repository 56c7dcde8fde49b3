from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = _("Results")

    def ready(self) -> None:
        # The apps below say when an election's results change (trust.changes); this app decides what follows.
        from results.services import RESULTS_CHANGE_HANDLER
        from trust.changes import register_results_handler

        register_results_handler(RESULTS_CHANGE_HANDLER)
