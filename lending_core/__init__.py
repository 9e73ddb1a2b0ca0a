"""Reference lending core: the bank's system of record for SME credit lines, loans and renewals."""

__version__ = "1.0.0"
