import json

import app


def test_partial_batch_failure() -> None:
    event = {
        "Records": [
            {"messageId": "1", "body": json.dumps({"id": "o1", "quantity": 2})},
            {"messageId": "2", "body": "not json"},
            {"messageId": "3", "body": json.dumps({"id": "o3", "quantity": 0})},
        ]
    }
    assert app.handler(event, None) == {
        "batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]
    }
