"""The redirect benchmark's baseline: a bare Flask app whose one route answers a 302.

``bench/redirect.py`` serves it with the same gunicorn settings as the marketplace
(``gunicorn -c python:marketplace.gunicorn_conf bench.baseline_redirect_app:app``):
no database, no cookie, no hooks, so the marketplace's ``GET /r/{code}`` divided by
this is "how much the share-link redirect adds on top of gunicorn + Flask + a 302".
"""

from flask import Flask, redirect

app = Flask(__name__)


@app.get("/r/<string(maxlength=16):code>")
def follow(code):
    return redirect("http://127.0.0.1:8000/s/maya-kitchen", code=302)
