"""EventBridge Schemas (botocore ``schemas``): registries, schemas and their versions."""
