from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BallotsConfig(AppConfig):
    name = "ballots"
    verbose_name = _("Ballots and audit")

    def ready(self) -> None:
        # Each entry's audit event carries a digest of the rows it wrote (trust.rows), so that a row changed in the
        # database with no event is found by verify_audit. Child rows (votes, marks, voids) go with their parent.
        from ballots.models import Ballot, StationCount, TallySheet, TurnoutReport
        from trust.rows import register_entry_rows

        register_entry_rows(Ballot, TallySheet, TurnoutReport, StationCount)
