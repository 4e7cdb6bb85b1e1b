"""Function resource policies: AddPermission, RemovePermission, GetPolicy, and their evaluation.

A policy belongs to a function (qualifier "") or to one of its versions or aliases; it is AWS's
policy document (Version, Id "default", Statement list) whose statements AddPermission builds the
way Lambda does: Principal "*" / {"AWS": ...} / {"Service": ...}, Condition entries for
SourceArn, SourceAccount, PrincipalOrgID, EventSourceToken, FunctionUrlAuthType and
InvokedViaFunctionUrl. Function URLs ask ``allows_url`` whether a caller may invoke.

Policies live in memory (loaded once) and are written through to the store; a policy's
RevisionId changes on every write. Deleting a function, version or alias drops its policies.
Contract: event-loop thread only; ``load()`` once at start.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
import uuid
from typing import Any

from ovis.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from ovis.invoke.qualifiers import is_alias
from ovis.models.function import LATEST
from ovis.services.lambda_.commands import AddPermission
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.layers import PolicyLengthExceededException
from ovis.services.lambda_.repositories import PolicyRepository

MAX_POLICY_BYTES = 20 * 1024
INVOKE_URL_ACTION = "lambda:InvokeFunctionUrl"
INVOKE_ACTION = "lambda:InvokeFunction"
_ACCOUNT = re.compile(r"\d{12}")
_SERVICE = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?|[a-z0-9.-]+\.amazon\.com")


class PolicyService:
    def __init__(self, functions: FunctionService, store: PolicyRepository) -> None:
        self.functions = functions
        self.registry = functions.registry
        self.settings = functions.settings
        self.store = store
        # (function, qualifier or "") -> (statements in order, revision id)
        self._policies: dict[tuple[str, str], tuple[list[dict[str, Any]], str]] = {}
        self._lock = asyncio.Lock()  # read-modify-writes, one at a time
        self._cleanups: set[asyncio.Task[None]] = set()
        self.registry.on_change(self._on_function_change)

    def load(self) -> None:
        self._policies = {
            (f, q): (statements, rev) for f, q, statements, rev in self.store.function_policies()
        }

    # ---- targets -------------------------------------------------------------------------

    def _target(self, text: str, qualifier: str | None) -> tuple[str, str, str]:
        """(function, qualifier key, the revision id a RevisionId precondition compares)."""
        name, q = self.functions.ref(text, qualifier)
        latest = self.registry.get(name, LATEST)
        if latest is None:
            raise ResourceNotFoundException(f"Function not found: {self.functions.arn(name, q)}")
        if q is None or q == LATEST:
            return name, q or "", latest.revision_id
        qualifiers = self.functions.qualifiers
        if not is_alias(q):
            return name, q, qualifiers.config(name, q).revision_id
        return name, q, qualifiers.alias(name, q).revision_id

    def _check_revision(self, key: tuple[str, str], base: str, revision_id: str | None) -> None:
        if revision_id is None:
            return
        current = self._policies.get(key)
        if revision_id != (current[1] if current else base):
            raise PreconditionFailedException(
                "The RevisionId provided does not match the latest RevisionId for the Lambda "
                "function or alias. Call the GetFunction or the GetAlias API operation to "
                "retrieve the latest RevisionId for your resource."
            )

    # ---- use cases -----------------------------------------------------------------------

    async def add_permission(self, cmd: AddPermission) -> tuple[dict[str, Any], str]:
        """(the new statement, the policy's new revision id)."""
        async with self._lock:
            name, q, base = self._target(cmd.function_name, cmd.qualifier)
            if q == LATEST:
                raise InvalidParameterValueException(
                    "We currently do not support adding policies for $LATEST."
                )
            key = (name, q)
            self._check_revision(key, base, cmd.revision_id)
            statements, _rev = self._policies.get(key, ([], ""))
            sid = cmd.statement_id
            if any(s.get("Sid") == sid for s in statements):
                raise ResourceConflictException(
                    f"The statement id ({sid}) provided already exists. Please provide a new "
                    "statement id, or remove the existing statement."
                )
            statement = self._statement(name, q, cmd)
            statements = [*statements, statement]
            if len(json.dumps(document(statements))) > MAX_POLICY_BYTES:
                raise PolicyLengthExceededException(
                    "The final policy size is bigger than the limit."
                )
            revision = str(uuid.uuid4())
            await asyncio.to_thread(self.store.put_function_policy, name, q, statements, revision)
            self._policies[key] = (statements, revision)
            return statement, revision

    async def remove_permission(
        self, text: str, statement_id: str, qualifier: str | None, revision_id: str | None
    ) -> None:
        async with self._lock:
            name, q, base = self._target(text, qualifier)
            key = (name, q)
            self._check_revision(key, base, revision_id)
            statements, _rev = self._policies.get(key, ([], ""))
            kept = [s for s in statements if s.get("Sid") != statement_id]
            if len(kept) == len(statements):
                raise ResourceNotFoundException(
                    f"Statement {statement_id} is not found in resource policy."
                )
            revision = str(uuid.uuid4())
            await asyncio.to_thread(self.store.put_function_policy, name, q, kept, revision)
            if kept:
                self._policies[key] = (kept, revision)
            else:
                self._policies.pop(key, None)

    def get_policy(self, text: str, qualifier: str | None) -> tuple[dict[str, Any], str]:
        """(the policy document, its revision id)."""
        name, q, _base = self._target(text, qualifier)
        current = self._policies.get((name, q))
        if current is None:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return document(current[0]), current[1]

    def _statement(self, name: str, qualifier: str, cmd: AddPermission) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "Sid": cmd.statement_id,
            "Effect": "Allow",
            "Principal": _principal(cmd.principal),
            "Action": cmd.action,
            "Resource": self.functions.arn(name, qualifier or None),
        }
        condition: dict[str, dict[str, str]] = {}
        equals = {
            "AWS:SourceAccount": cmd.source_account,
            "aws:PrincipalOrgID": cmd.principal_org_id,
            "lambda:EventSourceToken": cmd.event_source_token,
            "lambda:FunctionUrlAuthType": cmd.function_url_auth_type,
        }
        for k, v in equals.items():
            if v is not None:
                condition.setdefault("StringEquals", {})[k] = v
        if cmd.source_arn:
            condition["ArnLike"] = {"AWS:SourceArn": cmd.source_arn}
        if cmd.invoked_via_function_url:
            condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
        if condition:
            statement["Condition"] = condition
        return statement

    # ---- evaluation ----------------------------------------------------------------------

    def allows_url(
        self, name: str, qualifier: str, auth_type: str, caller_account: str | None
    ) -> bool:
        """Whether the resource policy of (name, qualifier) lets a caller invoke its function
        URL: ``caller_account`` None is an anonymous caller (AuthType NONE)."""
        statements = self._policies.get((name, qualifier), ([], ""))[0]
        context = {
            "lambda:functionurlauthtype": auth_type,
            "lambda:invokedviafunctionurl": "true",
        }
        return any(
            s.get("Effect") == "Allow"
            and _action_matches(s.get("Action"), INVOKE_URL_ACTION)
            and _principal_matches(s.get("Principal"), caller_account)
            and _conditions_hold(s.get("Condition") or {}, context)
            for s in statements
        )

    def allows_service(
        self, name: str, qualifier: str, service: str, source_arn: str, source_account: str
    ) -> bool:
        """Whether the resource policy of (name, qualifier; "" for the unqualified function)
        lets AWS service principal ``service`` (``sns.amazonaws.com``...) invoke it on behalf
        of ``source_arn`` in ``source_account``: the check SNS, EventBridge and S3 make."""
        statements = self._policies.get((name, qualifier), ([], ""))[0]
        context = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
        return any(
            s.get("Effect") == "Allow"
            and _action_matches(s.get("Action"), INVOKE_ACTION)
            and _service_matches(s.get("Principal"), service)
            and _conditions_hold(s.get("Condition") or {}, context)
            for s in statements
        )

    # ---- lifecycle -----------------------------------------------------------------------

    def _on_function_change(self, name: str) -> None:
        """Drop the policies of a deleted function, version or alias."""
        if self.registry.get(name, LATEST) is None:
            for key in [k for k in self._policies if k[0] == name]:
                del self._policies[key]  # the store dropped them with the function
            return
        stale = [
            k
            for k in self._policies
            if k[0] == name
            and k[1]
            and self.registry.get(name, k[1]) is None
            and self.registry.alias(name, k[1]) is None
        ]
        for key in stale:
            del self._policies[key]
            task = asyncio.get_running_loop().create_task(
                asyncio.to_thread(self.store.put_function_policy, key[0], key[1], [], "")
            )
            self._cleanups.add(task)
            task.add_done_callback(self._cleanups.discard)


