"""Does the database run the SQL API this client needs? Every command asks before anything else, so that an
undeployed or outdated database gets one clear sentence (exit 2) instead of a raw SQL error.

The database says which release it runs (``enterprise.schema_version()``, which moves with the sqitch plan's tags);
a database with schema ``enterprise`` but without that function runs 0.1.x. A newer release than this client's is
accepted: a release keeps the previous release's public functions working.
"""

from __future__ import annotations

from . import __version__
from .db import EnrichmentDB
from .errors import ConfigurationError

__all__ = ["REQUIRED_RELEASE", "SchemaError", "check_schema"]

REQUIRED_RELEASE = __version__  # the SQL API release this client was written against

_HOW = "run `make deploy`, or `sqitch deploy <target>`"


class SchemaError(ConfigurationError):
    """The database lacks the schema, or runs an older release of it than this client needs."""


def _release_key(release: str) -> tuple[int, ...]:
    """``"0.2.0"`` -> (0, 2, 0); a non-numeric part (``"0.1.x"``) counts as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in release.split("."))


def check_schema(db: EnrichmentDB) -> str:
    """The deployed release; raises :class:`SchemaError` when there is none or it is older than required."""
    release = db.deployed_release()
    if release is None:
        raise SchemaError(f"the enterprise schema is not deployed in this database: {_HOW}")
    if _release_key(release) < _release_key(REQUIRED_RELEASE):
        shown = "0.1.x" if release == "0.1" else release
        raise SchemaError(
            f"the database runs release {shown} of the enterprise schema, older than the {REQUIRED_RELEASE} this "
            f"client needs: {_HOW}"
        )
    return release
