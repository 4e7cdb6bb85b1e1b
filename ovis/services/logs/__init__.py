"""CloudWatch Logs over the function logs Ovis keeps (``service.logs_service``)."""
