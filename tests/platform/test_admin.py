"""The Django admin for site operators: every model is there, and its saves are audited."""

from __future__ import annotations

import pytest

from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Membership, Organization

pytestmark = pytest.mark.platform


@pytest.fixture
def operator(staff):
    staff.is_staff = staff.is_superuser = True
    staff.save()
    return staff


@pytest.mark.parametrize(
    "model",
    [
        "accounts/user",
        "organizations/organization",
        "organizations/membership",
        "uploads/upload",
        "audit/auditevent",
        "intake/mapping",
        "intake/ingestrun",
    ],
)
def test_every_model_has_an_admin_page(model, operator, uploads, client_for):
    assert client_for(operator).get(f"/admin/{model}/").status_code == 200


def test_the_admin_is_closed_to_people_who_do_not_operate_the_site(ashg_steward, client_for):
    response = client_for(ashg_steward).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_creating_a_society_in_the_admin_goes_through_the_actions(operator, consortium, client_for):
    response = client_for(operator).post(
        "/admin/organizations/organization/add/",
        {
            "code": "asbmb",
            "name": "American Society for Biochemistry and Molecular Biology",
            "kind": "society",
            "parent": consortium.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    society = Organization.objects.get(code="asbmb")
    event = AuditEvent.objects.get(verb="organization_created", object_id=str(society.pk))
    assert event.actor == operator


def test_the_admin_refuses_a_society_inside_a_society(operator, ashg, client_for):
    response = client_for(operator).post(
        "/admin/organizations/organization/add/",
        {
            "code": "sub",
            "name": "Sub",
            "kind": "society",
            "parent": ashg.pk,
        },
    )
    assert response.status_code == 200
    assert "can only belong to a consortium" in response.content.decode()


def test_granting_and_revoking_in_the_admin_is_audited(operator, outsider, nsgc, client_for):
    client = client_for(operator)
    client.post(
        "/admin/organizations/membership/add/",
        {
            "user": outsider.pk,
            "organization": nsgc.pk,
            "role": "analyst",
        },
    )
    membership = Membership.objects.get(user=outsider)
    client.post(f"/admin/organizations/membership/{membership.pk}/delete/", {"post": "yes"})
    assert not Membership.objects.filter(user=outsider).exists()
    verbs = list(AuditEvent.objects.filter(actor=operator).values_list("verb", flat=True))
    assert verbs == ["role_revoked", "role_granted"]


def test_changing_a_password_in_the_admin_is_audited_without_the_password(
    operator, outsider, client_for
):
    response = client_for(operator).post(
        f"/admin/accounts/user/{outsider.pk}/password/",
        {
            "usable_password": "true",
            "password1": "Synthetic-Pass-1234",
            "password2": "Synthetic-Pass-1234",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(actor=operator).latest("id")
    assert (event.verb, event.object_id) == ("password_set", str(outsider.pk))
    assert "Synthetic-Pass-1234" not in str(event.details)
    outsider.refresh_from_db()
    assert outsider.password.startswith("argon2$")


def test_uploads_and_the_audit_trail_are_read_only_in_the_admin(operator, uploads, client_for):
    client = client_for(operator)
    assert client.get("/admin/uploads/upload/add/").status_code == 403
    upload = uploads["ashg"]
    page = client.get(f"/admin/uploads/upload/{upload.pk}/change/").content.decode()
    assert 'name="_save"' not in page


def test_creating_an_account_in_the_admin_is_audited(operator, client_for):
    response = client_for(operator).post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Analyst@NSGC.example",
            "full_name": "New Analyst",
            "usable_password": "true",
            "password1": "Synthetic-Pass-1234",
            "password2": "Synthetic-Pass-1234",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from workforce.platform.accounts.models import User

    user = User.objects.get(email="new.analyst@nsgc.example")
    event = AuditEvent.objects.get(verb="user_created", object_id=str(user.pk))
    assert event.actor == operator
