"""Authentication classes of the API."""

from __future__ import annotations

from rest_framework import authentication, exceptions


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic for scripts and integrations; credentials with NUL
    characters are refused (they cannot match a stored user, and PostgreSQL
    would refuse the lookup with an error), and so are accounts whose role
    requires a second factor (Basic cannot carry one)."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        user, auth = super().authenticate_credentials(userid, password, request)
        from cim.security import second_factor_required

        if second_factor_required(user):
            raise exceptions.AuthenticationFailed(
                "this account signs in with a second factor; HTTP Basic is not accepted for it")
        return user, auth
