"""Authentication classes of the API."""

from __future__ import annotations

from rest_framework import authentication, exceptions


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic for scripts and integrations; credentials with NUL
    characters are refused (they cannot match a stored user, and PostgreSQL
    would refuse the lookup with an error)."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        return super().authenticate_credentials(userid, password, request)
