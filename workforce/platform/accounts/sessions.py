"""Sign-in sessions do not outlive their expiry in the database.

Django keeps each sign-in's session as a row until it is deleted, and deletes expired rows only
when `clearsessions` is run; a platform that needs no scheduler of its own must not rely on
one. A session can hold more than who is signed in (a staff member's trial of a questionnaire
keeps its answers there), so every sign-in first deletes the rows that have expired: one
indexed DELETE, as often as people sign in.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="workforce.clear_expired_sessions")
def clear_expired_sessions(sender: Any, **kwargs: Any) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
