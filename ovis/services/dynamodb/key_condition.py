"""Key condition expressions (Query's KeyConditionExpression), on the condition grammar:

    key_condition := hash_key '=' :v [ AND range_condition ]
    range_condition := range_key comparator :v | range_key BETWEEN :a AND :b
                     | begins_with(range_key, :v)           (comparator: = < <= > >=)

The result is the hash key's value and the range key's bounds, so the store's range scan
answers the Query directly (begins_with is a [prefix, prefix + 0xFF...) range over the
sortable encoding; it is then re-checked exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

from ovis.services.dynamodb.condition import Cond, parse_condition
from ovis.services.dynamodb.errors import ValidationException
from ovis.services.dynamodb.expressions import Operand, Placeholders
from ovis.services.dynamodb.values import Value, type_of

KIND = "KeyConditionExpression"


@dataclass(frozen=True)
class KeyCondition:
    hash_value: Value
    range_op: str | None = None  # =, <, <=, >, >=, BETWEEN, begins_with
    range_values: tuple[Value, ...] = ()


def _flatten(c: Cond) -> list[Cond]:
    if c.op == "AND":
        return _flatten(c.children[0]) + _flatten(c.children[1])
    return [c]


def _unsupported() -> ValidationException:
    return ValidationException("Query key condition not supported")


def _name(o: Operand) -> str:
    if o.kind != "path" or len(o.path) != 1:
        raise _unsupported()
    return str(o.path[0])


def _values(ops: tuple[Operand, ...]) -> tuple[Value, ...]:
    out = []
    for o in ops:
        if o.kind != "value" or o.value is None:
            raise _unsupported()
        out.append(o.value)
    return tuple(out)


def parse_key_condition(
    text: str, ph: Placeholders, hash_key: tuple[str, str], range_key: tuple[str, str] | None
) -> KeyCondition:
    """``hash_key``/``range_key``: (attribute name, type) of the queried table or index."""
    parts = _flatten(parse_condition(text, ph, KIND))
    if len(parts) > 2:
        raise ValidationException("Conditions can be of length 1 or 2 only")
    hash_value: Value | None = None
    range_op: str | None = None
    range_values: tuple[Value, ...] = ()
    for c in parts:
        if c.op in ("OR", "NOT", "IN", "<>", "attribute_exists", "attribute_not_exists",
                    "contains", "attribute_type"):  # fmt: skip
            raise ValidationException(f"Invalid operator used in KeyConditionExpression: {c.op}")
        name = _name(c.operands[0])
        values = _values(c.operands[1:])
        if name == hash_key[0] and c.op == "=" and hash_value is None:
            hash_value = values[0]
            want = hash_key[1]
        elif range_key is not None and name == range_key[0] and range_op is None:
            range_op, range_values = c.op, values
            want = range_key[1]
            if c.op == "begins_with" and want == "N":
                raise ValidationException(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or "
                    "function; operator or function: begins_with, operand type: N"
                )
        elif name == hash_key[0]:
            raise _unsupported()
        else:
            raise ValidationException(
                f"Query condition missed key schema element: {hash_key[0]}"
                if hash_value is None
                and name != hash_key[0]
                and (range_key is None or name != range_key[0])
                else "Query key condition not supported"
            )
        for v in values:
            if type_of(v) != want:
                raise ValidationException(
                    "One or more parameter values were invalid: Condition parameter type does "
                    "not match schema type"
                )
    if hash_value is None:
        raise ValidationException(f"Query condition missed key schema element: {hash_key[0]}")
    return KeyCondition(hash_value, range_op, range_values)
