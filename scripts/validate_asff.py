"""Validates mfaguard's ASFF output against botocore's Security Hub service
model: each batch of at most 100 findings must be a valid
`BatchImportFindings` input (every required field, type and enumeration),
and the lengths Security Hub documents but the model does not carry are
checked here (Title 256, Description 1024, Remediation.Recommendation.Text
512, Note.Text 512, RelatedRequirements 32 items, Types 50 items), and
so are the enumerations (Compliance.Status, Severity.Label, ...).

Reads a JSON array of findings on standard input; prints one line per
problem and exits 1 if there is any."""

import json
import sys

import botocore.session
from botocore.validate import validate_parameters

LIMITS = [
    (("Title",), 256),
    (("Description",), 1024),
    (("Remediation", "Recommendation", "Text"), 512),
    (("Note", "Text"), 512),
]
LIST_LIMITS = [(("Compliance", "RelatedRequirements"), 32), (("Types",), 50)]


def get(finding, path):
    for key in path:
        if not isinstance(finding, dict) or key not in finding:
            return None
        finding = finding[key]
    return finding


def enum_problems(value, shape, path):
    """Values outside the model's enumerations (botocore's parameter
    validation does not check them)."""
    problems = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                problems += enum_problems(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems += enum_problems(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            problems += enum_problems(item, shape.value, f"{path}.{key}")
    elif getattr(shape, "enum", None) and value not in shape.enum:
        problems.append(f"{path}: {value!r} is not one of {', '.join(shape.enum)}")
    return problems


def main():
    findings = json.load(sys.stdin)
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    problems = []
    if not isinstance(findings, list) or not findings:
        problems.append("expected a non-empty JSON array of findings")
        findings = []
    for start in range(0, len(findings), 100):
        try:
            validate_parameters({"Findings": findings[start : start + 100]}, shape)
        except Exception as err:  # botocore's ParamValidationError
            problems.append(f"findings {start}..: {err}")
    finding_shape = shape.members["Findings"].member
    for finding in findings:
        where = finding.get("Id")
        problems += [f"{where}: {p}" for p in enum_problems(finding, finding_shape, "")]
        for path, limit in LIMITS:
            value = get(finding, path)
            if value is not None and len(value) > limit:
                problems.append(f"{where}: {'.'.join(path)} has {len(value)} characters, over {limit}")
        for path, limit in LIST_LIMITS:
            value = get(finding, path)
            if value is not None and len(value) > limit:
                problems.append(f"{where}: {'.'.join(path)} has {len(value)} items, over {limit}")
    for problem in problems:
        print(problem)
    print(f"{len(findings)} findings checked against botocore's Security Hub model", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
