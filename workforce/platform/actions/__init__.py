"""The one write path: every change of state goes through a ``do_*`` function here.

Each action validates, writes in one transaction, and records an ``AuditEvent``; views,
the admin and the command line call these and never save models themselves.

- ``workforce.platform.actions.organizations``: organizations and roles.
- ``workforce.platform.actions.uploads``: storing files partners send.
- ``workforce.platform.actions.intake``: proposing, saving and applying a society's mapping.
- ``workforce.platform.actions.reports``: publishing a benchmark report.
- ``workforce.platform.actions.users``: accounts and passwords.
"""
