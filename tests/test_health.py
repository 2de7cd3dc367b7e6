from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def test_healthz_reports_database_and_redis(client, redis):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_without_redis_says_jobs_run_inline(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json()["redis"] == "disabled"


def test_healthz_is_503_when_redis_is_unreachable(client, app, monkeypatch):
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    monkeypatch.setitem(app.extensions, "redis", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "error"}


def test_healthz_is_503_when_database_fails(client, monkeypatch):
    def failing_execute(*_args, **_kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr("sqlalchemy.orm.Session.execute", failing_execute)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["database"] == "error"
