"""The Lambda service package's face to the front door."""

from __future__ import annotations

from ovis.services.lambda_.operations import LambdaUseCases, lambda_operations
from ovis.services.table import ServiceTable


def lambda_service(use_cases: LambdaUseCases) -> ServiceTable:
    return ServiceTable("lambda", lambda_operations(use_cases))
