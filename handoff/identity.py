"""Customer identity the hub verifies itself: a signed token (JWT, HS256) from the bank's web page."""

from __future__ import annotations

from dataclasses import dataclass

import jwt


class InvalidCustomerToken(Exception):
    """The customer token is malformed, badly signed, expired or for another audience."""


@dataclass(frozen=True)
class VerifiedCustomer:
    customer_id: str
    verified_by: str


def verify_customer_token(token: str, *, secret: str, audience: str) -> VerifiedCustomer:
    """Check the bank page's token; its ``sub`` is the customer id of the lending core."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=audience, options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise InvalidCustomerToken(str(exc)) from exc
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 64:
        raise InvalidCustomerToken("sub must be a customer id")
    return VerifiedCustomer(customer_id=subject, verified_by="bank_token")
