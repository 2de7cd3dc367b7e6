"""What the influencer's and the brand's dashboards share: forms read through the API's own
schemas (so a page accepts exactly what the API does), their errors said back on the page,
and the period a report page shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import flash, redirect, request
from sqlalchemy import Select

from marketplace.db import db, utcnow
from marketplace.errors import DomainError
from marketplace.reports import services as reports

DEFAULT_DAYS = 30
WHOLE_NUMBER = re.compile(r"-?\d{1,15}")


def form_values(names: Iterable[str], numbers: Iterable[str] = ()) -> dict[str, Any]:
    """The named fields of the posted form, blank ones left out; ``numbers`` that are whole
    numbers become ints (anything else is left for the schema to refuse by name)."""
    numbers = set(numbers)
    values: dict[str, Any] = {}
    for name in names:
        value = request.form.get(name, "").strip()
        if value:
            values[name] = int(value) if name in numbers and WHOLE_NUMBER.fullmatch(value) else value
    return values


def describe(messages: dict | list | str) -> str:
    """A schema's complaints as one sentence: "title: Missing data for required field."."""
    if isinstance(messages, dict):
        return "; ".join(f"{field}: {describe(inner)}" for field, inner in messages.items())
    if isinstance(messages, list):
        return " ".join(describe(message) for message in messages)
    return str(messages)


def submit(action: Callable[[], Any], *, back: str, done: str | Callable[[Any], str], category: str = "info"):
    """Run a form's action, say how it went, and go back to ``back`` (post/redirect/get).

    Input the schema refuses, and domain errors (a taken slug, a product of another brand),
    are told to the person on the page; the data is unchanged. Refused access (401, 403) is not
    a mistake in the form: it answers as on any page."""
    try:
        result = action()
    except ma.ValidationError as exc:
        flash(f"Please check the form. {describe(exc.messages)}", "error")
    except DomainError as exc:
        if exc.status_code >= 500 or exc.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            raise
        flash(f"{exc.message}. {describe(exc.errors)}" if exc.errors else exc.message, "error")
    else:
        flash(done(result) if callable(done) else done, category)
    return redirect(back)


def first(query: Select, count: int) -> list:
    """The first ``count`` rows of a service's query (newest first, as the services order them)."""
    return list(db.session.scalars(query.limit(count)))


def report_args(schema: ma.Schema) -> tuple[dict[str, Any], dict]:
    """A report page's query (the API's own argument schema), the last 30 days by default.
    Refused values are dropped back to their defaults and returned as errors to show."""
    today = utcnow().date()
    defaults = {"from": str(today - timedelta(days=DEFAULT_DAYS - 1)), "to": str(today + timedelta(days=1))}
    query = {**defaults, **{name: value for name, value in request.args.items() if value}}
    try:
        return schema.load(query), {}
    except ma.ValidationError as exc:
        kept = {name: value for name, value in query.items() if name not in exc.messages}
        return schema.load({**defaults, **kept}), exc.messages


def period_of(args: dict[str, Any]) -> reports.Period:
    return reports.period(args["from_"], args["to"], args["tz"])
