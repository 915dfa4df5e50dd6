"""The WSGI entry point for gunicorn (``gunicorn wsgi:app``, see ``gunicorn.conf.py``).

``app.py`` keeps no module-level app (the factory builds one per test and per tool), so the
production server imports this module, which builds the one app of each worker process.
"""

from app import create_app

app = create_app()
