"""CloudFormation-compatible stacks: templates (JSON/YAML, the SAM transform), change sets, and
resource handlers that create each resource through its service's operations in process."""
