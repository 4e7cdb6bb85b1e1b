"""Function logs: the batching sink the invoke path writes to, and reads for the Logs API."""
