"""Exceptions of the knowledge package."""


class KnowledgeError(Exception):
    """Base class of every error raised by the knowledge package."""


class CorpusError(KnowledgeError):
    """The FAQ corpus is missing or does not follow the schema."""


class EncoderError(KnowledgeError):
    """An encoder could not be created or its model could not be loaded."""


class IndexNotFoundError(KnowledgeError):
    """No built index (or no CURRENT pointer) was found."""


class IndexFormatError(KnowledgeError):
    """A built index folder is incomplete or inconsistent with its manifest."""


class CalibrationError(KnowledgeError):
    """Calibration could not run (no dev set, no usable queries)."""


class ClassifierError(KnowledgeError):
    """The topic classifier was given inconsistent training data."""
