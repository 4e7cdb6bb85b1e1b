"""The CloudFormation use cases: stacks, change sets, templates, exports.

Contract:
- A request that is refused (bad template, unknown stack, a stack busy with another
  operation, missing capabilities, an update without changes) raises the service's error and
  changes nothing. One that is accepted persists the stack's new status and its event before
  it answers, and queues the operation (``Operations``), which runs it to a resting status
  (engine.py); a crash in between is resumed from what was persisted.
- One operation per stack at a time: a stack whose status is ``*_IN_PROGRESS`` refuses
  updates and change-set executions; a DeleteStack meanwhile runs once the operation rests.
- Stacks are addressed by name (live stacks) or by stack id (deleted stacks too, as AWS).
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from ovis.errors import ApiError, ValidationError
from ovis.models.stack import ChangeSet, Previous, Stack, StackEvent
from ovis.services.cloudformation import errors
from ovis.services.cloudformation.book import StackBook
from ovis.services.cloudformation.changesets import changes
from ovis.services.cloudformation.commands import (
    CreateChangeSet,
    CreateStack,
    StackChange,
    TemplateSource,
)
from ovis.services.cloudformation.engine import Engine, Exports
from ovis.services.cloudformation.operations_queue import Operations
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.template import (
    Context,
    ParameterDecl,
    Plan,
    declared_parameters,
    expand,
    parse_template,
    plan,
    resolve,
    resolve_parameters,
    transforms,
)

BODY_LIMIT = 51_200
URL_LIMIT = 1_000_000
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)
DELETED_KEPT_S = 90 * 24 * 3600  # ListStacks shows deleted stacks this long (as AWS)

# IAM types that need CAPABILITY_IAM, and the name property that makes them need NAMED_IAM
IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::UserToGroupAddition": None,
    "AWS::IAM::ServiceLinkedRole": None,
}


class TemplateObjects(Protocol):
    """Reads a template from the server's S3 (ObjectReads, ovis/services/s3/reader.py)."""

    async def read_object(
        self, bucket: str, key: str, version: str | None, limit: int
    ) -> bytes: ...


@dataclass(frozen=True)
class Prepared:
    """A template read, checked and processed for one stack."""

    body: str
    doc: dict[str, Any]  # as written
    processed: dict[str, Any]  # transforms expanded
    parameters: dict[str, str]
    declared: list[ParameterDecl]
    description: str | None


