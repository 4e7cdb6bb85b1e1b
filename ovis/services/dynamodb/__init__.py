"""DynamoDB-compatible tables and items (botocore ``dynamodb``, JSON 1.0, SigV4 ``dynamodb``)."""
