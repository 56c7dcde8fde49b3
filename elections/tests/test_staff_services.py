"""Staff accounts change through services too: audited without any secret, and only a superuser touches a
superuser's account, grants superuser status or individual permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User

from elections import services
from elections.models import District, Election
from elections.services import ConfigurationRefused
from elections.tests.support import events_since, last_event_id
from trust.errors import NotAllowed
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db: None) -> User:
    return User.objects.create_superuser(username="root", password="a-root-passphrase-1")


def _no_secret_in(event: AuditEvent) -> None:
    text = str(event.before) + str(event.after)
    assert "password" not in (event.before or {})
    assert "password" not in (event.after or {})
    assert "md5$" not in text
    assert "argon2" not in text
    assert "pbkdf2" not in text


def test_an_account_is_created_changed_and_deleted_with_events_and_no_password(official: User) -> None:
    user = User(username="new-clerk", first_name="Nour")
    user.set_password("a-clerk-passphrase-1")
    services.create_staff_user(user=user, actor=official)
    user.first_name = "Nour H."
    services.change_staff_user(user=user, actor=official)
    services.delete_staff_user(user=user, actor=official)
    created, changed, deleted = AuditEvent.objects.order_by("pk")
    assert [created.action, changed.action, deleted.action] == ["user.create", "user.change", "user.delete"]
    assert created.after is not None
    assert created.after["username"] == "new-clerk"
    assert (changed.before, changed.after) == ({"first_name": "Nour"}, {"first_name": "Nour H."})
    assert deleted.after is None
    for event in (created, changed, deleted):
        assert event.election_id is None
        _no_secret_in(event)


def test_a_password_change_is_recorded_without_the_secret(official: User, clerk: User) -> None:
    services.set_staff_password(user=clerk, password="another-fine-passphrase-2", actor=official)
    clerk.refresh_from_db()
    assert clerk.check_password("another-fine-passphrase-2")
    services.set_staff_password(user=clerk, password=None, actor=official)
    first, second = AuditEvent.objects.filter(action="user.password").order_by("pk")
    assert (first.before, first.after) == ({"usable_password": True}, {"usable_password": True})
    assert (second.before, second.after) == ({"usable_password": True}, {"usable_password": False})
    for event in (first, second):
        _no_secret_in(event)
        assert "another-fine-passphrase-2" not in str(event.before) + str(event.after)


def test_a_weak_password_is_refused_by_the_validators(official: User, clerk: User) -> None:
    with pytest.raises(ConfigurationRefused) as refused:
        services.set_staff_password(user=clerk, password="123", actor=official)
    assert refused.value.code == "invalid"
    clerk.refresh_from_db()
    assert clerk.check_password("correct-horse-battery")


def test_group_membership_is_added_and_removed_with_one_event_each(official: User, clerk: User) -> None:
    supervisors = Group.objects.get(name="Supervisors")
    start = last_event_id()
    services.add_user_to_group(user=clerk, group=supervisors, actor=official)
    services.add_user_to_group(user=clerk, group=supervisors, actor=official)
    services.remove_user_from_group(user=clerk, group=Group.objects.get(name="Clerks"), actor=official)
    added, removed = events_since(start)
    assert (added.action, added.before, added.after) == (
        "user.group_add",
        {"groups": ["Clerks"]},
        {"groups": ["Clerks", "Supervisors"]},
    )
    assert (removed.action, removed.after) == ("user.group_remove", {"groups": ["Supervisors"]})
    assert list(clerk.groups.values_list("name", flat=True)) == ["Supervisors"]


def test_an_official_cannot_touch_a_superusers_account_or_password(official: User, root: User) -> None:
    root.first_name = "Taken"
    with pytest.raises(ConfigurationRefused, match="superuser"):
        services.change_staff_user(user=root, actor=official)
    with pytest.raises(ConfigurationRefused, match="superuser"):
        services.set_staff_password(user=root, password="an-attackers-passphrase-9", actor=official)
    with pytest.raises(ConfigurationRefused, match="superuser"):
        services.remove_user_from_group(user=root, group=Group.objects.get(name="Officials"), actor=official)
    with pytest.raises(ConfigurationRefused, match="superuser"):
        services.delete_staff_user(user=root, actor=official)
    root.refresh_from_db()
    assert root.first_name == ""
    assert root.check_password("a-root-passphrase-1")
    assert not AuditEvent.objects.exists()


def test_an_official_cannot_grant_superuser_status_or_permissions(official: User, clerk: User) -> None:
    clerk.is_superuser = True
    with pytest.raises(ConfigurationRefused, match="superuser status"):
        services.change_staff_user(user=clerk, actor=official)
    newcomer = User(username="newcomer", is_superuser=True)
    with pytest.raises(ConfigurationRefused, match="superuser status"):
        services.create_staff_user(user=newcomer, actor=official)
    with pytest.raises(ConfigurationRefused, match="individual permissions"):
        services.set_user_permissions(user=clerk, permissions=Permission.objects.all()[:1], actor=official)
    clerk.refresh_from_db()
    assert not clerk.is_superuser
    assert not clerk.user_permissions.exists()


def test_a_superuser_may_do_what_an_official_may_not(root: User, official: User) -> None:
    permission = Permission.objects.get(codename="delete_user")
    services.set_user_permissions(user=official, permissions=[permission], actor=root)
    services.set_staff_password(user=root, password="a-new-root-passphrase-2", actor=root)
    official.is_superuser = True
    services.change_staff_user(user=official, actor=root)
    assert AuditEvent.objects.get(action="user.permissions").after == {"permissions": ["auth.delete_user"]}
    assert User.objects.get(pk=official.pk).is_superuser


def test_an_account_named_by_the_audit_log_is_kept(official: User, election: Election) -> None:
    services.create_district(district=District(election=election, code="E", name="East"), actor=official)
    with pytest.raises(ConfigurationRefused) as refused:
        services.delete_staff_user(user=official, actor=official)
    assert refused.value.code == "in_use"
    assert User.objects.filter(pk=official.pk).exists()


def test_only_officials_manage_accounts(clerk: User, supervisor: User) -> None:
    for actor in (None, clerk):
        with pytest.raises(NotAllowed):
            services.add_user_to_group(user=supervisor, group=Group.objects.get(name="Officials"), actor=actor)
    assert list(supervisor.groups.values_list("name", flat=True)) == ["Supervisors"]