def document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


def _principal(principal: str) -> str | dict[str, str]:
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    if _SERVICE.fullmatch(principal):
        return {"Service": principal}
    raise InvalidParameterValueException(
        "The provided principal was invalid. Please check the principal and try again."
    )


def _action_matches(action: Any, wanted: str) -> bool:
    actions = action if isinstance(action, list) else [action]
    w = wanted.lower()
    return any(isinstance(a, str) and a.lower() in (w, "lambda:*", "*") for a in actions)


def _principal_matches(principal: Any, caller_account: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    values = principal.get("AWS")
    values = values if isinstance(values, list) else [values]
    if "*" in values:
        return True
    if caller_account is None:
        return False
    return caller_account in values or f"arn:aws:iam::{caller_account}:root" in values


def _service_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    values = principal.get("Service")
    return service in (values if isinstance(values, list) else [values])


def _arn_like(actual: str, pattern: str) -> bool:
    """IAM's ArnLike: ``*`` and ``?`` match within the whole ARN, case-sensitively."""
    return fnmatch.fnmatchcase(actual, pattern.replace("[", "[[]"))


def _conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """Every condition must hold; a key the request does not carry (SourceArn and the like
    for a function URL call) fails, as in IAM."""
    for operator, entries in condition.items():
        if not isinstance(entries, dict):
            return False
        for key, expected in entries.items():
            actual = context.get(key.lower())
            wanted = expected if isinstance(expected, list) else [expected]
            if actual is None:
                return False
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in wanted
            elif operator == "ArnLike":
                ok = any(isinstance(w, str) and _arn_like(actual, w) for w in wanted)
            elif operator in ("StringEqualsIgnoreCase", "Bool"):
                ok = actual.lower() in [str(w).lower() for w in wanted]
            else:
                ok = False
            if not ok:
                return False
    return True
