"""Signing in with an e-mail address, and keeping passwords only as Argon2 hashes."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from workforce.platform.accounts.models import User
from workforce.platform.actions.users import do_create_user, do_set_password

pytestmark = pytest.mark.platform

PASSWORD = "correct horse battery staple (synthetic)"


@pytest.fixture
def steward_with_password(ashg_steward):
    do_set_password(ashg_steward, PASSWORD, acting_user=None)
    return ashg_steward


def test_passwords_are_stored_as_argon2_hashes(db):
    user = do_create_user("hash@example.org", password=PASSWORD, acting_user=None)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)


def test_a_user_without_a_password_cannot_sign_in(db):
    user = do_create_user("nopass@example.org", acting_user=None)
    assert not user.has_usable_password()
    assert authenticate(username="nopass@example.org", password="") is None


def test_the_sign_in_form_asks_for_an_e_mail_address(db, client):
    page = client.get("/login/").content.decode()
    assert '<label for="id_username">E-mail address' in page
    assert 'type="email" name="username" autofocus autocomplete="username"' in page
    assert 'type="password"' in page


def test_a_steward_signs_in_with_their_e_mail_address(steward_with_password, client):
    response = client.post("/login/", {"username": "steward@ashg.example", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")


def test_the_e_mail_address_may_be_typed_in_any_case(steward_with_password, client):
    response = client.post("/login/", {"username": "Steward@ASHG.example", "password": PASSWORD})
    assert response.status_code == 302


def test_a_wrong_password_is_refused_with_a_clear_message(steward_with_password, client):
    response = client.post("/login/", {"username": "steward@ashg.example", "password": "wrong"})
    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_signing_in_returns_to_the_page_asked_for(steward_with_password, client):
    response = client.post(
        "/login/?next=/organizations/ashg/uploads/",
        {
            "username": "steward@ashg.example",
            "password": PASSWORD,
            "next": "/organizations/ashg/uploads/",
        },
    )
    assert response["Location"] == "/organizations/ashg/uploads/"


def test_signing_out_is_a_post_from_every_page(ashg_steward, client_for):
    client = client_for(ashg_steward)
    assert 'action="/logout/"' in client.get("/dashboard/").content.decode()
    response = client.post("/logout/")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/dashboard/").status_code == 302


def test_a_superuser_can_be_created_from_the_command_line_with_an_e_mail(db):
    user = User.objects.create_superuser("Admin@Consortium.example", PASSWORD)
    assert (user.email, user.is_staff, user.is_superuser) == (
        "admin@consortium.example",
        True,
        True,
    )


def test_signing_in_deletes_sessions_that_have_expired(steward_with_password, client):
    import datetime

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    def stored(expires_in: datetime.timedelta) -> str:
        session = SessionStore()
        session["workforce.survey_preview:1"] = {"answers": {"comments": "typed while testing"}}
        session.set_expiry(timezone.now() + expires_in)
        session.save()
        return session.session_key

    expired = stored(datetime.timedelta(days=-1))
    current = stored(datetime.timedelta(days=3))

    client.post("/login/", {"username": "steward@ashg.example", "password": PASSWORD})

    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=current).exists()
