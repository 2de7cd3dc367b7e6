"""Count the SQL statements each benchmarked path runs, in-process with Flask's test client.

Run by ``bench/read_paths.py`` in a subprocess with ``DATABASE_URL`` pointing at the
benchmark database; prints one JSON object ``{path: {"status": int, "queries": int}}``.
The count is every statement the app's engine sends (``before_cursor_execute``), for
one request made after a warm-up request to the same path.
"""

from __future__ import annotations

import json
import logging
import sys

from sqlalchemy import event


def main(paths: list[str]) -> None:
    from marketplace import create_app
    from marketplace.db import db

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)  # no access lines on stdout/stderr
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client = app.test_client()
    result = {}
    for path in paths:
        client.get(path)  # warm-up: first-use work (pool connect, dialect checks) is not per request
        statements.clear()
        response = client.get(path)
        result[path] = {"status": response.status_code, "queries": len(statements)}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
