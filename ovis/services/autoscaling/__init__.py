"""Application Auto Scaling for provisioned concurrency (``service.autoscaling_service``)."""
