"""EventBridge Scheduler: schedule groups, schedules and the durable timer that fires them."""

from ovis.services.scheduler.service import Scheduler, scheduler_service

__all__ = ["Scheduler", "scheduler_service"]
