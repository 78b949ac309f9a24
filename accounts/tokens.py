"""API tokens (django-rest-knox, with the portal's own model): issued, listed,
revoked, and all revoked when the account's security changes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication

from accounts.audit import current_request, record_event
from accounts.models import ApiToken, SecurityEvent, User

# django-rest-knox's tokens, as portal.ApiToken: only a hash of the secret is kept,
# each ends after API_TOKEN_DAYS, and a user holds several, one per system or script.
# All of a user's tokens are revoked with a new password or a deactivation (on the
# model: accounts.models._api_tokens_follow_the_account) and with a change of
# two-factor sign-in (the services above).


class ApiTokenLimitError(Exception):
    """The user holds as many unexpired tokens as allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: knox's check (hash, expiry, active user),
    noting when the token was last used, at most once a minute (a script's burst
    of requests writes once)."""

    def validate_user(self, auth_token: ApiToken) -> tuple[User, ApiToken]:
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        last = token.last_used_at
        if last is None or (now - last).total_seconds() >= 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


def api_token_issue(
    *, user: User, name: str = "", request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``, named after the system or script that will use it.
    Returns the token and its secret, to give this once: only a hash is kept."""
    name = " ".join(name.split())
    ApiToken._meta.get_field("name").clean(name, None)  # at most 100 characters
    with transaction.atomic():
        # One issue at a time per user, so that the limit holds.
        User.objects.select_for_update().filter(pk=user.pk).first()
        ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        if ApiToken.objects.filter(user=user).count() >= settings.API_TOKENS_PER_USER:
            raise ApiTokenLimitError(
                _(
                    "You hold %(count)d API tokens, as many as allowed: revoke those "
                    "no longer used on your account's security page, or keep using "
                    "one until it expires."
                )
                % {"count": settings.API_TOKENS_PER_USER}
            )
        token, secret = ApiToken.objects.create(user=user, name=name)
        record_event(
            kind=SecurityEvent.Kind.TOKEN_ISSUED,
            request=request,
            user=user,
            detail=_token_detail(token),
        )
    return token, secret


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's unexpired tokens, newest first."""
    return ApiToken.objects.filter(user=user).unexpired().order_by("-created", "pk")


def api_token_for(*, user: User, token_id: object) -> ApiToken:
    """One of the user's own unexpired tokens; anyone else's, or none: Http404."""
    try:
        return api_tokens_of(user=user).get(pk=uuid.UUID(str(token_id)))
    except (ApiToken.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def api_token_revoke(
    *, token: ApiToken, actor: User, request: HttpRequest | None = None
) -> None:
    """Revoke one token (its owner does, from the page or the API)."""
    detail = _token_detail(token)
    with transaction.atomic():
        token.delete()
        record_event(
            kind=SecurityEvent.Kind.TOKEN_REVOKED,
            request=request,
            user=token.user,
            actor=_other_than(actor, token.user),
            detail=detail,
        )


def api_tokens_revoke_all(
    *,
    user: User,
    reason: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Revoke all of the user's tokens; the trail records how many and why
    (``reason``: owner, password_changed, deactivated, two_factor_enabled...)."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    with transaction.atomic():
        count = ApiToken.objects.filter(user=user).delete()[0]
        if count:
            record_event(
                kind=SecurityEvent.Kind.TOKEN_REVOKED,
                request=request,
                user=user,
                actor=_other_than(actor, user),
                detail=f"all ({count}): {reason}",
            )
    return count


def _token_detail(token: ApiToken) -> str:
    return f"{token.id} {token.name}".strip()


def _other_than(actor: User | None, user: User) -> User | None:
    """The actor, when not the account's owner (as the trail records it)."""
    if actor is None or not actor.is_authenticated or actor.pk == user.pk:
        return None
    return actor


def follow_the_account(sender, instance, created, update_fields, **kwargs):
    """On a user's save (connected in AccountsConfig.ready): a new password
    (changed, reset, set by an admin, or made unusable) or a deactivation revokes
    all of the user's API tokens.

    Checked on the model, not in the views: Django's own password views, the
    admin's forms, ``changepassword`` and the Users page all end in ``save()``, and
    a door added later cannot forget it. ``_password`` is set by
    ``set_password()`` alone (not by the rehash of a password at sign-in). A
    ``QuerySet.update()`` sends no signal, but knox refuses an inactive user's token
    at every request all the same.
    """
    if created or kwargs.get("raw"):
        return
    fields = set(update_fields) if update_fields is not None else None
    request = current_request.get()
    new_password = instance._password is not None or not instance.has_usable_password()
    if (fields is None or "password" in fields) and new_password:
        api_tokens_revoke_all(user=instance, reason="password_changed", request=request)
    if (fields is None or "is_active" in fields) and not instance.is_active:
        api_tokens_revoke_all(user=instance, reason="deactivated", request=request)
