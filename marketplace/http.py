"""Project-wide HTTP pieces: the Api, Blueprint and Schema bases, errors, auth and paging.

Everything a route needs comes from here, so error payloads, authentication and
pagination are documented in the OpenAPI document from one place.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from http import HTTPStatus
from typing import Any, Callable, Iterable, Mapping

import marshmallow as ma
import swagger_ui_bundle
from flask import Blueprint as FlaskBlueprint
from flask import current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api as BaseApi
from flask_smorest import Blueprint as BaseBlueprint
from flask_smorest.error_handler import ErrorSchema as BaseErrorSchema
from sqlalchemy import Select, func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException, NotFound, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

from marketplace.accounts.services import authenticate_bearer
from marketplace.db import db, has_unstorable_text
from marketplace.errors import DatabaseUnavailable, DomainError, Forbidden, Invalid, Unauthorized

log = logging.getLogger(__name__)

MAX_ID = 2**31 - 1  # primary keys are 32-bit integers
MAX_PAGE = 100_000
SWAGGER_UI_ASSETS_PATH = "/api/docs/assets"


class IdConverter(IntegerConverter):
    """``<id:name>`` path segments: positive 32-bit integers only, so huge ids are a 404.

    The range is checked here rather than with werkzeug's ``min``/``max``: those make
    the rule not match, and werkzeug then answers 405 when another method's rule
    shares the path.
    """

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound()
        return number


UNSTORABLE_MESSAGE = "Text must not contain NUL characters or lone surrogates."


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, so typos surface as 422s; so is text the
    database cannot store."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _refuse_unstorable_text(self, data, **kwargs):
        if isinstance(data, Mapping):
            bad = {str(key): [UNSTORABLE_MESSAGE] for key, value in data.items() if has_unstorable_text([key, value])}
            if bad:
                raise ma.ValidationError(bad)
        return data


class PatchSchemaMixin:
    """PATCH bodies: every field optional and no defaults filled in, so only named fields change."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ErrorSchema(BaseErrorSchema):
    reason = ma.fields.String(metadata={"description": "Stable machine-readable cause"})


