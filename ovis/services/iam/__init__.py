"""An IAM-compatible service: roles, inline and managed policies, attachments, tags."""
