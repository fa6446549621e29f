"""The package's exceptions, and the one place database errors are mapped onto them.

Every database error is translated by :func:`map_database_error`, from its SQLSTATE, keeping
PostgreSQL's message, detail and hint. EQC errors live in :mod:`company_enrichment.eqc`.
"""

from __future__ import annotations

import psycopg

__all__ = [
    "CompanyEnrichmentError",
    "ConcurrencyError",
    "ConfigurationError",
    "DatabaseError",
    "DatabaseUnavailableError",
    "DecisionFailedError",
    "InputError",
    "InvalidInputError",
    "LeaseLostError",
    "LookupRequestNotFoundError",
    "MappingChangeSetConflictError",
    "MappingChangeSetNotFoundError",
    "NotACandidateError",
    "PermissionDeniedError",
    "ReviewDecidedError",
    "UsageError",
    "map_database_error",
]


class CompanyEnrichmentError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(CompanyEnrichmentError):
    """A setting is missing or invalid; the message names the variable."""


class UsageError(CompanyEnrichmentError):
    """A command-line option does not fit the input (a column the file lacks, an output path that cannot be
    written); the message names the option and the value. The command line exits 2."""


class InputError(CompanyEnrichmentError):
    """A file given to the command line is malformed; the message names the line."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


class DatabaseError(CompanyEnrichmentError):
    """An error raised by the database, with PostgreSQL's own fields."""

    def __init__(
        self, message: str, *, sqlstate: str | None, detail: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.detail:
            parts.append(f"DETAIL: {self.detail}")
        if self.hint:
            parts.append(f"HINT: {self.hint}")
        return "\n".join(parts)


class InvalidInputError(DatabaseError):
    """The SQL API refused its arguments (class 22: invalid_parameter_value, string_data_right_truncation...)."""


class LeaseLostError(DatabaseError):
    """CE001: the worker no longer holds the lookup request (its lease expired and it was claimed again)."""


class LookupRequestNotFoundError(DatabaseError):
    """CE002: no lookup request has that id."""


class ReviewDecidedError(DatabaseError):
    """CE003: the lookup request is not under review (someone decided it first, or it never was)."""


class NotACandidateError(DatabaseError):
    """CE004: the company is not one of the request's candidates (accept with force to map it anyway)."""


class MappingChangeSetConflictError(DatabaseError):
    """CE005: later change sets changed rows of the change set to revert (DETAIL names the rows and those change
    sets); revert them first, or revert with force."""


class MappingChangeSetNotFoundError(DatabaseError):
    """CE006: no mapping change set has that id."""


class ConcurrencyError(DatabaseError):
    """40001/40P01: a serialization failure or deadlock; retrying the transaction is safe."""


class PermissionDeniedError(DatabaseError):
    """42501: the role lacks a privilege (see the README's roles)."""


class DatabaseUnavailableError(DatabaseError):
    """Class 08 and server shutdowns: the database could not be reached; retrying later is safe."""


class DecisionFailedError(CompanyEnrichmentError):
    """One decision of an all-or-nothing batch failed, so none was applied (the transaction was rolled back).

    ``position`` is the 0-based index of the decision that failed, ``error`` the database's error (mapped).
    """

    def __init__(self, position: int, error: DatabaseError) -> None:
        super().__init__(f"decision {position + 1}: {error}")
        self.position = position
        self.error = error


_BY_SQLSTATE: dict[str, type[DatabaseError]] = {
    "CE001": LeaseLostError,
    "CE002": LookupRequestNotFoundError,
    "CE003": ReviewDecidedError,
    "CE004": NotACandidateError,
    "CE005": MappingChangeSetConflictError,
    "CE006": MappingChangeSetNotFoundError,
    "40001": ConcurrencyError,
    "40P01": ConcurrencyError,
    "42501": PermissionDeniedError,
    "57P01": DatabaseUnavailableError,
    "57P02": DatabaseUnavailableError,
    "57P03": DatabaseUnavailableError,
}

_BY_CLASS: dict[str, type[DatabaseError]] = {
    "22": InvalidInputError,
    "08": DatabaseUnavailableError,
}


def map_database_error(exc: psycopg.Error) -> DatabaseError:
    """Translate a psycopg error into the package's exception, by SQLSTATE."""
    diag = exc.diag
    sqlstate = diag.sqlstate or exc.sqlstate
    message = diag.message_primary or str(exc).strip() or type(exc).__name__
    cls: type[DatabaseError]
    if sqlstate is None:
        cls = DatabaseUnavailableError if isinstance(exc, psycopg.OperationalError) else DatabaseError
    else:
        cls = _BY_SQLSTATE.get(sqlstate) or _BY_CLASS.get(sqlstate[:2]) or DatabaseError
    return cls(message, sqlstate=sqlstate, detail=diag.message_detail, hint=diag.message_hint)
