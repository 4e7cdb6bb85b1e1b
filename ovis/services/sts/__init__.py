"""An STS-compatible service: GetCallerIdentity, AssumeRole, GetSessionToken."""
