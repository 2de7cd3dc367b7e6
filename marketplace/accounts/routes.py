from flask import request

from marketplace.accounts import services
from marketplace.accounts.schemas import (
    DataExportSchema,
    MeSchema,
    MeUpdateSchema,
    PasswordChangeSchema,
    SignupSchema,
    TokenRequestSchema,
    TokenSchema,
    UserSchema,
)
from marketplace.http import Blueprint, current_user
from marketplace.limiter import auth_rate_limit, limiter

blp = Blueprint("accounts", __name__, description="Sign-up, tokens and the current user")


@blp.route("/auth/signup", methods=["POST"])
@limiter.limit(auth_rate_limit)
@blp.arguments(SignupSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def signup(data):
    """Create an account as a shopper, influencer or brand member"""
    return services.sign_up(data["email"], data["password"], data["role"])


@blp.route("/auth/token", methods=["POST"])
@limiter.limit(auth_rate_limit)
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def issue_token(data):
    """Exchange email and password for a bearer token"""
    token, ttl = services.issue_token(data["email"], data["password"])
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}


def _bearer_token() -> str:
    return request.headers["Authorization"].split(" ", 1)[1].strip()


@blp.route("/auth/logout", methods=["POST"])
@blp.auth_required()
@blp.response(204)
def logout():
    """Revoke the bearer token used for this request"""
    services.revoke_token(_bearer_token())


@blp.route("/me/password", methods=["POST"])
@blp.auth_required()
@limiter.limit(auth_rate_limit)
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def change_password(data):
    """Change your password; every other token of your account is revoked"""
    services.change_password(current_user(), _bearer_token(), data["current_password"], data["new_password"])


@blp.route("/me", methods=["GET"])
@blp.auth_required()
@blp.response(200, MeSchema)
def me():
    """The signed-in user, with the brands they belong to and their influencer handle"""
    return services.describe_user(current_user())


@blp.route("/me", methods=["PATCH"])
@blp.auth_required()
@blp.arguments(MeUpdateSchema)
@blp.response(200, MeSchema)
def update_me(data):
    """Change your settings: ``share_with_influencers`` lets the influencers who brought you see your email"""
    return services.update_me(current_user(), data["share_with_influencers"])


@blp.route("/me/export", methods=["GET"])
@blp.auth_required()
@blp.response(200, DataExportSchema)
def export_my_data():
    """Your personal data as JSON: the account and the orders you placed (also those placed with its email)"""
    return services.export_user_data(current_user())


@blp.route("/me", methods=["DELETE"])
@blp.auth_required()
@blp.response(204)
@blp.alt_response(409, response="CONFLICT", description="Not a shopper account")
def delete_me():
    """Delete your shopper account: personal data erased, tokens revoked, orders kept without personal data"""
    services.delete_account(current_user())
