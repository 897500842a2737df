"""Validates mfaguard's OCSF output with py-ocsf-models, an independent
implementation of the OCSF schema (pydantic models of OCSF 1.5.0).

Reads a JSON array of events on standard input. Each event must validate as
a Compliance Finding, its `cloud` object as Cloud, and every field mfaguard
writes must be one the models know (a misspelt field would be silently
ignored by the models otherwise). Prints one line per problem and exits 1
if there is any."""

import json
import sys

from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.cloud import Cloud

# Fields of the OCSF 1.5.0 schema that the models do not declare: the
# compliance object's `status` string (its caption of `status_id`) and the
# cloud profile's `cloud` object, validated on its own below.
NOT_IN_MODELS = {("compliance", "status"), ("cloud",)}


def unknown_fields(sent, kept, path=()):
    """Keys of `sent` that the validated model dropped."""
    problems = []
    if isinstance(sent, dict):
        for key, value in sent.items():
            here = path + (key,)
            if here in NOT_IN_MODELS:
                continue
            if not isinstance(kept, dict) or key not in kept:
                problems.append(".".join(here))
            else:
                problems += unknown_fields(value, kept[key], here)
    elif isinstance(sent, list) and isinstance(kept, list):
        for item, kept_item in zip(sent, kept):
            problems += unknown_fields(item, kept_item, path)
    return problems


def main():
    events = json.load(sys.stdin)
    problems = []
    if not isinstance(events, list) or not events:
        problems.append("expected a non-empty JSON array of events")
        events = []
    for index, event in enumerate(events):
        where = f"event {index} ({event.get('finding_info', {}).get('uid')})"
        try:
            model = ComplianceFinding.model_validate(event)
            Cloud.model_validate(event["cloud"])
        except Exception as err:  # pydantic's ValidationError, or a missing key
            problems.append(f"{where}: {err}")
            continue
        kept = model.model_dump(mode="json", exclude_none=True)
        for field in unknown_fields(event, kept):
            problems.append(f"{where}: {field} is not an OCSF {OCSF_VERSION} field")
        if event["metadata"]["version"] != OCSF_VERSION:
            problems.append(f"{where}: metadata.version {event['metadata']['version']} is not {OCSF_VERSION}")
        if event["class_uid"] != 2003 or event["type_uid"] != 200301:
            problems.append(f"{where}: not a Compliance Finding: Create")
    for problem in problems:
        print(problem)
    print(f"{len(events)} events checked against py-ocsf-models (OCSF {OCSF_VERSION})", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
