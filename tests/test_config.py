import pytest

from marketplace.config import DEFAULT_SECRET_KEY, ConfigError, load_settings, normalize_database_url, validate_settings


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalize_database_url_uses_psycopg3(given, expected):
    assert normalize_database_url(given) == expected


def test_defaults_are_embedded_sqlite_and_inline_jobs(tmp_path):
    settings = load_settings({}, str(tmp_path))

    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/marketplace.db"
    assert settings["REDIS_URL"] is None
    assert settings["MARKETPLACE_ENV"] == "development"


def _production(**env):
    base = {"MARKETPLACE_ENV": "production", "DATABASE_URL": "postgresql://db/marketplace"}
    return load_settings(base | env, "/tmp")


def test_production_refuses_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        validate_settings(_production())
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        validate_settings(_production(SECRET_KEY=DEFAULT_SECRET_KEY))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        validate_settings(_production(SECRET_KEY="too-short"))


def test_production_refuses_sqlite():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        validate_settings(_production(SECRET_KEY="x" * 40, DATABASE_URL="sqlite:///prod.db"))


def test_production_refuses_localstripe():
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY"):
        validate_settings(_production(SECRET_KEY="x" * 40))
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        validate_settings(_production(SECRET_KEY="x" * 40, STRIPE_SECRET_KEY="sk_live_abc"))


def test_production_accepts_real_settings():
    settings = _production(SECRET_KEY="x" * 40, STRIPE_SECRET_KEY="sk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_abc")

    validate_settings(settings)
    assert settings["LOG_FORMAT"] == "json"
    assert settings["STRIPE_API_BASE"] is None  # the real Stripe


def test_bad_integer_setting_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="AUTH_TOKEN_TTL_SECONDS"):
        load_settings({"AUTH_TOKEN_TTL_SECONDS": "soon"}, str(tmp_path))


def test_demo_hold_in_minutes_and_money_settings_are_checked(tmp_path):
    real = {"SECRET_KEY": "x" * 40, "STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_WEBHOOK_SECRET": "whsec_abc"}
    with pytest.raises(ConfigError, match="HOLD_PERIOD_UNIT"):
        validate_settings(_production(HOLD_PERIOD_UNIT="minutes", **real))
    validate_settings(load_settings({"HOLD_PERIOD_UNIT": "minutes"}, str(tmp_path)))  # fine for the demo
    with pytest.raises(ConfigError, match="HOLD_PERIOD_UNIT"):
        validate_settings(load_settings({"HOLD_PERIOD_UNIT": "weeks"}, str(tmp_path)))
    with pytest.raises(ConfigError, match="PLATFORM_FEE_BPS"):
        validate_settings(load_settings({"PLATFORM_FEE_BPS": "10001"}, str(tmp_path)))
