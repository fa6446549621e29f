"""columns.to_result builds CompanyIdResult without pydantic's model_construct (issue 12: it was a third of the
client's time in a batch call). These tests hold it to what model_construct and validation build, so a pydantic
release that changed what a model instance holds fails here rather than in a user's pipeline."""

from __future__ import annotations

import copy
import pickle

import pytest
from company_enrichment.columns import RESULT_FIELDS, ResultRow, to_result
from company_enrichment.models import CompanyIdResult, ResolutionStatus
from pydantic import ValidationError

ROWS: list[ResultRow] = [
    ("600000001", "success_internal", "plan", "plan", None, None),
    ("600000002", "success_external", "EQC", "name", None, None),
    (None, "pending_lookup", "queued", None, None, 123456789012),
    ("TEMP_000042", "temp_assigned", "generated", None, "TEMP_000042", None),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[1] for r in ROWS])
def test_to_result_equals_what_pydantic_builds(row: ResultRow) -> None:
    fast = to_result(row)
    # what to_result built until 0.5.1
    constructed = CompanyIdResult.model_construct(
        company_id=row[0],
        status=ResolutionStatus(row[1]),
        source=row[2],
        match_type=row[3],
        temp_id=row[4],
        request_id=row[5],
    )
    validated = CompanyIdResult.model_validate(dict(zip(RESULT_FIELDS, row, strict=True)))
    for other in (constructed, validated):
        assert fast == other
        assert fast.model_dump() == other.model_dump()
        assert fast.model_dump_json() == other.model_dump_json()
        assert fast.model_fields_set == other.model_fields_set == set(RESULT_FIELDS)
        assert fast.__pydantic_extra__ == other.__pydantic_extra__
        assert fast.__pydantic_private__ == other.__pydantic_private__
        assert hash(fast) == hash(other)
        assert repr(fast) == repr(other)
    assert type(fast.status) is ResolutionStatus and fast.status.value == row[1]
    assert pickle.loads(pickle.dumps(fast)) == fast
    assert copy.deepcopy(fast) == fast
    changed = fast.model_copy(update={"source": "changed"})
    assert changed.source == "changed" and fast.source == row[2]
    with pytest.raises(ValidationError):
        fast.company_id = "frozen"  # type: ignore[misc]


def test_an_unknown_status_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="not_a_status"):
        to_result(("600000001", "not_a_status", None, None, None, None))