def StrictInt(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802 - reads as a field class
    """An integer field that refuses floats and numeric strings in JSON bodies."""
    return ma.fields.Integer(strict=True, **kwargs)


def Id(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802
    """A primary-key reference; ``strict=False`` for query strings, where every value is text."""
    kwargs.setdefault("strict", True)
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class Api(BaseApi):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, self.handle_domain_error)
        self._app.register_error_handler(OperationalError, self.handle_database_unavailable)
        self._app.register_error_handler(InterfaceError, self.handle_database_unavailable)

    def handle_http_exception(self, error: HTTPException):
        payload, status, headers = super().handle_http_exception(error)
        payload.setdefault("message", error.description if status < 500 else "Internal server error")
        if status >= 500:
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error("unhandled error", exc_info=original)
        # Keep headers werkzeug sets on the exception, such as Allow on a 405.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                headers.setdefault(name, value)
        return payload, status, headers

    def handle_domain_error(self, error: DomainError):
        status = error.status_code
        payload: dict[str, Any] = {
            "code": status,
            "status": HTTPStatus(status).phrase,
            "message": error.message,
            "reason": error.reason,
        }
        if error.errors:
            payload["errors"] = error.errors
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if error.retry_after_seconds:
            headers["Retry-After"] = str(error.retry_after_seconds)
        return payload, status, headers

    @staticmethod
    def handle_database_unavailable(error: OperationalError | InterfaceError):
        """A lost or refused database connection (PostgreSQL restarting, failing over, out of
        connections) is a 503 to retry, not a 500; answered as a domain error, so the pages
        show theirs. The pool replaces the dead connection (``pool_pre_ping``)."""
        log.warning("database unavailable: %s", error.orig or error)
        return current_app.handle_user_exception(
            DatabaseUnavailable("the database is unavailable; try again in a moment")
        )


class ArgumentsParser(FlaskParser):
    """Let the schema decide about unknown query parameters too (ours refuse them: 422)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def _raw_load_json(self, req):
        """A body that is not JSON is refused (415) rather than ignored, as webargs would (a PATCH
        sent as a form changed nothing and answered 200); JSON nested deeper than the parser's
        recursion allows is an invalid body (400), not a 500."""
        if not is_json_request(req) and (req.content_length or req.get_data(cache=True)):
            raise UnsupportedMediaType("the body must be JSON, sent with Content-Type: application/json")
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            self._handle_invalid_json_error(json.JSONDecodeError("nested too deeply", "", 0), req)


class JSONProvider(DefaultJSONProvider):
    """Flask's ``request.get_json`` answers 400 for what it cannot parse (a ValueError); too deep
    a nesting raised RecursionError instead, a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class Blueprint(BaseBlueprint):
    ARGUMENTS_PARSER = ArgumentsParser()

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        """Document the 404 of every path with parameters: the converters refuse what cannot
        exist (``<id:...>`` out of range, a segment too long) before the view runs."""
        documented = getattr(view_func, "_apidoc", {}).get("response", {}).get("responses", {})
        if "<" in rule and 404 not in documented:
            view_func = self.alt_response(404, response="NOT_FOUND")(view_func)
        return super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    def arguments(self, schema, *, location="json", **kwargs):
        """Also document what any JSON body can get before validation: 400 (not JSON), 413 (too
        large) and 415 (sent as something else than JSON)."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse

        def decorator(view):
            view = self.alt_response(400, response="BAD_REQUEST")(parse(view))
            view = self.alt_response(413, response=HTTPStatus.REQUEST_ENTITY_TOO_LARGE.name)(view)
            return self.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")(view)

        return decorator

    def auth_required(self, roles: Iterable[str] | None = None) -> Callable:
        """Require a valid bearer token, and one of ``roles`` if given (else 403)."""
        allowed = frozenset(roles or ())

        def decorator(view):
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                user = current_user(required=True)
                if allowed and user.role not in allowed:
                    raise Forbidden(
                        f"this action needs one of the roles: {', '.join(sorted(allowed))}",
                        reason="wrong_role",
                    )
                return view(*args, **kwargs)

            wrapper = self.doc(security=[{"bearerAuth": []}])(wrapper)
            wrapper = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            return self.alt_response(403, response="FORBIDDEN")(wrapper)

        return decorator

    def auth_optional(self, view):
        """Public route whose answer depends on who asks; a bad token is still a 401."""

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            current_user(required=False)
            return view(*args, **kwargs)

        wrapper = self.doc(security=[{}, {"bearerAuth": []}])(wrapper)
        return self.alt_response(401, response="UNAUTHORIZED")(wrapper)


def current_user(required: bool = False):
    """The authenticated user of this request, or None. Resolved once per request."""
    if "current_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            g.current_user = None
        elif scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'", reason="invalid_token")
        else:
            g.current_user = authenticate_bearer(token.strip())
    if required and g.current_user is None:
        raise Unauthorized("authentication required", reason="authentication_required")
    return g.current_user


def refuse_unstorable_text() -> None:
    """The path, query string and form fields, which views may read without a schema (the pages'
    ``via`` and sign-in form, path segments looked up by slug or code): the same rule as ``Schema``."""
    errors = {
        location: sorted(name for name, value in values.items(multi=True) if has_unstorable_text([name, value]))
        for location, values in (("query", request.args), ("form", request.form))
    }
    errors = {location: {name: [UNSTORABLE_MESSAGE] for name in names} for location, names in errors.items() if names}
    if has_unstorable_text(request.path):
        errors["path"] = [UNSTORABLE_MESSAGE]
    if errors:
        raise Invalid("the request has text that cannot be stored", reason="unstorable_text", errors=errors)


# ---------------------------------------------------------------- pagination


class PageArgsSchema(Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    page_size = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class PageMetaSchema(Schema):
    page = ma.fields.Integer(required=True)
    page_size = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A ``{items: [...], meta: {...}}`` envelope schema named after its items."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "meta": ma.fields.Nested(PageMetaSchema, required=True),
        },
    )


def paginate(query: Select, page: int, page_size: int) -> dict[str, Any]:
    """Run ``query`` for one page and count the whole result; past the end is an empty page."""
    session = db.session
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return {
        "items": items,
        "meta": {
            "page": page,
            "page_size": page_size,
            "total": total,
            "pages": math.ceil(total / page_size) if total else 0,
        },
    }


def init_api(app) -> Api:
    """Create the app's Api (one per app, so several apps can live in one process)."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_unstorable_text)
    # Swagger UI's assets ship with the swagger-ui-bundle package: /api/docs works offline.
    app.register_blueprint(
        FlaskBlueprint(
            "api_docs_assets",
            __name__,
            static_folder=swagger_ui_bundle.swagger_ui_path,
            static_url_path=SWAGGER_UI_ASSETS_PATH,
        )
    )
    api = Api()
    api.register_converter(IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    api.init_app(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "opaque signed token"}
                }
            }
        },
    )
    return api
