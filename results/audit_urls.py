"""The public page of signed audit checkpoints and its downloads, under ``/audit/``."""

from django.urls import path

from results import audit_views

app_name = "audit"

urlpatterns = [
    path("checkpoints/", audit_views.checkpoints, name="checkpoints"),
    path("checkpoints.jsonl", audit_views.checkpoints_file, name="checkpoints_file"),
    path("checkpoint-key.pem", audit_views.public_key_file, name="public_key"),
]
