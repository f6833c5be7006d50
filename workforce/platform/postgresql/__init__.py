"""Django's PostgreSQL backend, with statements PostgreSQL plans once per connection.

See ``base.DatabaseWrapper``.
"""
