"""A signed-in user's own API tokens, at /account/api-tokens/."""

from django.urls import path

from trust import views

app_name = "tokens"

urlpatterns = [
    path("", views.api_tokens, name="list"),
    path("<int:token_id>/activate/", views.activate_token, name="activate"),
    path("<int:token_id>/decline/", views.decline_token, name="decline"),
]
