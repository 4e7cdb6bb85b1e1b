"""Running one stack operation to a resting status: create, update, delete, their rollbacks
and cleanups, from whatever the stack's persisted status says.

Contract:
- ``drive(stack_id, resumed)`` takes a stack whose status is ``*_IN_PROGRESS`` (set and
  persisted by the caller with its event) to a status that is not. It is a state machine over
  the persisted status, so the same call finishes an operation a crash interrupted:
  ``resumed=True`` turns CREATE/UPDATE_IN_PROGRESS into their rollbacks (what a create or
  update that never answered made is found by its persisted token and deleted), and continues
  every rollback, cleanup and delete where it stopped.
- Every state change is persisted (the stack's status with its event; each resource's status,
  token, physical id, resolved properties and attributes with its event) before the next
  action is taken on it.
- Resources are created and updated concurrently as their dependencies complete; deletes run
  in reverse dependency order. After a failure no new resource is started; those in flight
  finish, then the rollback runs.
- Cancelling ``drive`` (server shutdown) leaves the persisted state as it was: the next start
  resumes from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from ovis.errors import ApiError, ValidationError
from ovis.models.stack import Output, ResourceState, Stack, StackResource
from ovis.services.calls import Caller
from ovis.services.cloudformation.book import StackBook, new_token
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceProvider,
    ResourceRequest,
    ResourceResult,
    StackInfo,
)
from ovis.services.cloudformation.template import Context, Plan, ResourceDecl, plan, resolve

log = logging.getLogger(__name__)

REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."


class _Failed(Exception):
    """A resource's operation failed; its event is already persisted."""


class Lookup:
    """``ResourceLookup`` over a stack's resources as made so far."""

    def __init__(self, resources: Mapping[str, StackResource]) -> None:
        self._resources = resources

    def ref(self, logical_id: str) -> str:
        r = self._resources.get(logical_id)
        if r is None or r.physical_id is None:
            raise ValidationError(f"Template error: resource {logical_id} has no physical id yet")
        return r.physical_id

    def get_att(self, logical_id: str, attribute: str) -> Any:
        r = self._resources.get(logical_id)
        if r is None or attribute not in r.attributes:
            raise ValidationError(
                f"Template error: resource {logical_id} does not support attribute type "
                f"{attribute} in Fn::GetAtt"
            )
        return r.attributes[attribute]


def reason_of(e: BaseException) -> str:
    """A failure's reason as an event shows it."""
    if isinstance(e, ResourceFailed):
        return e.message
    if isinstance(e, ApiError):
        return (
            f'Resource handler returned message: "{e.message}" '
            f"(Status Code: {e.status}, Error Code: {e.code})"
        )
    return f"Internal failure: {type(e).__name__}: {e}"


def reverse_order(resources: Iterable[StackResource]) -> list[StackResource]:
    """Dependents before what they depend on (the order deletes and rollbacks run in)."""
    rs = {r.logical_id: r for r in resources}
    done: set[str] = set()
    out: list[StackResource] = []

    def visit(lid: str, seen: frozenset[str]) -> None:
        if lid in done or lid in seen:
            return
        for d in rs[lid].depends_on:
            if d in rs:
                visit(d, seen | {lid})
        done.add(lid)
        out.append(rs[lid])

    for lid in rs:
        visit(lid, frozenset())
    return list(reversed(out))


def output_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict,)):
        return json.dumps(value)
    return str(value)


class Exports:
    """Exports and imports across the account's live stacks (read from the book)."""

    def __init__(self, book: StackBook) -> None:
        self.book = book

    def all(self) -> list[tuple[str, str, str]]:
        """(name, value, exporting stack id), for every live stack's exported outputs."""
        return [
            (o.export_name, o.value, s.stack_id)
            for s in self.book.live()
            for o in s.outputs
            if o.export_name
        ]

    def value(self, name: str) -> str:
        for n, v, _ in self.all():
            if n == name:
                return v
        raise ValidationError(f"No export named {name} found.")

    def owner(self, name: str) -> str | None:
        return next((sid for n, _, sid in self.all() if n == name), None)

    def importers(self, name: str) -> list[str]:
        """Names of the live stacks whose template imports ``name``."""
        return [s.name for s in self.book.live() if name in s.imports]


