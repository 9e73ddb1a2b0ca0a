"""What can go wrong with an outside channel. The callback errors are the hub's own (mapped once in
handoff/api/main.py); the API errors stay inside the hub, where delivery decides what each one means."""

from __future__ import annotations

from handoff.errors import BadRequest, DependencyUnavailable, Forbidden


class BadCallback(BadRequest):
    """A callback that cannot be read: not UTF-8, not XML, a DTD or entities, no message in it."""

    code = "invalid_callback"


class BadSignature(Forbidden):
    """A callback whose signature, timestamp or encryption does not check out."""

    code = "invalid_signature"


class Busy(DependencyUnavailable):
    """The hub is storing as many callbacks as it can: this one gets 503 and the channel retries it."""

    code = "busy"


class ChannelApiError(Exception):
    """The channel's API refused a call; ``errcode`` is the channel's own code."""

    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class TokenRejected(ChannelApiError):
    """The access token is invalid or expired (40001, 42001, 40014): fetch a new one and try once more."""


class ReplyNotAllowed(ChannelApiError):
    """The customer cannot be sent this now: the reply window closed or its quota is used (45015, 45047), or they
    unfollowed (43004)."""


class ChannelUnavailable(Exception):
    """The channel's API did not answer, answered 5xx, or said it is busy (-1): try again later."""
