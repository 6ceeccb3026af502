"""The exceptions of kg: one base, a few precise kinds, each naming what went wrong and where."""

from __future__ import annotations

__all__ = [
    "InputError",
    "KGError",
    "NotConformingError",
    "OutputError",
    "QueryError",
    "TruncatedResults",
]


class KGError(Exception):
    """Base of every error kg reports to a user (the CLI prints it without a traceback)."""


class InputError(KGError, ValueError):
    """A curation or input file is wrong: names the file, the line and the record.

    >>> str(InputError("claims.yaml", 12, "claim 'x'", "unknown field 'qoute'"))
    "claims.yaml:12: claim 'x': unknown field 'qoute'"
    """

    def __init__(self, file: str, line: int | None, record: str | None, message: str) -> None:
        self.file, self.line, self.record, self.message = file, line, record, message
        where = file if line is None else f"{file}:{line}"
        what = f"{record}: {message}" if record else message
        super().__init__(f"{where}: {what}")


class NotConformingError(KGError):
    """The graph does not conform to the shapes; carries the readable report (one line a
    violation) and, for an expert, the same with each line's SHACL result."""

    def __init__(self, report: str, detail: str | None = None) -> None:
        self.report = report
        self.detail = report if detail is None else detail
        super().__init__(report)


class QueryError(KGError, ValueError):
    """A SPARQL query is malformed, or asks for something refused (such as SERVICE)."""


class TruncatedResults(KGError):
    """A remote store cut the results (Virtuoso's ResultSetMaxRows): the answer is incomplete."""


class IndexDamaged(KGError):
    """The release's query index failed a check of its storage (a block whose checksum is
    wrong, a file missing or cut short): it must be made again."""


class OutputError(KGError):
    """An output cannot be written where it was asked for (a folder that cannot be made, a
    read-only file system): names the place and what to do."""

    @classmethod
    def from_os_error(cls, where: object, error: OSError, hint: str) -> OutputError:
        """``where: <the system's reason> (<hint>)``.

        >>> str(OutputError.from_os_error("/proc/x", PermissionError(13, "Permission denied"),
        ...                               "choose another --out"))
        '/proc/x: cannot write there: Permission denied (choose another --out)'
        """
        reason = error.strerror or type(error).__name__
        return cls(f"{where}: cannot write there: {reason} ({hint})")
