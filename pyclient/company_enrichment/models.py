"""Typed results. Each model maps one to one onto a composite type, view or row of the SQL API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CompanyIdResult",
    "CompanyProfile",
    "CompanyRecord",
    "ExplainStep",
    "FailedLookup",
    "LookupRequest",
    "MappingChangeSet",
    "MappingHistoryEntry",
    "MappingLoadResult",
    "MappingMatch",
    "MappingRow",
    "QueueRunStats",
    "QueueStats",
    "ReplicaStats",
    "ResolutionStatus",
    "ReviewCandidate",
    "ReviewDecision",
    "ReviewItem",
]


class ResolutionStatus(StrEnum):
    SUCCESS_INTERNAL = "success_internal"
    """Found in a curated mapping (source says which kind)."""
    SUCCESS_EXTERNAL = "success_external"
    """Found through EQC: a learned mapping, or an inline lookup just now."""
    PENDING_LOOKUP = "pending_lookup"
    """Queued for an EQC lookup (request_id says which request)."""
    TEMP_ASSIGNED = "temp_assigned"
    """A stable temporary id: no customer name, or a name EQC does not know."""


class CompanyRecord(BaseModel):
    """One pipeline record. Blank strings count as absent."""

    model_config = ConfigDict(frozen=True)

    plan_code: str | None = None
    customer_name: str | None = None
    account_name: str | None = None
    account_number: str | None = None


class CompanyIdResult(BaseModel):
    """enterprise.company_id_result."""

    model_config = ConfigDict(frozen=True)

    company_id: str | None = Field(None, description="The company id, or the TEMP id; NULL while pending")
    status: ResolutionStatus
    source: str | None = Field(None, description="Mapping kind, EQC, queued or generated")
    match_type: str | None = None
    temp_id: str | None = None
    request_id: int | None = None


class ExplainStep(BaseModel):
    """A row of enterprise.explain_company_id(): one step of the resolution order, and why it did or did not give
    the record its id. Steps 1-6 probe mappings (plan, account, hardcode, name, account_name, learned); step 7 is
    the final one (queue: the customer name's lookup request; temp_id: a TEMP id keyed on the name or the record)."""

    model_config = ConfigDict(frozen=True)

    step: int
    kind: str
    lookup_key: str | None = Field(None, description="The key tried: trimmed code or normalized name; NULL if absent")
    hit: bool
    """Steps 1-6: a mapping has the key (even when an earlier step answered); step 7: the request or TEMP id exists."""
    answered: bool
    """This step gave the answer: exactly one step of the seven."""
    alias_name: str | None = None
    canonical_id: str | None = None
    source: str | None = None
    confidence: Decimal | None = None
    updated_at: datetime | None = None
    request_id: int | None = None
    request_status: str | None = None
    request_outcome: str | None = None
    attempts: int | None = None
    next_attempt_at: datetime | None = None
    completed_at: datetime | None = None
    last_error: str | None = None
    temp_id: str | None = None
    company_id: str | None = None
    """On the answered step: the id preview_company_ids gives (NULL while pending, or where a TEMP id would be new)."""
    status: ResolutionStatus | None = None
    """On the answered step: preview_company_ids's status."""
    note: str


class LookupRequest(BaseModel):
    """A row of enterprise.lookup_requests."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    normalized_name: str
    status: str
    attempts: int
    last_error: str | None = None
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    outcome: str | None = None
    company_id: str | None = None
    official_name: str | None = None
    unite_code: str | None = None
    completed_at: datetime | None = None
    last_failed_at: datetime | None = None
    claimable_at: datetime | None = None
    candidates: list[ReviewCandidate] | None = None
    """EQC's scored candidates, best first, of a request sent to review (schema 0.2.0)."""


class QueueStats(BaseModel):
    """enterprise.lookup_queue_stats."""

    model_config = ConfigDict(frozen=True)

    pending: int
    due: int
    processing: int
    done: int
    found: int
    not_found: int
    failed: int
    oldest_pending_age: timedelta | None = None
    expired_leases: int
    failures_last_hour: int
    done_last_hour: int
    review: int = 0
    """Requests waiting for a person: EQC answered, but no candidate was sure enough (schema 0.2.0)."""


class MappingRow(BaseModel):
    """One curated mapping for upsert_internal_mappings."""

    model_config = ConfigDict(frozen=True)

    alias_name: str
    canonical_id: str
    match_type: str


class MappingLoadResult(BaseModel):
    """enterprise.mapping_load_result."""

    model_config = ConfigDict(frozen=True)

    inserted: int
    updated: int
    unchanged: int
    replaced: int = 0
    """Curated rows of the same kind and key under another alias that the load replaced (replace_conflicting)."""
    change_set: int | None = None
    """The load's change set: what ``mappings history`` shows and ``mappings revert`` undoes (schema after 0.2.1)."""


class MappingChangeSet(BaseModel):
    """enterprise.mapping_change_set: one import, one revert, or one transaction of other writes (the worker's
    settle batch, manual SQL), with the rows it inserted, updated and deleted."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    """import, revert or sql."""
    label: str | None = None
    reverts: int | None = None
    """The change set a revert undid."""
    session_user_name: str
    application_name: str | None = None
    changed_by: str | None = None
    created_at: datetime
    inserted: int
    updated: int
    deleted: int


class MappingHistoryEntry(BaseModel):
    """A row of enterprise.company_mapping_history: one insert, update or delete of a mapping."""

    model_config = ConfigDict(frozen=True)

    id: int
    change_set: int
    operation: str
    """insert, update or delete."""
    alias_name: str
    match_type: str
    canonical_id_before: str | None = None
    canonical_id_after: str | None = None
    source_before: str | None = None
    source_after: str | None = None
    confidence_before: Decimal | None = None
    confidence_after: Decimal | None = None
    eqc_type_before: str | None = None
    eqc_type_after: str | None = None
    updated_at_before: datetime | None = None
    updated_at_after: datetime | None = None
    changed_at: datetime
    session_user_name: str
    application_name: str | None = None
    changed_by: str | None = None


class QueueRunStats(BaseModel):
    """What one run of the queue worker did."""

    claimed: int = 0
    found: int = 0
    not_found: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    lost: int = 0
    """Requests whose lease had been taken over before the worker could settle them."""
    review: int = 0
    """Answers no candidate of which scored auto_accept_confidence: sent to a person (lookup_review)."""
    auth_failed: bool = False
    """EQC refused the token: the worker released what it held and stopped."""

    def add(self, other: QueueRunStats) -> None:
        for field in ("claimed", "found", "not_found", "retried", "failed", "released", "lost", "review"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.auth_failed = self.auth_failed or other.auth_failed


class ReplicaStats(BaseModel):
    """Where batch resolution's records were answered, with standbys configured (replicas.py)."""

    batches: int = 0
    batches_on_replica: int = 0
    """Batches whose records were first answered on a standby (preview_company_ids) that had caught up."""
    batches_replica_behind: int = 0
    """Batches sent to the primary alone because no standby replayed the primary's position within the wait."""
    batches_no_replica: int = 0
    """Batches sent to the primary alone because no standby was usable (down, unreachable, not a standby, failed)."""
    records: int = 0
    records_from_replica: int = 0
    """Records whose answer was final on the standby and kept."""
    records_to_primary: int = 0
    """Records resolved on the primary (resolve_company_ids, or preview_company_ids for a plan-only run)."""
    by_replica: dict[str, int] = {}
    """Batches answered on each standby, by its name (host:port/dbname)."""

    @property
    def primary_share(self) -> float:
        """The share of records that reached the primary (0.0 when nothing was resolved)."""
        return self.records_to_primary / self.records if self.records else 0.0


class ReviewCandidate(BaseModel):
    """One of EQC's candidates for a request under review, as the database scored it."""

    model_config = ConfigDict(frozen=True)

    company_id: str
    full_name: str | None = None
    unite_code: str | None = None
    eqc_type: str | None = None
    confidence: Decimal | None = None


class ReviewItem(BaseModel):
    """A row of enterprise.lookup_review: a request waiting for a person, its candidates best first."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    name: str
    normalized_name: str
    created_at: datetime
    review_since: datetime
    candidates: list[ReviewCandidate]


class ReviewDecision(BaseModel):
    """A person's decision on a request under review: accept one company (``company_id``), or reject every
    candidate (``company_id`` None)."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    company_id: str | None = None
    force: bool = False
    """Accept a company that is not one of the request's candidates."""


class CompanyProfile(BaseModel):
    """A row of enterprise.company_profiles(): what EQC said about a company."""

    model_config = ConfigDict(frozen=True)

    company_id: str
    full_name: str
    unite_code: str | None = None
    last_seen_at: datetime


class MappingMatch(BaseModel):
    """A row of ``enterprise.search_mappings``: a curated or learned mapping, read-only."""

    model_config = ConfigDict(frozen=True)

    alias_name: str
    match_type: str
    canonical_id: str
    source: str
    confidence: Decimal | None = None
    eqc_type: str | None = None
    lookup_key: str | None = None
    updated_at: datetime


class FailedLookup(BaseModel):
    """A row of ``enterprise.failed_lookups``: a request that gave up, with its last error."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    name: str
    attempts: int
    last_error: str | None = None
    last_failed_at: datetime | None = None
