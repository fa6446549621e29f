#!/usr/bin/env python3
"""make demo's scripted reviewer: fill in the decision column of a `company-enrichment review list --csv` file.

A person would check each candidate; this script knows the answers instead: a candidate is right when the name under
review is the company's full name or one of its aliases in examples/eqc_fixtures.json, or when
examples/review_answers.json says so. Per request it accepts the best right candidate, or rejects the request when
no candidate is right. Standard library only.

    scripts/demo_reviewer.py REVIEW.csv DECIDED.csv
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def key(name: str) -> str:
    """Compare names as the EQC stand-in does: NFKC, no whitespace, lower case."""
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


def main(source: Path, target: Path) -> int:
    fixtures = json.loads((EXAMPLES / "eqc_fixtures.json").read_text(encoding="utf-8"))
    answers = json.loads((EXAMPLES / "review_answers.json").read_text(encoding="utf-8"))
    names_of = {
        str(c["companyId"]): {key(n) for n in [c["companyFullName"], *c.get("aliases", [])]}
        for c in fixtures["companies"]
    }
    right = {(key(a["name"]), a["company_id"]) for a in answers["right"]}
    wrong = {(key(a["name"]), a["company_id"]) for a in answers["wrong"]}

    with source.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    by_request: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_request[row["request_id"]].append(row)

    accepted = rejected = known_wrong = 0
    for candidates in by_request.values():
        ok = [
            r
            for r in sorted(candidates, key=lambda r: int(r["rank"]))
            if (key(r["name"]), r["company_id"]) in right or key(r["name"]) in names_of.get(r["company_id"], set())
        ]
        known_wrong += sum((key(r["name"]), r["company_id"]) in wrong for r in candidates)
        if ok:
            ok[0]["decision"] = "accept"
            accepted += 1
        else:
            for r in candidates:
                r["decision"] = "reject"
            rejected += 1

    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"scripted reviewer: {accepted} request(s) accepted, {rejected} rejected "
        f"({known_wrong} candidate(s) known to be wrong among them); decisions in {target}"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
