"""The expression parsers against the examples of AWS's DynamoDB developer guide
(Condition expressions, Update expressions, Projection expressions, Key condition
expressions), and the value rules they rely on (numbers, sortable key encoding)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from ovis.services.dynamodb.condition import evaluate, parse_condition
from ovis.services.dynamodb.errors import ValidationException
from ovis.services.dynamodb.expressions import Placeholders
from ovis.services.dynamodb.key_condition import parse_key_condition
from ovis.services.dynamodb.projection import parse_projection, project
from ovis.services.dynamodb.update import apply, parse_update
from ovis.services.dynamodb.values import check, key_bytes

# The guide's ProductCatalog item 123.
PRODUCT: dict[str, Any] = {
    "Id": {"N": "123"},
    "Title": {"S": "Bicycle 123"},
    "Description": {"S": "123 description"},
    "BicycleType": {"S": "Hybrid"},
    "Brand": {"S": "Brand-Company C"},
    "Price": {"N": "500"},
    "Color": {"SS": ["Red", "Black"]},
    "ProductCategory": {"S": "Bicycle"},
    "InStock": {"BOOL": True},
    "QuantityOnHand": {"NULL": True},
    "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
    "Pictures": {
        "M": {
            "FrontView": {"S": "http://example.com/products/123_front.jpg"},
            "RearView": {"S": "http://example.com/products/123_rear.jpg"},
            "SideView": {"S": "http://example.com/products/123_left_side.jpg"},
        }
    },
    "ProductReviews": {
        "M": {
            "FiveStar": {"L": [{"S": "Excellent! Can't recommend it highly enough! Buy it!"}]},
            "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]},
        }
    },
    "Comment": {"S": "This product sells out quickly during the summer"},
    "Safety.Warning": {"S": "Always wear a helmet"},
}


def ph(values: dict[str, Any] | None = None, names: dict[str, str] | None = None) -> Placeholders:
    return Placeholders.of(
        {"ExpressionAttributeValues": values or {}, "ExpressionAttributeNames": names or {}}
    )


@pytest.mark.parametrize(
    ("expr", "values", "names", "want"),
    [
        ("attribute_not_exists(Price)", {}, {}, False),
        ("attribute_exists(#pr.FiveStar)", {}, {"#pr": "ProductReviews"}, True),
        ("attribute_exists(#pr.ThreeStar)", {}, {"#pr": "ProductReviews"}, False),
        ("attribute_type(ProductReviews.FiveStar, :v_sub)", {":v_sub": {"S": "L"}}, {}, True),
        ("begins_with(Pictures.FrontView, :v_sub)", {":v_sub": {"S": "http://"}}, {}, True),
        ("contains(Color, :v_sub)", {":v_sub": {"S": "Red"}}, {}, True),
        ("size(Brand) <= :v_sub", {":v_sub": {"N": "20"}}, {}, True),
        ("size(Color) < :v_sub", {":v_sub": {"N": "2"}}, {}, False),
        ("Price BETWEEN :lo AND :hi", {":lo": {"N": "500"}, ":hi": {"N": "600"}}, {}, True),
        (
            "ProductCategory IN (:cat1, :cat2)",
            {":cat1": {"S": "Sporting Goods"}, ":cat2": {"S": "Bicycle"}},
            {},
            True,
        ),
        (
            "(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)",
            {
                ":cat1": {"S": "Sporting Goods"},
                ":cat2": {"S": "Gardening Supplies"},
                ":lo": {"N": "1"},
                ":hi": {"N": "1000"},
            },
            {},
            False,
        ),
        ("#sw = :w", {":w": {"S": "Always wear a helmet"}}, {"#sw": "Safety.Warning"}, True),
        ("RelatedItems[1] = :v", {":v": {"N": "472.0"}}, {}, True),
        ("NOT InStock = :f OR Price > :p", {":f": {"BOOL": True}, ":p": {"N": "1E3"}}, {}, False),
        ("a = :v OR Price <> :v AND Id = :id", {":v": {"N": "1"}, ":id": {"N": "123"}}, {}, True),
        ("Missing <> :v", {":v": {"N": "1"}}, {}, True),
        ("Missing < :v", {":v": {"N": "1"}}, {}, False),
    ],
)
def test_condition_examples(expr: str, values: Any, names: Any, want: bool) -> None:
    p = ph(values, names)
    assert evaluate(parse_condition(expr, p), PRODUCT) is want
    p.check_unused()


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("Price >", 'Syntax error; token: "<EOF>"'),
        ("Price = :missing", "attribute value: :missing"),
        ("#nope = :v", "attribute name: #nope"),
        ("frobnicate(Price)", "Invalid function name; function: frobnicate"),
        ("attribute_exists(:v)", "requires a document path"),
        ("Price = :v AND", 'Syntax error; token: "<EOF>"'),
        ("Price = = :v", 'Syntax error; token: "="'),
    ],
)
def test_condition_errors_use_aws_wording(expr: str, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        parse_condition(expr, ph({":v": {"N": "1"}}))
    assert message in e.value.message
    assert e.value.message.startswith(("Invalid ConditionExpression", "An expression"))


def test_unused_placeholders_are_rejected() -> None:
    p = ph({":a": {"N": "1"}, ":b": {"N": "2"}})
    parse_condition("Price = :a", p)
    with pytest.raises(ValidationException) as e:
        p.check_unused()
    assert e.value.message == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"
    )


def test_update_examples_from_the_guide() -> None:
    p = ph(
        {
            ":ri": {"L": [{"S": "Hammer"}]},
            ":pr": {"N": "100"},
            ":p": {"N": "15"},
            ":vals": {"L": [{"S": "Screwdriver"}, {"S": "Hacksaw"}]},
            ":c": {"SS": ["Orange", "Purple"]},
            ":d": {"SS": ["Red"]},
            ":q": {"N": "5"},
        },
        {"#pr": "ProductReviews", "#3star": "ThreeStar"},
    )
    actions = parse_update(
        "SET ProductCategory = :p, Price = Price - :p, #pr.#3star = :ri, "
        "RelatedItems[5] = :pr, Tools = list_append(if_not_exists(Tools, :ri), :vals), "
        "Stock = if_not_exists(Stock, :pr) "
        "REMOVE Brand, RelatedItems[0], InStock "
        "ADD Color :c, QuantityOnHandCount :q "
        "DELETE Color2 :d",
        p,
    )
    p.check_unused()
    new = apply(actions, PRODUCT)
    assert new["Price"] == {"N": "485"} and new["ProductCategory"] == {"N": "15"}
    assert new["ProductReviews"]["M"]["ThreeStar"] == {"L": [{"S": "Hammer"}]}
    # index 5 is past the end: appended; then index 0 removed
    assert new["RelatedItems"] == {"L": [{"N": "472"}, {"N": "649"}, {"N": "100"}]}
    assert new["Tools"]["L"] == [{"S": "Hammer"}, {"S": "Screwdriver"}, {"S": "Hacksaw"}]
    assert new["Stock"] == {"N": "100"}
    assert "Brand" not in new and "InStock" not in new
    assert sorted(new["Color"]["SS"]) == ["Black", "Orange", "Purple", "Red"]
    assert new["QuantityOnHandCount"] == {"N": "5"}
    assert "Color2" not in new
    assert PRODUCT["Price"] == {"N": "500"}  # the input is not changed


def test_delete_from_a_set_and_arithmetic_precision() -> None:
    p = ph({":d": {"SS": ["Red"]}, ":x": {"N": "0.1"}, ":y": {"N": "0.2"}})
    new = apply(parse_update("DELETE Color :d SET n = :x + :y", p), PRODUCT)
    assert new["Color"] == {"SS": ["Black"]}
    assert new["n"] == {"N": "0.3"}  # decimal, not float


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("SET a = :v SET b = :v", 'The "SET" section can only be used once'),
        ("SET a = :v, a.b = :v", "Two document paths overlap"),
        ("REMOVE", 'Syntax error; token: "<EOF>"'),
        ("ADD Title :v", None),
        ("SET Title = Title + :v", "incorrect data type"),
    ],
)
def test_update_errors(expr: str, message: str | None) -> None:
    with pytest.raises(ValidationException) as e:
        apply(parse_update(expr, ph({":v": {"N": "1"}})), PRODUCT)
    assert message is None or message in e.value.message


def test_projection_keeps_nested_paths() -> None:
    paths = parse_projection(
        "Title, RelatedItems[2], RelatedItems[0], #pr.FiveStar, Nope",
        ph(names={"#pr": "ProductReviews"}),
    )
    assert project(PRODUCT, paths) == {
        "Title": PRODUCT["Title"],
        "RelatedItems": {"L": [{"N": "341"}, {"N": "649"}]},
        "ProductReviews": {"M": {"FiveStar": PRODUCT["ProductReviews"]["M"]["FiveStar"]}},
    }


def test_key_conditions() -> None:
    vals = {":a": {"S": "Amazon DynamoDB"}, ":t": {"S": "2015"}, ":u": {"S": "2016"}}
    kc = parse_key_condition(
        "ForumName = :a AND Subject BETWEEN :t AND :u",
        ph(vals),
        ("ForumName", "S"),
        ("Subject", "S"),
    )
    assert kc.hash_value == vals[":a"] and kc.range_op == "BETWEEN"
    kc = parse_key_condition(
        "begins_with(Subject, :t) and ForumName = :a",
        ph({":a": vals[":a"], ":t": vals[":t"]}),
        ("ForumName", "S"),
        ("Subject", "S"),
    )
    assert kc.range_op == "begins_with"
    for bad, msg in [
        ("Subject = :t", "Query condition missed key schema element: ForumName"),
        ("ForumName < :a", "Query key condition not supported"),
        ("ForumName = :a OR Subject = :t", "Invalid operator used in KeyConditionExpression"),
        ("ForumName = :n", "Condition parameter type does not match schema type"),
    ]:
        with pytest.raises(ValidationException) as e:
            parse_key_condition(
                bad, ph({**vals, ":n": {"N": "1"}}), ("ForumName", "S"), ("Subject", "S")
            )
        assert msg in e.value.message


def test_numbers_follow_dynamodbs_rules() -> None:
    assert check({"N": "1.50"}) == {"N": "1.5"}
    assert check({"N": "-0.00"}) == {"N": "0"}
    assert check({"N": "1E+3"}) == {"N": "1000"}
    assert check({"N": "9" * 38}) == {"N": "9" * 38}
    for bad, msg in [
        ("1" * 39, "more than 38 significant digits"),
        ("1E126", "Number overflow"),
        ("1E-131", "Number underflow"),
        ("abc", "cannot be converted to a numeric value"),
    ]:
        with pytest.raises(ValidationException) as e:
            check({"N": bad})
        assert msg in e.value.message
    with pytest.raises(ValidationException, match="contains duplicates"):
        check({"NS": ["1", "1.0"]})


def test_key_encoding_sorts_as_numbers_and_strings() -> None:
    rng = random.Random(7)
    nums = [
        Decimal(rng.randint(-(10**6), 10**6)) / Decimal(10 ** rng.randint(0, 8)) for _ in range(500)
    ]
    nums += [Decimal(0), Decimal("1E125"), Decimal("-1E125"), Decimal("1E-130"), Decimal("-1E-130")]
    enc = sorted(nums, key=lambda d: key_bytes(check({"N": str(d)})))
    assert enc == sorted(nums)
    assert key_bytes(check({"N": "1"})) == key_bytes(check({"N": "1.000"}))
    words = ["", "a", "ab", "b", "é", "z", "zz", "\u4e2d"]
    assert sorted(words, key=lambda w: key_bytes({"S": w})) == sorted(
        words, key=lambda w: w.encode()
    )
