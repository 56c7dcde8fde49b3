"""The Django admin, as officials use it to configure elections and staff accounts. Importing this package
registers every model admin."""

from elections.admin import configuration, staff

__all__ = ["configuration", "staff"]
