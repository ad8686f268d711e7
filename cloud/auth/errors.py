"""Errors of cloud.auth; library errors (argon2-cffi, PyJWT) are translated into these in one place each.

AuthError
 +-- InvalidToken        the bearer token is malformed, forged, for another audience, or lacks a claim
 |    +-- ExpiredToken   a good token past its ``exp``
 +-- WeakPassword        a new password the policy refuses (too short, too long)
 +-- AccountError        an account or community that cannot be created or changed as asked
      +-- AccountConflict  the user name or community id is taken
      +-- UnknownUser      no account has this id or user name
"""


class AuthError(Exception):
    """Root of every cloud.auth error."""


class InvalidToken(AuthError):
    """The token cannot be trusted; the API answers 401."""


class ExpiredToken(InvalidToken):
    """The token was good but its lifetime is over; the client logs in again."""


class WeakPassword(AuthError, ValueError):
    """A password the policy refuses; the message says why, never echoing the password."""


class AccountError(AuthError, ValueError):
    """A bad account or community request (bad user name, unknown community, impossible role); the API answers 422."""


class AccountConflict(AccountError):
    """The user name or community id already exists; the API answers 409."""


class UnknownUser(AccountError):
    """No such account; the API answers 404."""
