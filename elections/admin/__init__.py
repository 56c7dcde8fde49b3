"""The Django admin, as officials use it to configure elections and staff accounts. Importing this package
registers every model admin."""

from elections.admin import configuration, contests, electoral_districts, staff, vote_types

__all__ = ["configuration", "contests", "electoral_districts", "staff", "vote_types"]
