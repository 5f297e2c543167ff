import pytest

from aigcert.accounts.api import user_has_any_role, user_role_labels
from aigcert.accounts.models import RoleGrant
from aigcert.accounts.roles import Role
from aigcert.accounts.services import role_grant, role_revoke
from aigcert.accounts.tests.factories import UserFactory
from aigcert.core.api import DomainError, audit_events


@pytest.mark.django_db
def test_grant_and_revoke_are_audited_once(staff_user):
    user = UserFactory()
    role_grant(user=user, role=Role.MARKER, actor=staff_user)
    role_grant(user=user, role=Role.MARKER, actor=staff_user)  # already held: no second row, no second event
    assert RoleGrant.objects.filter(user=user).count() == 1
    role_revoke(user=user, role=Role.MARKER, actor=staff_user)
    role_revoke(user=user, role=Role.MARKER, actor=staff_user)
    events = [(e.action, e.data["role"], e.actor_id) for e in audit_events(target=user)]
    assert events == [("role.revoke", "marker", staff_user.pk), ("role.grant", "marker", staff_user.pk)]


@pytest.mark.django_db
def test_unknown_role_is_refused(staff_user):
    with pytest.raises(DomainError):
        role_grant(user=UserFactory(), role="wizard", actor=staff_user)


@pytest.mark.django_db
def test_role_checks(staff_user):
    marker = UserFactory(roles=[Role.MARKER])
    assert user_has_any_role(marker, [Role.MARKER, Role.CHIEF_MARKER])
    assert not user_has_any_role(marker, [Role.CHIEF_MARKER])
    assert [str(label) for label in user_role_labels(marker)] == ["阅卷员"]


@pytest.mark.django_db
def test_role_change_in_the_admin_is_audited(client, staff_user):
    user = UserFactory()
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    response = client.post("/admin/accounts/rolegrant/add/", {"user": user.pk, "role": Role.PROCTOR})
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=user, role=Role.PROCTOR).exists()
    assert [e.action for e in audit_events(target=user)] == ["role.grant"]
