"""CloudWatch metrics and alarms (botocore service ``cloudwatch``, endpoint ``monitoring``),
answered in Smithy RPC v2 CBOR, JSON 1.0 and query."""

from ovis.services.cloudwatch.alarms import AlarmService
from ovis.services.cloudwatch.metrics import MetricService

__all__ = ["AlarmService", "MetricService"]
