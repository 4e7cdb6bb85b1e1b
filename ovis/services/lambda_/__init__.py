"""AWS Lambda: functions, versions and aliases, layers, concurrency, invocation, URLs."""
