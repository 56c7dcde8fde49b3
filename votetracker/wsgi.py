"""WSGI entry point, for deployments that serve plain HTTP through a WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votetracker.settings")

application = get_wsgi_application()