def required_capabilities(doc: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(capabilities the resources need, the resource types needing them)."""
    caps: set[str] = set()
    types: list[str] = []
    for r in (doc.get("Resources") or {}).values():
        if not isinstance(r, dict):
            continue
        t = r.get("Type")
        if t in IAM_TYPES:
            name_prop = IAM_TYPES[t]
            props = r.get("Properties") or {}
            named = name_prop is not None and isinstance(props, dict) and name_prop in props
            caps.add("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
            if t not in types:
                types.append(str(t))
    if "CAPABILITY_NAMED_IAM" in caps:
        caps.discard("CAPABILITY_IAM")
    return sorted(caps), types


def parse_template_url(url: str) -> tuple[str, str]:
    """(bucket, key) of an S3 URL: path style on any host, or virtual-hosted on amazonaws.com."""
    u = urlparse(url)
    host = (u.hostname or "").lower()
    path = unquote(u.path)
    if u.scheme not in ("http", "https") or not host:
        raise ValidationError("TemplateURL must be a supported URL.")
    if ".s3." in host or ".s3-" in host or host.endswith(".s3.amazonaws.com"):
        bucket = host.split(".s3", 1)[0]
        key = path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    if not bucket or not key:
        raise ValidationError("TemplateURL must be a supported URL.")
    return bucket, key


class _NoResources:
    def ref(self, logical_id: str) -> str:
        raise ValidationError(f"{logical_id} is not made yet")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        raise ValidationError(f"{logical_id} is not made yet")


def _imports(*values: Any) -> list[Any]:
    """The arguments of every Fn::ImportValue in ``values``."""
    out: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if "Fn::ImportValue" in v and len(v) == 1:
                out.append(v["Fn::ImportValue"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for v in values:
        walk(v)
    return out


class StackService:
    def __init__(
        self,
        book: StackBook,
        engine: Engine,
        operations: Operations,
        providers: Callable[[], Mapping[str, ResourceProvider]],
        objects: TemplateObjects | None,
        region: str,
        account_id: str,
    ) -> None:
        self.book = book
        self.engine = engine
        self.ops = operations
        self._providers = providers
        self.objects = objects
        self.region = region
        self.account_id = account_id
        self.exports: Exports = engine.exports

    # ---- lifecycle

    async def start(self) -> None:
        await asyncio.to_thread(self.book.load)
        now = time.time()
        for s in list(self.book.stacks.values()):
            if s.deleted_s is not None and now - s.deleted_s > DELETED_KEPT_S:
                await self.book.purge(s.stack_id)
        for s in self.book.stacks.values():
            if s.in_progress:
                self.ops.submit(s.stack_id, resumed=True)
        for cs in self.book.change_sets.values():
            if cs.status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                self.ops.submit_job(functools.partial(self._compute_change_set, cs.change_set_id))
            elif cs.execution_status == "EXECUTE_IN_PROGRESS":
                self.ops.after(
                    cs.stack_id, functools.partial(self._settle_change_set, cs.change_set_id)
                )

    # ---- addressing

    def stack(self, name_or_id: str) -> Stack:
        s = self.book.find(name_or_id)
        if s is None:
            raise errors.no_such_stack(name_or_id)
        return s

    def live_stack(self, name_or_id: str) -> Stack:
        s = self.stack(name_or_id)
        if s.status == "DELETE_COMPLETE":
            raise errors.no_such_stack(name_or_id)
        return s

    def _new_id(self, name: str) -> str:
        errors.check_new_stack_name(name)
        return f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{name}/{uuid.uuid4()}"

    # ---- templates

    async def template_body(self, src: TemplateSource, stack: Stack | None = None) -> str:
        given = sum(1 for x in (src.body is not None, src.url is not None, src.use_previous) if x)
        if given == 0:
            raise ValidationError("Either Template URL or Template Body must be specified.")
        if given > 1:
            raise ValidationError(
                "Specify exactly one of TemplateBody, TemplateURL or UsePreviousTemplate."
            )
        if src.use_previous:
            if stack is None:
                raise ValidationError(
                    "UsePreviousTemplate can only be used with an existing stack."
                )
            return stack.template_body
        if src.body is not None:
            if len(src.body.encode()) > BODY_LIMIT:
                raise ValidationError(
                    "1 validation error detected: Value at 'templateBody' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {BODY_LIMIT}"
                )
            return src.body
        assert src.url is not None
        bucket, key = parse_template_url(src.url)
        if self.objects is None:
            raise ValidationError(
                "TemplateURL must reference a valid S3 object to which you have access."
            )
        try:
            data = await self.objects.read_object(bucket, key, None, URL_LIMIT)
        except ApiError as e:
            if e.code == "EntityTooLarge":
                raise ValidationError(
                    f"Template may not exceed {URL_LIMIT} bytes in size."
                ) from None
            raise ValidationError(
                "TemplateURL must reference a valid S3 object to which you have access."
            ) from None
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise ValidationError("Template format error: the template is not UTF-8 text") from None

    def check_types(self, doc: Mapping[str, Any]) -> None:
        providers = self._providers()
        unknown = sorted(
            {
                str(r.get("Type"))
                for r in (doc.get("Resources") or {}).values()
                if isinstance(r, dict)
                and isinstance(r.get("Type"), str)
                and r["Type"] not in providers
                and not str(r["Type"]).startswith("AWS::Serverless::")
                and not str(r["Type"]).startswith("Custom::")
                and r["Type"] != "AWS::CloudFormation::CustomResource"
            }
        )
        if unknown:
            raise ValidationError(
                f"Template format error: Unsupported resource types: [{', '.join(unknown)}] "
                "(this server has no handler for them)"
            )

    async def prepare(
        self,
        body: str,
        stack_name: str,
        stack_id: str,
        change: StackChange,
        previous: Mapping[str, str],
        *,
        direct: bool,
    ) -> Prepared:
        doc = parse_template(body)
        caps = set(change.capabilities)
        if transforms(doc) and direct and "CAPABILITY_AUTO_EXPAND" not in caps:
            raise errors.insufficient_capabilities(["CAPABILITY_AUTO_EXPAND"])
        given = dict(change.parameters)
        params = resolve_parameters(doc, given, previous)
        processed = expand(
            doc,
            stack_name=stack_name,
            region=self.region,
            account_id=self.account_id,
            parameters=params,
        )
        self.check_types(processed)
        for t in (processed.get("Resources") or {}).values():
            if isinstance(t, dict) and str(t.get("Type", "")).startswith(
                ("Custom::", "AWS::CloudFormation::CustomResource")
            ):
                raise ValidationError(
                    f"Template format error: Unsupported resource types: [{t['Type']}] "
                    "(custom resources are not supported by this server)"
                )
        needed, _ = required_capabilities(processed)
        if needed == ["CAPABILITY_IAM"] and "CAPABILITY_NAMED_IAM" in caps:
            needed = []
        missing = [c for c in needed if c not in caps]
        if missing:
            raise errors.insufficient_capabilities(missing)
        declared = declared_parameters(doc)
        # the whole template must evaluate (unknown refs, conditions, imports)
        ctx = Context(
            stack_name=stack_name,
            stack_id=stack_id,
            region=self.region,
            account_id=self.account_id,
            parameters=params,
            parameter_types={p.name: p.type for p in declared},
            notification_arns=tuple(change.notification_arns or ()),
            import_value=self.exports.value,
        )
        p = plan(processed, ctx)
        self._check_imports(processed, ctx, p)
        desc = doc.get("Description")
        return Prepared(
            body,
            doc,
            processed,
            params,
            declared,
            desc if isinstance(desc, str) else None,
        )

    def _check_imports(self, doc: Mapping[str, Any], ctx: Context, p: Plan) -> None:
        """Every import whose name does not depend on a resource must exist now (AWS refuses
        the request, not the operation)."""
        for name_expr in _imports(doc.get("Resources"), doc.get("Outputs")):
            try:
                name = resolve(name_expr, ctx, p, _NoResources())
            except ApiError:
                continue  # names a resource's attribute: known only while running
            if isinstance(name, str):
                self.exports.value(name)

    # ---- stacks

    async def create_stack(self, cmd: CreateStack) -> str:
        ch = cmd.change
        existing = self.book.by_name(ch.stack_name)
        if existing is not None:
            if (
                ch.client_request_token is not None
                and existing.client_request_token == ch.client_request_token
            ):
                return existing.stack_id  # a retried request
            raise errors.already_exists(ch.stack_name)
        if cmd.on_failure is not None and cmd.disable_rollback:
            raise ValidationError(
                "You may not specify both OnFailure and DisableRollback in the same request."
            )
        stack_id = self._new_id(ch.stack_name)
        body = await self.template_body(ch.template)
        prep = await self.prepare(body, ch.stack_name, stack_id, ch, {}, direct=True)
        now = time.time()
        stack = Stack(
            stack_id,
            ch.stack_name,
            self.region,
            self.account_id,
            "CREATE_IN_PROGRESS",
            now,
            template_body=body,
            template=prep.processed,
            parameters=prep.parameters,
            no_echo=tuple(p.name for p in prep.declared if p.no_echo),
            capabilities=tuple(ch.capabilities),
            tags=tuple(ch.tags or ()),
            notification_arns=tuple(ch.notification_arns or ()),
            status_reason="User Initiated",
            description=prep.description,
            disable_rollback=cmd.disable_rollback or cmd.on_failure == "DO_NOTHING",
            on_failure=cmd.on_failure or ("DO_NOTHING" if cmd.disable_rollback else "ROLLBACK"),
            termination_protection=cmd.termination_protection,
            role_arn=ch.role_arn,
            timeout_minutes=cmd.timeout_minutes,
            client_request_token=ch.client_request_token,
        )
        await self.book.save(
            stack=stack, events=[self.book.stack_event(stack, stack.status, "User Initiated")]
        )
        self.ops.submit(stack_id)
        return stack_id

    def _updatable(self, stack: Stack) -> None:
        if stack.in_progress or stack.stack_id in self.ops.running:
            raise errors.busy(stack.stack_id, stack.status)
        if stack.status in (
            "CREATE_FAILED",
            "ROLLBACK_COMPLETE",
            "ROLLBACK_FAILED",
            "DELETE_FAILED",
            "UPDATE_ROLLBACK_FAILED",
            "REVIEW_IN_PROGRESS",
        ):
            raise errors.busy(stack.stack_id, stack.status)

    async def update_stack(self, change: StackChange) -> str:
        stack = self.live_stack(change.stack_name)
        self._updatable(stack)
        body = await self.template_body(change.template, stack)
        prep = await self.prepare(
            body, stack.name, stack.stack_id, change, stack.parameters, direct=True
        )
        tags = stack.tags if change.tags is None else tuple(change.tags)
        notes = (
            stack.notification_arns
            if change.notification_arns is None
            else tuple(change.notification_arns)
        )
        if (
            prep.processed == stack.template
            and prep.parameters == stack.parameters
            and tags == stack.tags
            and notes == stack.notification_arns
        ):
            raise errors.no_updates()
        await self._start_update(stack, prep, change, tags, notes, None)
        return stack.stack_id

    async def _start_update(
        self,
        stack: Stack,
        prep: Prepared,
        change: StackChange,
        tags: tuple[tuple[str, str], ...],
        notes: tuple[str, ...],
        change_set_id: str | None,
        no_echo: tuple[str, ...] | None = None,
    ) -> None:
        prev = Previous(
            stack.template_body,
            stack.template,
            stack.parameters,
            stack.outputs,
            stack.description,
            stack.imports,
        )
        new = replace(
            stack,
            status="UPDATE_IN_PROGRESS",
            status_reason="User Initiated",
            template_body=prep.body,
            template=prep.processed,
            parameters=prep.parameters,
            no_echo=no_echo
            if no_echo is not None
            else tuple(p.name for p in prep.declared if p.no_echo),
            capabilities=tuple(change.capabilities),
            tags=tags,
            notification_arns=notes,
            description=prep.description,
            role_arn=change.role_arn or stack.role_arn,
            client_request_token=change.client_request_token,
            updated_s=time.time(),
            previous=prev,
            change_set_id=change_set_id or stack.change_set_id,
        )
        await self.book.save(
            stack=new, events=[self.book.stack_event(new, new.status, "User Initiated")]
        )
        self.ops.submit(stack.stack_id)

    async def delete_stack(
        self, name_or_id: str, token: str | None, retain: tuple[str, ...] = ()
    ) -> None:
        stack = self.book.find(name_or_id)
        if stack is None or stack.status == "DELETE_COMPLETE":
            return  # AWS answers success for a stack that is not there
        if stack.termination_protection:
            raise ValidationError(
                f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        for o in stack.outputs:
            if o.export_name:
                users = [n for n in self.exports.importers(o.export_name) if n != stack.name]
                if users:
                    raise ValidationError(
                        f"Export {o.export_name} cannot be deleted as it is in use by {users[0]}"
                    )
        if stack.status == "DELETE_IN_PROGRESS":
            return
        if stack.in_progress or stack.stack_id in self.ops.running:
            self.ops.delete_after(stack.stack_id, token)
            return
        if retain:
            res = self.book.resources_of(stack.stack_id)
            await self.book.save(
                stack_id=stack.stack_id,
                resources=[
                    replace(r, deletion_policy="Retain") for lid, r in res.items() if lid in retain
                ],
            )
        stack = replace(stack, client_request_token=token)
        if stack.status == "REVIEW_IN_PROGRESS":
            # a CREATE change set never executed: nothing was made
            stack = await self.engine.set_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
            await self.engine.set_status(stack, "DELETE_COMPLETE")
            return
        await self.engine.set_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
        self.ops.submit(stack.stack_id)

    async def continue_update_rollback(self, name_or_id: str, skip: tuple[str, ...]) -> None:
        """Retry the rollback of an update that failed to roll back (UPDATE_ROLLBACK_FAILED);
        ``skip`` names resources to leave as they are."""
        stack = self.live_stack(name_or_id)
        if stack.status != "UPDATE_ROLLBACK_FAILED" or stack.stack_id in self.ops.running:
            raise ValidationError(
                f"Stack {stack.stack_id} is in {stack.status} state and can not continue its "
                "update rollback."
            )
        if skip:
            res = self.book.resources_of(stack.stack_id)
            await self.book.save(
                stack_id=stack.stack_id,
                resources=[replace(r, action="", old=None) for k, r in res.items() if k in skip],
            )
        await self.engine.set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS")
        self.ops.submit(stack.stack_id)

    async def set_termination_protection(self, name_or_id: str, enabled: bool) -> str:
        stack = self.live_stack(name_or_id)
        await self.book.save(
            stack=replace(self.book.stacks[stack.stack_id], termination_protection=enabled)
        )
        return stack.stack_id

    def list_stacks(self, statuses: set[str]) -> list[Stack]:
        out = [s for s in self.book.stacks.values() if not statuses or s.status in statuses]
        return sorted(out, key=lambda s: -s.created_s)

    # ---- change sets

    def change_set(self, name_or_id: str, stack_name: str | None) -> ChangeSet:
        if name_or_id.startswith("arn:"):
            cs = self.book.change_sets.get(name_or_id)
            if cs is None:
                raise errors.no_such_change_set(name_or_id)
            return cs
        if not stack_name:
            raise ValidationError(
                "StackName must be specified if ChangeSetName is not specified as an ARN."
            )
        stack = self.book.find(stack_name)
        if stack is None:
            raise errors.no_such_stack(stack_name)
        for cs in self.book.change_sets.values():
            if cs.stack_id == stack.stack_id and cs.name == name_or_id:
                return cs
        raise errors.no_such_change_set(name_or_id)

    async def create_change_set(self, cmd: CreateChangeSet) -> tuple[str, str]:
        ch = cmd.change
        stack = (
            self.book.by_name(ch.stack_name)
            if not ch.stack_name.startswith("arn:")
            else (self.book.find(ch.stack_name))
        )
        kind = cmd.change_set_type
        if kind == "IMPORT":
            raise ValidationError("ChangeSetType IMPORT is not supported by this server.")
        if kind == "CREATE":
            if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
                raise errors.already_exists(ch.stack_name)
        else:
            if stack is None or stack.status == "DELETE_COMPLETE":
                raise ValidationError(f"Stack [{ch.stack_name}] does not exist")
            if stack.status == "REVIEW_IN_PROGRESS":
                raise ValidationError(
                    f"Stack [{ch.stack_name}] does not exist; use ChangeSetType CREATE"
                )
            self._updatable(stack)
        if stack is not None:
            for cs in self.book.change_sets.values():
                if cs.stack_id == stack.stack_id and cs.name == cmd.change_set_name:
                    raise errors.AlreadyExistsException(
                        f"ChangeSet {cmd.change_set_name} already exists"
                    )
        stack_id = stack.stack_id if stack is not None else self._new_id(ch.stack_name)
        body = await self.template_body(ch.template, stack)
        previous = stack.parameters if stack is not None else {}
        prep = await self.prepare(body, ch.stack_name, stack_id, ch, previous, direct=False)
        now = time.time()
        if stack is None:
            stack = Stack(
                stack_id,
                ch.stack_name,
                self.region,
                self.account_id,
                "REVIEW_IN_PROGRESS",
                now,
                status_reason="User Initiated",
                tags=tuple(ch.tags or ()),
                description=prep.description,
            )
            await self.book.save(
                stack=stack,
                events=[self.book.stack_event(stack, "REVIEW_IN_PROGRESS", "User Initiated")],
            )
        cs_id = (
            f"arn:aws:cloudformation:{self.region}:{self.account_id}:changeSet/"
            f"{cmd.change_set_name}/{uuid.uuid4()}"
        )
        cs = ChangeSet(
            cs_id,
            cmd.change_set_name,
            stack_id,
            stack.name,
            kind,
            "CREATE_PENDING",
            "UNAVAILABLE",
            now,
            body,
            prep.processed,
            prep.parameters,
            no_echo=tuple(p.name for p in prep.declared if p.no_echo),
            capabilities=tuple(ch.capabilities),
            tags=tuple(ch.tags or ()),
            notification_arns=tuple(ch.notification_arns or ()),
            description=cmd.description,
            role_arn=ch.role_arn,
            on_stack_failure=cmd.on_stack_failure,
            stack_tags_given=ch.tags is not None,
        )
        await self.book.put_change_set(cs)
        # computed before answering: it is pure and quick, and a client's first poll then
        # finds it complete (the AWS CLI and SAM wait 5 s between polls); a crash in between
        # leaves it CREATE_PENDING, computed again on start
        await self._compute_change_set(cs_id)
        return cs_id, stack_id

    async def _compute_change_set(self, cs_id: str) -> None:
        cs = self.book.change_sets.get(cs_id)
        if cs is None:
            return
        cs = replace(cs, status="CREATE_IN_PROGRESS")
        await self.book.put_change_set(cs)
        stack = self.book.stacks.get(cs.stack_id)
        try:
            if stack is None:
                raise ValidationError(f"Stack [{cs.stack_name}] does not exist")
            ctx = Context(
                stack_name=stack.name,
                stack_id=stack.stack_id,
                region=self.region,
                account_id=self.account_id,
                parameters=cs.parameters,
                parameter_types={
                    n: str(p.get("Type", "String"))
                    for n, p in (cs.template.get("Parameters") or {}).items()
                    if isinstance(p, dict)
                },
                notification_arns=cs.notification_arns,
                import_value=self.exports.value,
            )
            p = plan(cs.template, ctx)
            found = changes(self.book.resources_of(stack.stack_id), p, ctx, self._providers())
        except ApiError as e:
            await self.book.put_change_set(replace(cs, status="FAILED", status_reason=e.message))
            return
        same = (
            cs.change_set_type == "UPDATE"
            and not found
            and cs.template == stack.template
            and cs.parameters == stack.parameters
            and (not cs.stack_tags_given or cs.tags == stack.tags)
        )
        if same:
            await self.book.put_change_set(replace(cs, status="FAILED", status_reason=NO_CHANGES))
            return
        await self.book.put_change_set(
            replace(
                cs,
                status="CREATE_COMPLETE",
                execution_status="AVAILABLE",
                changes=tuple(found),
            )
        )

    async def execute_change_set(
        self,
        name_or_id: str,
        stack_name: str | None,
        token: str | None,
        disable_rollback: bool | None,
    ) -> None:
        cs = self.change_set(name_or_id, stack_name)
        if cs.execution_status != "AVAILABLE":
            raise errors.InvalidChangeSetStatusException(
                f"ChangeSet [{cs.change_set_id}] cannot be executed in its current execution "
                f"status of [{cs.execution_status}]"
            )
        stack = self.book.stacks[cs.stack_id]
        change = StackChange(
            stack.name,
            TemplateSource(body=cs.template_body),
            capabilities=cs.capabilities,
            tags=cs.tags if cs.stack_tags_given else None,
            notification_arns=cs.notification_arns,
            role_arn=cs.role_arn,
            client_request_token=token,
        )
        prep = Prepared(
            cs.template_body,
            {},
            cs.template,
            cs.parameters,
            [],
            cs.template.get("Description")
            if isinstance(cs.template.get("Description"), str)
            else None,
        )
        if cs.change_set_type == "CREATE":
            if stack.status != "REVIEW_IN_PROGRESS":
                raise errors.busy(stack.stack_id, stack.status)
            rollback = cs.on_stack_failure or ("DO_NOTHING" if disable_rollback else "ROLLBACK")
            new = replace(
                stack,
                status="CREATE_IN_PROGRESS",
                status_reason="User Initiated",
                template_body=cs.template_body,
                template=cs.template,
                parameters=cs.parameters,
                no_echo=cs.no_echo,
                capabilities=cs.capabilities,
                tags=cs.tags,
                notification_arns=cs.notification_arns,
                description=prep.description,
                disable_rollback=rollback == "DO_NOTHING",
                on_failure=rollback,
                role_arn=cs.role_arn,
                client_request_token=token,
                change_set_id=cs.change_set_id,
            )
            await self.book.save(
                stack=new, events=[self.book.stack_event(new, new.status, "User Initiated")]
            )
        else:
            self._updatable(stack)
            tags = stack.tags if not cs.stack_tags_given else cs.tags
            await self._start_update(
                stack, prep, change, tags, cs.notification_arns, cs.change_set_id, cs.no_echo
            )
        await self.book.put_change_set(replace(cs, execution_status="EXECUTE_IN_PROGRESS"))
        # other change sets of the stack are gone once one executes (as AWS)
        others = [
            c.change_set_id
            for c in self.book.change_sets.values()
            if c.stack_id == cs.stack_id and c.change_set_id != cs.change_set_id
        ]
        await self.book.delete_change_sets(others)
        if cs.change_set_type == "CREATE":
            self.ops.submit(stack.stack_id)
        self.ops.after(stack.stack_id, lambda: self._settle_change_set(cs.change_set_id))

    async def _settle_change_set(self, cs_id: str) -> None:
        """The execution status once the stack operation rests."""
        cs = self.book.change_sets.get(cs_id)
        if cs is None or cs.execution_status != "EXECUTE_IN_PROGRESS":
            return
        stack = self.book.stacks.get(cs.stack_id)
        if stack is not None and (stack.in_progress or stack.stack_id in self.ops.running):
            self.ops.after(stack.stack_id, lambda: self._settle_change_set(cs_id))
            return
        ok = stack is not None and stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        await self.book.put_change_set(
            replace(cs, execution_status="EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED")
        )

    async def delete_change_set(self, name_or_id: str, stack_name: str | None) -> None:
        cs = self.change_set(name_or_id, stack_name)
        if cs.execution_status == "EXECUTE_IN_PROGRESS":
            raise errors.InvalidChangeSetStatusException(
                f"Cannot delete ChangeSet {cs.change_set_id} in status EXECUTE_IN_PROGRESS"
            )
        await self.book.delete_change_sets([cs.change_set_id])

    def change_sets_of(self, stack_name: str) -> list[ChangeSet]:
        stack = self.book.find(stack_name)
        if stack is None:
            raise errors.no_such_stack(stack_name)
        return [c for c in self.book.change_sets.values() if c.stack_id == stack.stack_id]

    async def events(self, stack_id: str) -> list[StackEvent]:
        """The stack's events, newest first."""
        return await asyncio.to_thread(self.book.repo.cfn_events, stack_id)
