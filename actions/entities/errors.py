"""The refusals of the entity parsers: ``code`` is stable, so the actions turn it into a bilingual reply.

Codes: amount ``amount_unreadable``, ``amount_negative``, ``amount_zero``, ``amount_precision`` (more than 2
decimals of a yuan), ``amount_ambiguous`` (two different amounts in one text), ``amount_currency`` (a foreign
currency such as USD or HKD); term ``term_unreadable``, ``term_invalid`` (zero or not a whole number of months);
mobile ``mobile_format`` (no 11-digit number), ``mobile_invalid`` (11 digits, not a mainland mobile); credit code
``credit_code_format`` (length or characters), ``credit_code_checksum``; date ``date_unreadable``,
``date_invalid`` (e.g. 2月30日); references ``application_number_invalid``, ``service_request_number_invalid``.
"""

from __future__ import annotations


class NormalizationError(ValueError):
    """A value the customer gave that cannot be read: ``code`` says why, ``text`` is what was refused."""

    def __init__(self, code: str, text: str, detail: str = "") -> None:
        self.code = code
        self.text = text
        self.detail = detail
        super().__init__(f"{code}: {detail or text!r}")


class AmountError(NormalizationError):
    """Not one amount in yuan with at most two decimals."""


class TermError(NormalizationError):
    """Not a whole number of months."""


class MobileError(NormalizationError):
    """Not one mainland mobile number."""


class CreditCodeError(NormalizationError):
    """Not a unified social credit code, or a wrong check character."""


class DateError(NormalizationError):
    """Not a date, or a day the calendar does not have."""


class ReferenceNumberError(NormalizationError):
    """Not one of the bank's reference numbers (AP..., SR... followed by 10 digits)."""
