"""Who the signed-in staff member is, for the entry site's templates."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser, User

from elections.selectors import can_review
from trust.roles import is_official as user_is_official

register = template.Library()


@register.filter
def is_official(user: User | AnonymousUser) -> bool:
    """Whether ``user`` is an official (``{% if user|is_official %}``)."""
    return user_is_official(user)


@register.filter
def reviews_sheets(user: User | AnonymousUser) -> bool:
    """Whether ``user`` has a review queue (``{% if user|reviews_sheets %}``): every entry page links to it then."""
    return isinstance(user, User) and can_review(user)
