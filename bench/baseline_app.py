"""The benchmark's baseline: a bare Flask app with one route returning a small JSON dict.

``bench/read_paths.py`` serves it with the same gunicorn settings as the marketplace
(``gunicorn -c python:marketplace.gunicorn_conf bench.baseline_app:app``), so the
ratio of an endpoint's throughput to this one's is roughly "how much work the
endpoint adds on top of gunicorn + Flask + JSON", measured on the same machine at
the same time.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"status": "ok", "service": "baseline"}
