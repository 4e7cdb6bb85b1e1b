"""The STS operations (query protocol, XML replies). The codec validates members against the
model (RoleSessionName's pattern and length, DurationSeconds' range, ...) before a handler
runs; operations not listed answer InvalidAction."""

from __future__ import annotations

from typing import Any

from ovis.models.iam import TemporaryCredentials
from ovis.services.context import Handler, RequestContext
from ovis.services.sts.commands import AssumeRole
from ovis.services.sts.sessions import StsService


def credentials_to_api(c: TemporaryCredentials) -> dict[str, Any]:
    return {
        "AccessKeyId": c.access_key,
        "SecretAccessKey": c.secret_key,
        "SessionToken": c.session_token,
        "Expiration": float(int(c.expires_s)),
    }


class StsApi:
    def __init__(self, sts: StsService) -> None:
        self.sts = sts
        self.handlers: dict[str, Handler] = {
            "GetCallerIdentity": self.get_caller_identity,
            "AssumeRole": self.assume_role,
            "GetSessionToken": self.get_session_token,
        }

    async def get_caller_identity(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        who = self.sts.caller_identity(ctx.access_key)
        return {"UserId": who.user_id, "Account": who.account, "Arn": who.arn}

    async def assume_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = AssumeRole(
            role_arn=p["RoleArn"],
            session_name=p["RoleSessionName"],
            duration_s=p.get("DurationSeconds") or 3600,
            policy=p.get("Policy"),
            policy_arns=tuple(a["arn"] for a in p.get("PolicyArns", ()) if "arn" in a),
            tags=tuple((t["Key"], t["Value"]) for t in p.get("Tags", ())),
            source_identity=p.get("SourceIdentity"),
        )
        creds = await self.sts.assume_role(cmd, ctx.access_key)
        out: dict[str, Any] = {
            "Credentials": credentials_to_api(creds),
            "AssumedRoleUser": {
                "AssumedRoleId": creds.principal.user_id,
                "Arn": creds.principal.arn,
            },
        }
        if cmd.policy is not None or cmd.policy_arns:
            out["PackedPolicySize"] = 6  # percent of the packed limit, as AWS reports it
        if cmd.source_identity:
            out["SourceIdentity"] = cmd.source_identity
        return out

    async def get_session_token(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        creds = await self.sts.get_session_token(p.get("DurationSeconds"), ctx.access_key)
        return {"Credentials": credentials_to_api(creds)}
