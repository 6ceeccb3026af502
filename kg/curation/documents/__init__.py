"""Source documents as received: their formats, the text their quotes count in, their records."""

from kg.curation.documents.formats import FORMATS, DocumentFormat, detect
from kg.curation.documents.record import Author, DocumentError, DocumentRecord, Heading

__all__ = [
    "FORMATS",
    "Author",
    "DocumentError",
    "DocumentFormat",
    "DocumentRecord",
    "Heading",
    "detect",
]
