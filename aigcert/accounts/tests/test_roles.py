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


@pytest.mark.django_db
def test_privilege_changes_in_the_user_admin_are_audited(client, staff_user):
    from aigcert.accounts.models import User

    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    user = UserFactory(roles=[Role.MARKER])
    grant = RoleGrant.objects.get(user=user)
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = {
        "phone": user.phone, "email": "", "display_name": "", "language": "zh-hans", "is_active": "on",
        "is_staff": "on",
        "role_grants-TOTAL_FORMS": "2", "role_grants-INITIAL_FORMS": "1", "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
        "role_grants-0-id": grant.pk, "role_grants-0-user": user.pk, "role_grants-0-role": "marker",
        "role_grants-0-DELETE": "on",
        "role_grants-1-user": user.pk, "role_grants-1-role": "chief_marker",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(pk=user.pk)
    assert user.is_staff
    assert set(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == {"chief_marker"}
    actions = sorted(e.action for e in audit_events(target=user))
    assert actions == ["role.grant", "role.revoke", "user.admin_change"]
    [change] = audit_events(action="user.admin_change")
    assert change.data == {"changed": {"is_staff": True}}


@pytest.mark.django_db
def test_accounts_created_anywhere_are_stored_normalised(password, client):
    from aigcert.accounts.models import User

    User.objects.create(email=" Wang@X.COM ", phone="+86 139-0000-0007")
    user = User.objects.get()
    assert (user.email, user.phone) == ("wang@x.com", "13900000007")
