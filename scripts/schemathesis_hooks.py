"""Schemathesis hooks for scripts/schemathesis.sh: each adjusts generated data where a rule of
the API cannot be written in JSON Schema, so that the checks still test everything else.

1. An ABHA number's last digit is a Luhn check digit over the other 13. The OpenAPI document states
the number's shape (14 digits, or `XX-XXXX-XXXX-XXXX`) but JSON Schema cannot state a check
digit, so almost every generated number is schema-valid and still refused (422
`invalid_abha_number`), and `positive_data_acceptance` would fail on that alone. Rather than
turn the check off for these operations, each well-shaped generated number gets its check
digit completed before it is sent: everything else in the request is tested as generated, and a
number of the wrong shape (negative data) is left as it is.

2. `GET /v1/audit/consistency` needs `first <= second`: a relation between two parameters,
which JSON Schema cannot state. Two well-formed sizes in the wrong order are swapped.

3. JSON Schema counts `2814.0` as an integer (a number with a zero fraction); serde's integer
types read only `2814`, and no JSON encoder a client would use (JavaScript's included) writes
an integer with a fraction. Generated integral floats are sent as the integers they are.

4. A tus `PATCH` carries `application/offset+octet-stream` (raw bytes at an offset), which
Schemathesis does not know how to generate: it is given short byte strings, as for
`application/octet-stream`.
"""

import re

import schemathesis
from hypothesis import strategies as st

_SHAPE = re.compile(r"([0-9]{14}|[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4})\Z")

# The request fields that carry an ABHA number, by (method, path).
_ABHA_FIELDS = {
    ("POST", "/v1/auth/register"): "abha_number",
    ("POST", "/v1/dependents"): "abha_number",
    ("POST", "/v1/consents"): "patient_abha_number",
}


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _with_check_digit(number: str) -> str:
    digits = number.replace("-", "")
    return number[:-1] + _luhn_digit(digits[:13])


def _integral(container):
    """Replaces, in place and recursively, every float with no fraction by its integer."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    for key, value in list(items):
        if isinstance(value, float) and value.is_integer():
            container[key] = int(value)
        elif isinstance(value, (dict, list)):
            _integral(value)


def _size(value):
    """A well-formed tree size (an integer, or its decimal text in a query string), else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


@schemathesis.hook
def before_call(context, case, kwargs):
    method, path = case.method.upper(), case.operation.path
    for part in (case.body, case.query):
        if isinstance(part, (dict, list)):
            _integral(part)

    field = _ABHA_FIELDS.get((method, path))
    if field is not None and isinstance(case.body, dict):
        value = case.body.get(field)
        if isinstance(value, str) and _SHAPE.match(value):
            case.body[field] = _with_check_digit(value)

    if (method, path) == ("GET", "/v1/audit/consistency") and isinstance(case.query, dict):
        first, second = _size(case.query.get("first")), _size(case.query.get("second"))
        if first is not None and second is not None and first > second:
            case.query["first"], case.query["second"] = case.query["second"], case.query["first"]


# 4. tus PATCH bodies: raw bytes.
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=256))