class Engine:
    def __init__(
        self,
        book: StackBook,
        providers: Callable[[], Mapping[str, ResourceProvider]],
        exports: Exports,
    ) -> None:
        self.book = book
        self._providers = providers
        self.exports = exports

    @property
    def providers(self) -> Mapping[str, ResourceProvider]:
        return self._providers()

    # ---- the state machine

    async def drive(self, stack_id: str, resumed: bool = False) -> None:
        while True:
            stack = self.book.stacks[stack_id]
            status = stack.status
            if status == "CREATE_IN_PROGRESS":
                if resumed:
                    await self._create_failed(stack, "The server stopped during the operation.")
                else:
                    await self._create(stack)
            elif status == "ROLLBACK_IN_PROGRESS":
                await self._rollback_create(stack)
            elif status == "UPDATE_IN_PROGRESS":
                if resumed:
                    await self._update_failed(stack, "The server stopped during the operation.")
                else:
                    await self._update(stack)
            elif status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
                await self._cleanup(stack, "UPDATE_COMPLETE")
            elif status == "UPDATE_ROLLBACK_IN_PROGRESS":
                await self._rollback_update(stack)
            elif status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
                await self._cleanup(stack, "UPDATE_ROLLBACK_COMPLETE")
            elif status == "DELETE_IN_PROGRESS":
                await self._delete(stack)
            else:
                stack = self.book.stacks[stack_id]
                if stack.delete_requested and stack.status != "DELETE_COMPLETE":
                    await self.set_status(
                        replace(stack, delete_requested=False),
                        "DELETE_IN_PROGRESS",
                        "User Initiated",
                    )
                    continue
                return
            resumed = False

    async def set_status(self, stack: Stack, status: str, reason: str = "", **extra: Any) -> Stack:
        now = time.time()
        stack = replace(stack, status=status, status_reason=reason, **extra)
        if status.startswith("UPDATE") and "ROLLBACK" not in status:
            stack = replace(stack, updated_s=now)
        if status == "DELETE_COMPLETE":
            stack = replace(stack, deleted_s=now)
        await self.book.save(stack=stack, events=[self.book.stack_event(stack, status, reason)])
        return stack

    # ---- context

    def context(self, stack: Stack) -> tuple[Context, list[str]]:
        imports: list[str] = []

        def import_value(name: str) -> str:
            v = self.exports.value(name)
            if name not in imports:
                imports.append(name)
            return v

        types = {
            n: str(p.get("Type", "String"))
            for n, p in (stack.template.get("Parameters") or {}).items()
            if isinstance(p, dict)
        }
        ctx = Context(
            stack_name=stack.name,
            stack_id=stack.stack_id,
            region=stack.region,
            account_id=stack.account_id,
            parameters=dict(stack.parameters),
            parameter_types=types,
            notification_arns=tuple(stack.notification_arns),
            import_value=import_value,
        )
        return ctx, imports

    def info(self, stack: Stack) -> StackInfo:
        caller = Caller(stack.account_id, stack.region, f"arn:aws:iam::{stack.account_id}:root")
        return StackInfo(stack.name, stack.stack_id, stack.region, stack.account_id, caller)

    # ---- create

    async def _create(self, stack: Stack) -> None:
        try:
            ctx, imports = self.context(stack)
            p = plan(stack.template, ctx)
        except ApiError as e:
            await self._create_failed(stack, e.message)
            return
        failed = await self._apply(stack, p, ctx, updating=False)
        stack = self.book.stacks[stack.stack_id]
        if failed:
            await self._create_failed(
                stack, f"The following resource(s) failed to create: [{', '.join(failed)}]. "
            )
            return
        try:
            outputs = self._outputs(stack, p, ctx)
        except ApiError as e:
            await self._create_failed(stack, e.message)
            return
        await self.set_status(
            stack, "CREATE_COMPLETE", outputs=tuple(outputs), imports=tuple(imports)
        )

    async def _create_failed(self, stack: Stack, reason: str) -> None:
        stack = self.book.stacks[stack.stack_id]
        if stack.disable_rollback or stack.on_failure == "DO_NOTHING":
            await self.set_status(stack, "CREATE_FAILED", reason)
            return
        await self.set_status(
            stack, "ROLLBACK_IN_PROGRESS", reason, delete_requested=stack.on_failure == "DELETE"
        )

    async def _rollback_create(self, stack: Stack) -> None:
        resources = list(self.book.resources_of(stack.stack_id).values())
        failed = await self._delete_resources(stack, resources, honour_retain=False)
        stack = self.book.stacks[stack.stack_id]
        if failed:
            reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            await self.set_status(stack, "ROLLBACK_FAILED", reason, delete_requested=False)
            return
        await self.set_status(stack, "ROLLBACK_COMPLETE", stack.status_reason)

    # ---- applying a plan (create and update)

    async def _apply(self, stack: Stack, p: Plan, ctx: Context, *, updating: bool) -> list[str]:
        """Create or update every resource of ``p`` as its dependencies complete; the logical
        ids that failed (sorted), empty when all succeeded."""
        done = {lid: asyncio.Event() for lid in p.resources}
        ok: set[str] = set()
        failed: list[str] = []

        async def one(decl: ResourceDecl) -> None:
            try:
                for dep in decl.depends_on:
                    if dep in done:
                        await done[dep].wait()
                if failed or any(d in done and d not in ok for d in decl.depends_on):
                    return  # not started: nothing to undo
                await self._one(stack.stack_id, decl, p, ctx, updating)
                ok.add(decl.logical_id)
            except _Failed:
                failed.append(decl.logical_id)
            except Exception as e:  # a bug: fail the resource, never the loop
                log.exception("stack %s: resource %s", stack.name, decl.logical_id)
                failed.append(decl.logical_id)
                await self._fail_resource(stack.stack_id, decl, updating, reason_of(e))
            finally:
                done[decl.logical_id].set()

        await asyncio.gather(*(one(d) for d in p.resources.values()))
        return sorted(failed)

    async def _fail_resource(
        self, stack_id: str, decl: ResourceDecl, updating: bool, reason: str
    ) -> None:
        stack = self.book.stacks[stack_id]
        rec = self.book.resources_of(stack_id).get(decl.logical_id)
        status = "UPDATE_FAILED" if updating and rec is not None else "CREATE_FAILED"
        if rec is None:
            rec = self._new_record(stack, decl, {}, "CREATE_FAILED", "Add" if updating else "")
            rec = replace(rec, status_reason=reason)
            keep = [rec]
        else:
            keep = []  # what exists is unchanged: the event alone says the update failed
        await self.book.save(
            stack_id=stack_id,
            resources=keep,
            events=[self.book.resource_event(stack, rec, status, reason)],
        )

    def _new_record(
        self, stack: Stack, decl: ResourceDecl, props: dict[str, Any], status: str, action: str
    ) -> StackResource:
        return StackResource(
            stack.stack_id,
            decl.logical_id,
            decl.type,
            status,
            new_token(),
            properties=props,
            updated_s=time.time(),
            depends_on=tuple(sorted(decl.depends_on)),
            deletion_policy=decl.deletion_policy or "Delete",
            update_replace_policy=decl.update_replace_policy or "Delete",
            metadata=decl.metadata,
            action=action,
        )

    def _request(
        self, stack: Stack, rec: StackResource, *, previous: ResourceState | None = None
    ) -> ResourceRequest:
        return ResourceRequest(
            self.info(stack),
            rec.logical_id,
            rec.type,
            dict(rec.properties),
            rec.token,
            physical_id=rec.physical_id,
            previous_properties=dict(previous.properties) if previous is not None else None,
            previous_attributes=dict(previous.attributes) if previous is not None else {},
        )

    async def _record(
        self, stack_id: str, rec: StackResource, status: str, reason: str = "", persist: bool = True
    ) -> StackResource:
        """Persist ``rec`` in ``status`` with its event (only the event when ``persist`` is
        false: deleting an old or replacement copy that the record no longer describes)."""
        stack = self.book.stacks[stack_id]
        rec = replace(rec, status=status, status_reason=reason, updated_s=time.time())
        props = json.dumps(rec.properties) if status.endswith("IN_PROGRESS") else None
        await self.book.save(
            stack_id=stack_id,
            resources=[rec] if persist else [],
            events=[self.book.resource_event(stack, rec, status, reason, props)],
        )
        return rec

    def _provider(self, type_name: str) -> ResourceProvider:
        p = self.providers.get(type_name)
        if p is None:
            raise ResourceFailed(f"Unsupported resource type: {type_name}")
        return p

    async def _one(
        self, stack_id: str, decl: ResourceDecl, p: Plan, ctx: Context, updating: bool
    ) -> None:
        stack = self.book.stacks[stack_id]
        lookup = Lookup(self.book.resources_of(stack_id))
        rec = self.book.resources_of(stack_id).get(decl.logical_id)
        if rec is not None and rec.status == "DELETE_COMPLETE":
            rec = None
        try:
            props = resolve(decl.properties or {}, ctx, p, lookup)
            provider = self._provider(decl.type)
        except (ApiError, ResourceFailed) as e:
            await self._fail_resource(stack_id, decl, updating, reason_of(e))
            raise _Failed from e
        if not isinstance(props, dict):
            props = {}
        if rec is None:
            rec = self._new_record(
                stack, decl, props, "CREATE_IN_PROGRESS", "Add" if updating else ""
            )
            rec = await self._record(stack_id, rec, "CREATE_IN_PROGRESS")
            result = await self._call(stack_id, rec, "CREATE_FAILED", provider.create)
            rec = replace(rec, physical_id=result.physical_id, attributes=result.attributes)
            await self._record(stack_id, rec, "CREATE_COMPLETE")
            return
        meta: dict[str, Any] = {
            "depends_on": tuple(sorted(decl.depends_on)),
            "deletion_policy": decl.deletion_policy or "Delete",
            "update_replace_policy": decl.update_replace_policy or "Delete",
            "metadata": decl.metadata,
        }
        if rec.type == decl.type and rec.properties == props:
            if any(getattr(rec, k) != v for k, v in meta.items()):
                await self.book.save(stack_id=stack_id, resources=[replace(rec, **meta)])
            return
        if rec.type != decl.type:
            reason = (
                f"Update of resource type is not permitted. The new template modifies resource "
                f"type of resource {decl.logical_id}."
            )
            await self._record(stack_id, rec, "UPDATE_FAILED", reason, persist=False)
            raise _Failed
        changed = {k for k in {*props, *rec.properties} if props.get(k) != rec.properties.get(k)}
        old = rec.state()
        if changed & provider.create_only:
            # the properties that name the resource itself: a provider may say which
            # (``custom_names``: AWS::Lambda::Version's FunctionName names another resource);
            # otherwise every create-only *Name property is taken for one
            names = getattr(provider, "custom_names", None)
            named = sorted(
                k
                for k in (names if names is not None else provider.create_only)
                if k.endswith("Name") and props.get(k) and props.get(k) == rec.properties.get(k)
            )
            if named:
                reason = (
                    "CloudFormation cannot update a stack when a custom-named resource requires "
                    f"replacing. Rename {props[named[0]]} and update the stack again."
                )
                await self._record(stack_id, rec, "UPDATE_FAILED", reason, persist=False)
                raise _Failed
            rec = replace(
                rec,
                **meta,
                token=new_token(),
                physical_id=None,
                properties=props,
                attributes={},
                action="Replace",
                old=old,
            )
            rec = await self._record(stack_id, rec, "UPDATE_IN_PROGRESS", REPLACING)
            result = await self._call(stack_id, rec, "UPDATE_FAILED", provider.create)
        else:
            rec = replace(rec, **meta, properties=props, action="Modify", old=old)
            rec = await self._record(stack_id, rec, "UPDATE_IN_PROGRESS")
            result = await self._call(stack_id, rec, "UPDATE_FAILED", provider.update, old)
        rec = replace(rec, physical_id=result.physical_id, attributes=result.attributes)
        await self._record(stack_id, rec, "UPDATE_COMPLETE")

    async def _call(
        self,
        stack_id: str,
        rec: StackResource,
        failed_status: str,
        fn: Callable[[ResourceRequest], Any],
        previous: ResourceState | None = None,
        persist: bool = True,
    ) -> ResourceResult:
        stack = self.book.stacks[stack_id]
        try:
            result: ResourceResult = await fn(self._request(stack, rec, previous=previous))
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if not isinstance(e, (ApiError, ResourceFailed)):
                log.exception("stack %s: resource %s", stack.name, rec.logical_id)
            await self._record(stack_id, rec, failed_status, reason_of(e), persist)
            raise _Failed from e
        return result

    def _outputs(self, stack: Stack, p: Plan, ctx: Context) -> list[Output]:
        lookup = Lookup(self.book.resources_of(stack.stack_id))
        out: list[Output] = []
        for name, o in p.outputs.items():
            value = output_text(resolve(o.value, ctx, p, lookup))
            export = None
            if o.export_name is not None:
                export = output_text(resolve(o.export_name, ctx, p, lookup))
                owner = self.exports.owner(export)
                if owner is not None and owner != stack.stack_id:
                    owner_name = self.book.stacks[owner].name
                    raise ValidationError(
                        f"Export with name {export} is already exported by stack {owner_name}"
                    )
            out.append(Output(name, value, o.description, export))
        # an export another stack imports may not change or go away
        new = {o.export_name: o.value for o in out if o.export_name}
        for was in stack.outputs if stack.previous is None else stack.previous.outputs:
            if was.export_name and new.get(was.export_name) != was.value:
                users = [n for n in self.exports.importers(was.export_name) if n != stack.name]
                if users:
                    verb = "update" if was.export_name in new else "delete"
                    raise ValidationError(
                        f"Cannot {verb} export {was.export_name} as it is in use by {users[0]}"
                    )
        return out

    # ---- update

    async def _update(self, stack: Stack) -> None:
        try:
            ctx, imports = self.context(stack)
            p = plan(stack.template, ctx)
        except ApiError as e:
            await self._update_failed(stack, e.message)
            return
        failed = await self._apply(stack, p, ctx, updating=True)
        stack = self.book.stacks[stack.stack_id]
        if failed:
            await self._update_failed(
                stack, f"The following resource(s) failed to update: [{', '.join(failed)}]. "
            )
            return
        try:
            outputs = self._outputs(stack, p, ctx)
        except ApiError as e:
            await self._update_failed(stack, e.message)
            return
        # what the new template no longer has is deleted in the cleanup; mark it with the
        # status change so a crash in between cannot lose it
        marks = [
            replace(r, action="Remove")
            for lid, r in self.book.resources_of(stack.stack_id).items()
            if lid not in p.resources
        ]
        stack = replace(
            stack,
            status="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            status_reason="",
            outputs=tuple(outputs),
            imports=tuple(imports),
            updated_s=time.time(),
        )
        await self.book.save(
            stack=stack,
            resources=marks,
            events=[self.book.stack_event(stack, stack.status)],
        )

    async def _update_failed(self, stack: Stack, reason: str) -> None:
        stack = self.book.stacks[stack.stack_id]
        await self.set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)

    async def _rollback_update(self, stack: Stack) -> None:
        sid = stack.stack_id
        touched = [r for r in self.book.resources_of(sid).values() if r.action]
        for rec in reverse_order(touched):
            try:
                await self._undo(sid, rec)
            except _Failed:
                stack = self.book.stacks[sid]
                reason = f"The following resource(s) failed to update: [{rec.logical_id}]. "
                await self.set_status(stack, "UPDATE_ROLLBACK_FAILED", reason)
                return
        stack = self.book.stacks[sid]
        prev = stack.previous
        if prev is not None:
            stack = replace(
                stack,
                template_body=prev.template_body,
                template=prev.template,
                parameters=prev.parameters,
                outputs=prev.outputs,
                description=prev.description,
                imports=prev.imports,
            )
        await self.set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")

    async def _undo(self, stack_id: str, rec: StackResource) -> None:
        """Restore one resource the failed update touched."""
        stack = self.book.stacks[stack_id]
        if rec.action in ("Add", "Remove"):
            if rec.action == "Add":
                await self._delete_one(stack, rec, honour_retain=False)
                await self.book.save(stack_id=stack_id, removed=[rec.logical_id])
            else:
                await self.book.save(stack_id=stack_id, resources=[replace(rec, action="")])
            return
        old = rec.old
        if old is None:
            await self.book.save(stack_id=stack_id, resources=[replace(rec, action="")])
            return
        if rec.action == "Replace":
            restored = replace(
                rec,
                type=old.type,
                token=old.token,
                physical_id=old.physical_id,
                properties=old.properties,
                attributes=old.attributes,
                action="",
                old=None,
                replacement=rec.state(),
            )
            await self._record(stack_id, restored, "UPDATE_COMPLETE")
            return
        # Modify: update back to the properties it had
        back = replace(
            rec, properties=old.properties, physical_id=rec.physical_id or old.physical_id
        )
        back = await self._record(stack_id, back, "UPDATE_IN_PROGRESS")
        provider = self.providers.get(rec.type)
        if provider is None:
            await self._record(stack_id, back, "UPDATE_FAILED", "Unsupported resource type")
            raise _Failed
        result = await self._call(stack_id, back, "UPDATE_FAILED", provider.update, rec.state())
        back = replace(
            back,
            physical_id=result.physical_id,
            attributes=result.attributes,
            action="",
            old=None,
        )
        await self._record(stack_id, back, "UPDATE_COMPLETE")

    async def _cleanup(self, stack: Stack, final: str) -> None:
        """Delete what the update (or its rollback) made obsolete, then rest in ``final``."""
        sid = stack.stack_id
        resources = self.book.resources_of(sid)
        for rec in list(resources.values()):
            if rec.action == "Replace" and rec.old is not None and final == "UPDATE_COMPLETE":
                gone = replace(rec, **_state_fields(rec.old), action="", old=None)
                await self._delete_one(
                    stack, gone, honour_retain=True, replace_policy=True, persist=False
                )
                await self.book.save(stack_id=sid, resources=[replace(rec, action="", old=None)])
            elif rec.replacement is not None:
                gone = replace(rec, **_state_fields(rec.replacement))
                await self._delete_one(stack, gone, honour_retain=False, persist=False)
                await self.book.save(stack_id=sid, resources=[replace(rec, replacement=None)])
        removing = [r for r in resources.values() if r.action == "Remove"]
        if final == "UPDATE_COMPLETE":
            failed = await self._delete_resources(stack, removing, honour_retain=True)
            if failed:
                log.warning("stack %s: cleanup could not delete %s", stack.name, failed)
            await self.book.save(stack_id=sid, removed=[r.logical_id for r in removing])
        clear = [
            replace(r, action="", old=None)
            for r in self.book.resources_of(sid).values()
            if r.action or r.old is not None
        ]
        stack = self.book.stacks[sid]
        stack = replace(stack, status=final, status_reason="", previous=None)
        await self.book.save(
            stack=stack, resources=clear, events=[self.book.stack_event(stack, final)]
        )

    # ---- delete

    async def _delete(self, stack: Stack) -> None:
        resources = list(self.book.resources_of(stack.stack_id).values())
        failed = await self._delete_resources(stack, resources, honour_retain=True)
        stack = self.book.stacks[stack.stack_id]
        if failed:
            reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            await self.set_status(stack, "DELETE_FAILED", reason)
            return
        await self.set_status(stack, "DELETE_COMPLETE", outputs=(), imports=())

    async def _delete_resources(
        self, stack: Stack, resources: list[StackResource], *, honour_retain: bool
    ) -> list[str]:
        """Delete ``resources`` concurrently, each after the ones that depend on it; the
        logical ids that failed (sorted)."""
        todo = {r.logical_id: r for r in resources if r.status not in ("DELETE_COMPLETE",)}
        dependents: dict[str, set[str]] = {lid: set() for lid in todo}
        for r in todo.values():
            for d in r.depends_on:
                if d in dependents:
                    dependents[d].add(r.logical_id)
        done = {lid: asyncio.Event() for lid in todo}
        failed: list[str] = []

        async def one(r: StackResource) -> None:
            try:
                for d in dependents[r.logical_id]:
                    await done[d].wait()
                if any(d in failed for d in dependents[r.logical_id]):
                    failed.append(r.logical_id)
                    return
                await self._delete_one(stack, r, honour_retain=honour_retain)
            except _Failed:
                failed.append(r.logical_id)
            finally:
                done[r.logical_id].set()

        await asyncio.gather(*(one(r) for r in todo.values()))
        return sorted(failed)

    async def _delete_one(
        self,
        stack: Stack,
        rec: StackResource,
        *,
        honour_retain: bool,
        replace_policy: bool = False,
        persist: bool = True,
    ) -> None:
        sid = stack.stack_id
        policy = rec.update_replace_policy if replace_policy else rec.deletion_policy
        if honour_retain and policy == "Retain":
            await self._record(sid, rec, "DELETE_SKIPPED", persist=persist)
            return
        provider = self.providers.get(rec.type)
        rec = await self._record(sid, rec, "DELETE_IN_PROGRESS", persist=persist)
        if provider is not None:
            await self._call(sid, rec, "DELETE_FAILED", _deleting(provider), persist=persist)
        await self._record(sid, rec, "DELETE_COMPLETE", persist=persist)


def _deleting(provider: ResourceProvider) -> Callable[[ResourceRequest], Any]:
    async def delete(req: ResourceRequest) -> ResourceResult:
        await provider.delete(req)
        return ResourceResult(req.physical_id or "")

    return delete


def _state_fields(s: ResourceState) -> dict[str, Any]:
    return {
        "type": s.type,
        "token": s.token,
        "physical_id": s.physical_id,
        "properties": s.properties,
        "attributes": s.attributes,
    }
