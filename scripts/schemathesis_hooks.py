"""Schemathesis hooks for scripts/schemathesis.sh.

An ABHA number's last digit is a Luhn check digit over the other 13. The OpenAPI document states
the number's shape (14 digits, or `XX-XXXX-XXXX-XXXX`) but JSON Schema cannot state a check
digit, so almost every generated number is schema-valid and still refused (422
`invalid_abha_number`), and `positive_data_acceptance` would fail on that alone. Rather than
turn the check off for these operations, each well-shaped generated number gets its check
digit completed before it is sent: everything else in the request is tested as generated, and a
number of the wrong shape (negative data) is left as it is.
"""

import re

import schemathesis

_SHAPE = re.compile(r"([0-9]{14}|[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4})\Z")

# The request fields that carry an ABHA number, by (method, path).
_ABHA_FIELDS = {
    ("POST", "/v1/auth/register"): "abha_number",
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


@schemathesis.hook
def before_call(context, case, kwargs):
    field = _ABHA_FIELDS.get((case.method.upper(), case.operation.path))
    if field is None or not isinstance(case.body, dict):
        return
    value = case.body.get(field)
    if isinstance(value, str) and _SHAPE.match(value):
        case.body[field] = _with_check_digit(value)
