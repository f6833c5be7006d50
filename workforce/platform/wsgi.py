"""The WSGI application granian serves (see workforce.platform.server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workforce.platform.settings")

application = get_wsgi_application()
