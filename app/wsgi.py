"""WSGI entry point for gunicorn: ``gunicorn -c app/gunicorn_conf.py app.wsgi:server``.

Each worker imports this after the fork, so each builds its own app and its own pools.
"""

from app import create_app

app = create_app()
server = app.server
