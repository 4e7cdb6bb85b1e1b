"""Request authentication shared by the front door and by endpoints that authorize on their own
(function URLs with AuthType AWS_IAM): SigV4 verification."""
