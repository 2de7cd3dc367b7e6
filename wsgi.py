"""WSGI entry point: ``gunicorn -c python:marketplace.gunicorn_conf wsgi:app``."""

from marketplace import create_app

app = create_app()
