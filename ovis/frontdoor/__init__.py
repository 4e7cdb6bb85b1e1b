"""HTTP front door: routing, request parsing, authentication and AWS-shaped responses."""
