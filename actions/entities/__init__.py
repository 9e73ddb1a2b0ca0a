"""Entity parsers: the text of an extracted entity (or a short message) in, a typed value out.

Each parser is a pure function that returns the value or raises a :class:`NormalizationError` subclass whose
``code`` is stable (errors.py lists them), so the actions turn a refusal into a bilingual reply. Nothing is read at
import time. One module per kind of value:

- amounts: yuan amounts (Decimal, exact to the fen), "all of it", foreign currencies never read as yuan
- terms: loan terms in months
- mobiles: mainland mobile numbers
- codes: the unified social credit code and the bank's reference numbers
- dates: callback and visit dates
- numbers: Chinese numerals and the text every parser reads

Text rules shared with the hub and the FAQ index (Traditional to Simplified, language, masking) are in textkit/.
"""

from actions.entities.amounts import is_all_amount, mentions_foreign_currency, parse_amount
from actions.entities.codes import validate_application_number, validate_credit_code, validate_service_request_number
from actions.entities.dates import parse_date
from actions.entities.errors import (
    AmountError,
    CreditCodeError,
    DateError,
    MobileError,
    NormalizationError,
    ReferenceNumberError,
    TermError,
)
from actions.entities.mobiles import parse_mobile
from actions.entities.terms import parse_term_months

__all__ = [
    "AmountError",
    "CreditCodeError",
    "DateError",
    "MobileError",
    "NormalizationError",
    "ReferenceNumberError",
    "TermError",
    "is_all_amount",
    "mentions_foreign_currency",
    "parse_amount",
    "parse_date",
    "parse_mobile",
    "parse_term_months",
    "validate_application_number",
    "validate_credit_code",
    "validate_service_request_number",
]
