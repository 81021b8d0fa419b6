"""The collection runner: runs every collector across (service, region), concurrently.

Collectors are "dumb gets" (DESIGN.md): they list and describe, normalise to plain dicts and
return `{resource_type: [resource, ...]}`. They never raise for AWS errors: every call goes
through `CollectContext.call` / `paginate` / `fill`, which record a failed call in the
snapshot's coverage and hand back None (or note the failure on the resource). No call is made
twice for the same input: results are memoised per (service, region, operation, arguments).

Writing a collector::

    @collector("sns", types=("sns.topic",))
    def collect_topics(ctx: CollectContext, region: str) -> dict[str, list[dict]]:
        topics = ctx.paginate("sns", region, "list_topics", "Topics", resource_type="sns.topic")
        if topics is None:                 # listing failed: recorded as a gap of sns.topic
            return {}
        resources = [{"arn": t["TopicArn"], "region": region} for t in topics]
        ctx.map(lambda r: ctx.fill(r, "subscriptions_confirmed", "sns", region,
                                   "get_topic_attributes", {"TopicArn": r["arn"]},
                                   extract=lambda a: int(a["Attributes"]["SubscriptionsConfirmed"])),
                resources)
        return {"sns.topic": resources}
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
from botocore.parsers import ResponseParserError

from opsctl.resources import GLOBAL, RESOURCE_TYPES
from opsctl.snapshot import CoverageGap, Snapshot

#: Region whose endpoint serves the global services (IAM, CloudFront, Route 53, Budgets, Support).
GLOBAL_API_REGION = "us-east-1"

#: After Ctrl-C, how long collect() waits for the calls in flight before it keeps what it has: a
#: thread stops at its next call, but a socket read in progress cannot be interrupted (the
#: per-call read timeout, opsctl.aws, bounds it; the thread is abandoned, never joined).
STOP_GRACE_SECONDS = 1.0

#: The coverage-gap code of a (collector, region) that Ctrl-C stopped before it finished.
INTERRUPTED = "Interrupted"

@dataclass(frozen=True)
class NotFound:
    """A call answered with one of the caller's "not configured" error codes (e.g. NoSuchBucketPolicy)."""

    code: str


@dataclass(frozen=True)
class CollectorSpec:
    service: str
    types: tuple[str, ...]
    scope: str  # "global" | "regional"
    fn: Callable[[CollectContext, str], dict[str, list[dict[str, Any]]]]
    phase: int = 1  # 2: runs after every phase-1 collector, reading ctx.inventory (e.g. metrics)


COLLECTORS: list[CollectorSpec] = []


def collector(service: str, types: Iterable[str], scope: str = "regional", phase: int = 1):
    """Register a collector of `types`. Global collectors run once with region "global".

    Phase-2 collectors run once phase 1 is complete and read its resources from
    `ctx.inventory` (CloudWatch metrics are fetched for the resources that exist).
    """
    types = tuple(types)
    for t in types:
        if t not in RESOURCE_TYPES:
            raise ValueError(f"collector {service}: resource type {t!r} is not declared in opsctl/resources.py")
    if scope not in ("global", "regional"):
        raise ValueError(f"collector {service}: scope must be global or regional")

    if phase not in (1, 2):
        raise ValueError(f"collector {service}: phase must be 1 or 2")

    def decorate(fn):
        COLLECTORS.append(CollectorSpec(service, types, scope, fn, phase))
        return fn

    return decorate


def _error_details(exc: BaseException) -> tuple[str, str]:
    """(error code, one-line message) of a failed call, whatever shape the endpoint answered in."""
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(err.get("Code") or status or "ClientError")
        msg = _one_line(str(err.get("Message") or exc))
        if code.isdigit():  # no AWS error code, only an HTTP status (e.g. moto's 500 for an API it lacks)
            code = f"HTTP{code}"
            msg = f"the endpoint answered HTTP {status or code[4:]} ({msg}); the API may not be implemented there"
        return code, msg
    if isinstance(exc, ResponseParserError):
        return "UnparseableResponse", "the endpoint answered with a response botocore cannot parse (unimplemented API?)"
    if isinstance(exc, NotImplementedError):
        return "NotImplemented", str(exc) or "the API is not implemented by this endpoint"
    if isinstance(exc, botocore.exceptions.ReadTimeoutError):
        return "ReadTimeout", f"no answer within the read timeout (--timeout): {_one_line(str(exc))}"
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
        return "ConnectTimeout", f"no connection within the connect timeout (--timeout): {_one_line(str(exc))}"
    return type(exc).__name__, _one_line(str(exc))


def _one_line(message: str) -> str:
    """An HTML error page becomes its <title>; anything else its first line, trimmed."""
    title = re.search(r"<title>(.*?)</title>", message, re.I | re.S)
    if title:
        return title.group(1).strip()
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:300]


# ResponseParserError is not a BotoCoreError: moto's server answers unimplemented XML APIs with HTML.
_CALL_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, ResponseParserError, NotImplementedError)


class Cancelled(BaseException):  # noqa: N818 - like KeyboardInterrupt: no collector may swallow it
    """The run was asked to stop (Ctrl-C): raised at the next API call of every collector thread."""


class CollectionInterrupted(KeyboardInterrupt):  # noqa: N818 - it is a KeyboardInterrupt, with what was collected
    """Ctrl-C stopped collect(): `snapshot` holds what finished, the rest as `Interrupted` listing gaps.

    A caller that does not look for it sees the KeyboardInterrupt it always saw."""

    def __init__(self, snapshot: Snapshot):
        super().__init__("interrupted (Ctrl-C)")
        self.snapshot = snapshot


class CollectContext:
    """Shared state of one collection: clients, memoised calls, coverage, a detail-call pool."""

    def __init__(self, aws: Any, account: str, partition: str = "aws", workers: int = 16,
                 check_params: dict[str, dict[str, Any]] | None = None, stop: threading.Event | None = None,
                 limiter: Any = None):
        self.aws = aws
        #: set when the run must stop: every call raises Cancelled from then on
        self.stop = stop
        #: opsctl.ratelimit.RateLimiter shared by every account of the process (None: no limit)
        self.limiter = limiter
        #: Effective parameters of every check (defaults + config), e.g. the metric windows.
        self.check_params: dict[str, dict[str, Any]] = check_params or {}
        #: Phase-1 resources by type, for phase-2 collectors (read-only by convention).
        self.inventory: dict[str, list[dict[str, Any]]] = {}
        self.account = account
        self.partition = partition
        self.workers = workers
        self.coverage: list[CoverageGap] = []
        self._coverage_lock = threading.Lock()
        self._gap_keys: set[tuple[str, ...]] = set()
        self._reasons: dict[tuple[str, str, str, str], str] = {}
        self._memo: dict[tuple, Future] = {}
        self._memo_lock = threading.Lock()
        self.calls = 0
        self._detail_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="opsctl-detail")

    def close(self) -> None:
        """Shut the detail pool; when stopping, without waiting for calls in flight (a blocked socket
        read would hold the run up to the read timeout)."""
        stopping = self.stop is not None and self.stop.is_set()
        self._detail_pool.shutdown(wait=not stopping, cancel_futures=stopping)

    # ----- calls -------------------------------------------------------------------------------
    def api_region(self, region: str) -> str:
        return GLOBAL_API_REGION if region == GLOBAL else region

    def _record(self, service: str, region: str, operation: str, exc: BaseException, resource_type: str, resource_id: str) -> CoverageGap:
        code, msg = _error_details(exc)
        return self._add_gap(CoverageGap(service, region, operation, code, msg, resource_type, resource_id))

    def _add_gap(self, gap: CoverageGap) -> CoverageGap:
        """Record a failure once: collectors sharing a memoised call must not list it twice."""
        op = _op_key(gap.operation)
        with self._coverage_lock:
            self._reasons.setdefault((gap.service, gap.region, op, gap.resource_id), gap.reason)
            key = (gap.service, gap.region, op, gap.resource_id, gap.resource_type)
            if key not in self._gap_keys:
                self._gap_keys.add(key)
                self.coverage.append(gap)
        return gap

    def failure_reason(self, service: str, region: str, operation: str, resource_id: str = "") -> str:
        """Why a recorded call failed (`operation` as method or API name): what `errors[field]` shows."""
        with self._coverage_lock:
            reason = self._reasons.get((service, region, _op_key(operation), resource_id))
        return reason or f"{service}:{operation} in {region} failed"

    def before_call(self, service: str, region: str) -> None:
        """Every API call waits here: stop when asked, and keep within the (account, region, service) rate."""
        if self.stop is not None and self.stop.is_set():
            raise Cancelled()
        if self.limiter is not None:
            self.limiter.acquire(self.account, region, service)
            if self.stop is not None and self.stop.is_set():
                raise Cancelled()

    def _invoke_once(self, key: tuple, thunk: Callable[[], Any]) -> Any:
        """Run `thunk` at most once per key, even from concurrent threads; re-raise its error to all."""
        with self._memo_lock:
            fut = self._memo.get(key)
            owner = fut is None
            if owner:
                fut = Future()
                self._memo[key] = fut
        if owner:
            try:
                self.calls += 1
                fut.set_result(_fact(thunk()))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, re-raised below
                fut.set_exception(_bare(exc))
        err = fut.exception()
        if err is None:
            return fut.result()
        raise _copy_of(err)  # a copy: raising the memo's own error would tie this caller's frames to it

    def _call(self, service, region, operation, params, resource_type, resource_id, not_found) -> tuple[Any, CoverageGap | None]:
        params = params or {}
        client = self.aws.client(service, self.api_region(region))
        key = (service, self.api_region(region), operation, json.dumps(params, sort_keys=True, default=str))
        try:
            return self._invoke_once(key, lambda: self._limited(service, region, lambda: getattr(client, operation)(**params))), None
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in set(not_found):
                return NotFound(code), None
            return None, self._record(service, region, _api_name(client, operation), exc, resource_type, resource_id)
        except _CALL_ERRORS as exc:
            return None, self._record(service, region, _api_name(client, operation), exc, resource_type, resource_id)

    def call(
        self,
        service: str,
        region: str,
        operation: str,
        params: dict[str, Any] | None = None,
        *,
        resource_type: str = "",
        resource_id: str = "",
        not_found: Iterable[str] = (),
    ) -> Any:
        """One API call. Returns the response; a NotFound for a `not_found` error code; None on failure.

        A failure is recorded in coverage. With `resource_id` empty and `resource_type` set, the
        failure marks the whole listing of that type in that region as not collected.
        """
        return self._call(service, region, operation, params, resource_type, resource_id, not_found)[0]

    def paginate(
        self,
        service: str,
        region: str,
        operation: str,
        result_key: str,
        params: dict[str, Any] | None = None,
        *,
        resource_type: str = "",
        resource_id: str = "",
        not_found: Iterable[str] = (),
    ) -> list[Any] | None:
        """Every item of a paginated list (or of a single call when botocore has no paginator)."""
        params = params or {}
        client = self.aws.client(service, self.api_region(region))
        key = (service, self.api_region(region), operation, "paginate", result_key, json.dumps(params, sort_keys=True, default=str))

        def fetch() -> list[Any]:
            if client.can_paginate(operation):
                items: list[Any] = []
                pages = iter(client.get_paginator(operation).paginate(**params))
                while True:
                    self.before_call(service, self.api_region(region))  # each page is one call
                    page = next(pages, None)
                    if page is None:
                        return items
                    items.extend(page.get(result_key, []))
            return list(self._limited(service, region, lambda: getattr(client, operation)(**params)).get(result_key, []))

        try:
            return self._invoke_once(key, fetch)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in set(not_found):
                return []
            self._record(service, region, _api_name(client, operation), exc, resource_type, resource_id)
        except _CALL_ERRORS as exc:
            self._record(service, region, _api_name(client, operation), exc, resource_type, resource_id)
        return None

    def _limited(self, service: str, region: str, thunk: Callable[[], Any]) -> Any:
        self.before_call(service, self.api_region(region))
        return thunk()

    def fill(
        self,
        resource: dict[str, Any],
        field: str,
        service: str,
        region: str,
        operation: str,
        params: dict[str, Any] | None = None,
        *,
        extract: Callable[[Any], Any] = lambda r: r,
        missing: dict[str, Any] | None = None,
    ) -> Any:
        """Set `resource[field]` from one detail call, or note why not in `resource['errors']`.

        `missing` maps "not configured" error codes to the value they mean (e.g.
        `{"NoSuchBucketPolicy": None}`), so an absent setting is data, not a gap.
        """
        missing = missing or {}
        resp, gap = self._call(service, region, operation, params, resource.get("type", ""), resource.get("arn", ""), missing)
        if isinstance(resp, NotFound):
            resource[field] = missing[resp.code]
            return resource[field]
        if resp is None:
            resource.setdefault("errors", {})[field] = gap.reason if gap else f"{service}:{operation} failed"
            return None
        try:
            value = extract(resp)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            reason = f"{service}:{operation} in {region} returned an unexpected shape ({type(exc).__name__}: {exc})"
            resource.setdefault("errors", {})[field] = reason
            self._add_gap(CoverageGap(service, region, operation, "UnexpectedResponse", reason, resource.get("type", ""), resource.get("arn", "")))
            return None
        resource[field] = value
        return value

    def fill_many(
        self,
        resource: dict[str, Any],
        fields: Iterable[str] | dict[str, Any],
        service: str,
        region: str,
        operation: str,
        params: dict[str, Any] | None = None,
        *,
        extract: Callable[[Any], dict[str, Any]] | None = None,
        not_found: Iterable[str] = (),
    ) -> Any:
        """One detail call feeding several fields: a failure marks EVERY field missing.

        With `extract`, `resource` is updated with `extract(response)`; with `fields` a dict, a
        `not_found` code stores its values (the "not configured" defaults). Returns the response,
        a NotFound, or None after marking `fields` missing with the call's reason.
        """
        resp, gap = self._call(service, region, operation, params, resource.get("type", ""), resource.get("arn", ""), not_found)
        if resp is None:
            mark_missing(resource, fields, gap.reason if gap else f"{service}:{operation} in {region} failed")
            return None
        if isinstance(resp, NotFound):
            if isinstance(fields, dict):
                resource.update(fields)
            return resp
        if extract is not None:
            try:
                values = extract(resp)
                resource.update({name: values[name] for name in fields})
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                reason = f"{service}:{operation} in {region} returned an unexpected shape ({type(exc).__name__}: {exc})"
                self._add_gap(CoverageGap(service, region, operation, "UnexpectedResponse", reason, resource.get("type", ""), resource.get("arn", "")))
                mark_missing(resource, fields, reason)
                return None
        return resp

    def marker_pages(
        self,
        service: str,
        region: str,
        operation: str,
        params: dict[str, Any],
        *,
        items: Callable[[dict[str, Any]], list[Any]],
        next_marker: Callable[[dict[str, Any]], str | None],
        marker_param: str,
        resource_type: str,
        max_pages: int = 10_000,
    ) -> list[Any] | None:
        """Every item of a marker-paginated listing that `paginate` cannot walk: items under a
        nested key (CloudFront's DistributionList.Items) or no botocore paginator (WAFv2).
        None if a page failed (the gap is recorded)."""
        collected: list[Any] = []
        page_params = dict(params)
        for _ in range(max_pages):
            page = self.call(service, region, operation, page_params, resource_type=resource_type)
            if page is None:
                return None
            collected.extend(items(page))
            marker = next_marker(page)
            if not marker:
                return collected
            page_params = {**params, marker_param: marker}
        self.record_listing_gap(service, region, operation, "TooManyPages",
                                f"stopped after {max_pages} pages: the endpoint keeps returning a marker", resource_type)
        return None

    def record_listing_gap(self, service: str, region: str, operation: str, error_code: str, message: str, resource_type: str) -> None:
        """For a listing that cannot be done at all (e.g. a prerequisite call failed)."""
        self._add_gap(CoverageGap(service, region, operation, error_code, message, resource_type, ""))

    # ----- concurrency -------------------------------------------------------------------------
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """Run `fn` over items on the shared detail pool; results in input order.

        Only call from a collector (outer) task, never from inside a detail task: the detail pool
        must never wait on itself.
        """
        items = list(items)
        if len(items) <= 1:
            return [fn(i) for i in items]
        return list(self._detail_pool.map(fn, items))

    def arn(self, service: str, region: str, resource: str) -> str:
        region = "" if region == GLOBAL else region
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"


def stop_and_wait(stop: threading.Event, futures: Iterable[Future], grace: float) -> None:
    """After Ctrl-C: every task stops at its next call, the queued ones never start, and the calls
    in flight get `grace` seconds (a blocked socket read is not waited for past it)."""
    stop.set()
    futures = list(futures)
    for fut in futures:
        fut.cancel()
    wait([f for f in futures if not f.done()], timeout=grace)


def _fact(value: Any) -> Any:
    """What the memo keeps of a response: the response without botocore's ResponseMetadata
    (request id, HTTP headers, retry counts), which no collector reads."""
    if isinstance(value, dict):
        value.pop("ResponseMetadata", None)
    return value


def _bare(exc: BaseException) -> BaseException:
    """What the memo keeps of a failed call: the error without its traceback and chained context
    (they hold the frames of the call — its locals, the HTTP response — alive for the whole run,
    through reference cycles), and a ClientError's response reduced to its error and HTTP status."""
    exc.__traceback__ = None
    exc.__context__ = None
    response = getattr(exc, "response", None)
    if isinstance(exc, botocore.exceptions.ClientError) and isinstance(response, dict):
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        exc.response = {"Error": response.get("Error") or {},
                        **({"ResponseMetadata": {"HTTPStatusCode": status}} if status is not None else {})}
    return exc


def _copy_of(exc: BaseException) -> BaseException:
    """A fresh copy of a memoised error to raise (its traceback is this raise's alone)."""
    try:
        clone = copy.copy(exc)
    except Exception:  # noqa: BLE001 - an error type that cannot be copied is raised as it is
        return exc
    clone.__traceback__ = None
    return clone


def _op_key(operation: str) -> str:
    """get_bucket_policy and GetBucketPolicy name the same call."""
    return operation.replace("_", "").lower()


def mark_missing(resource: dict[str, Any], fields: Iterable[str], reason: str) -> None:
    """Note that `fields` could not be collected: checks reading them report ERROR with `reason`."""
    errors = resource.setdefault("errors", {})
    for name in fields:
        errors[name] = reason


def _api_name(client: Any, operation: str) -> str:
    """snake_case method → the API's own name (GetBucketEncryption), as AWS docs and IAM use it."""
    return client.meta.method_to_api_mapping.get(operation, operation)


def load_collectors() -> list[CollectorSpec]:
    """Import every collector module once (they register themselves)."""
    import importlib
    import pkgutil

    import opsctl.collect as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in {"runner"} and not mod.name.startswith("_"):
            importlib.import_module(f"opsctl.collect.{mod.name}")
    return list(COLLECTORS)


ProgressFn = Callable[[str, int, int], None]


def collect(
    aws: Any,
    regions: list[str],
    *,
    account: str,
    partition: str = "aws",
    services: Iterable[str] | None = None,
    workers: int = 16,
    progress: ProgressFn | None = None,
    check_params: dict[str, dict[str, Any]] | None = None,
    stop: threading.Event | None = None,
    limiter: Any = None,
    grace: float = STOP_GRACE_SECONDS,
) -> Snapshot:
    """Run the collectors over the regions and return the snapshot.

    Tasks are (collector, region) pairs on an outer pool; their per-resource detail calls go to
    the context's inner pool, so nested waits cannot deadlock. Phase-2 collectors run after
    phase 1 with its resources in `ctx.inventory`. ``limiter`` (opsctl.ratelimit) paces the calls
    per (account, region, service).

    Stopping: ``stop`` set by someone else (the organisation audit): every thread raises Cancelled
    at its next call and collect re-raises it at once. A KeyboardInterrupt (Ctrl-C) in the calling
    thread: collect sets the stop event, cancels the tasks not started, waits at most ``grace``
    seconds for those in flight and returns the snapshot of what finished; every (collector,
    region) that did not is a listing gap `Interrupted`, so its checks report ERROR, never PASS;
    collect raises CollectionInterrupted (a KeyboardInterrupt) carrying that snapshot. Threads still
    blocked in a call are left behind (the per-call read timeout ends them); they can no longer
    change the snapshot.
    """
    specs = load_collectors()
    if services is not None:
        wanted = set(services)
        specs = [s for s in specs if s.service in wanted]
    stop = stop if stop is not None else threading.Event()
    ctx = CollectContext(aws, account, partition, workers, check_params, stop=stop, limiter=limiter)
    tasks: list[tuple[CollectorSpec, str]] = []
    for spec in specs:
        for region in ([GLOBAL] if spec.scope == "global" else regions):
            tasks.append((spec, region))

    resources: dict[str, list[dict[str, Any]]] = {}
    attempted: dict[str, set[str]] = {}
    finished: set[tuple[str, str]] = set()  # (collector name, region) of the tasks that ran to the end
    started = time.perf_counter()
    done = 0
    lock = threading.Lock()
    closed = False  # set once the snapshot is taken: a thread finishing later changes nothing

    def run(task: tuple[CollectorSpec, str]) -> None:
        nonlocal done
        spec, region = task
        try:
            out = spec.fn(ctx, region) or {}
        except _CALL_ERRORS as exc:  # a collector let an AWS error escape: record it, move on
            if stop.is_set():
                raise Cancelled() from None
            for t in spec.types:
                ctx._record(spec.service, region, spec.fn.__name__, exc, t, "")
            out = {}
        except Exception as exc:  # noqa: BLE001 - one collector's bug or odd response must not lose the others' data
            if stop.is_set():  # the detail pool was shut under it (CancelledError, RuntimeError): not a bug
                raise Cancelled() from None
            if os.environ.get("OPSCTL_DEBUG"):
                traceback.print_exc()
            for t in spec.types:
                ctx._add_gap(CoverageGap(spec.service, region, spec.fn.__name__, "CollectorError", f"{type(exc).__name__}: {exc}", t, ""))
            out = {}
        with lock:
            if closed:
                return
            for t in spec.types:
                attempted.setdefault(t, set()).add(region)
            for t, items in out.items():
                for item in items:
                    item.pop("type", None)
                resources.setdefault(t, []).extend(items)
            finished.add((spec.fn.__name__, region))
            done += 1
            if progress:
                progress(f"{spec.service} {region}", done, len(tasks))

    interrupted = False
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks) or 1)), thread_name_prefix="opsctl-collect")
    futures: list[Future] = []
    try:
        for phase in (1, 2):
            if phase == 2:
                ctx.inventory = resources
            pending: set[Future] = set()
            for task in tasks:
                if task[0].phase == phase:
                    futures.append(pool.submit(run, task))
                    pending.add(futures[-1])
            while pending:  # short waits: a Ctrl-C is seen within 0.25 s however the signal arrives
                done_now, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                for fut in done_now:
                    fut.result()  # Cancelled when someone else set `stop`
    except KeyboardInterrupt:
        interrupted = True
        stop_and_wait(stop, futures, grace)
    except Cancelled:
        stop.set()
        raise
    finally:
        stopping = stop.is_set()
        pool.shutdown(wait=not stopping, cancel_futures=stopping)
        ctx.close()
        with lock:
            closed = True
        with ctx._coverage_lock:
            coverage = list(ctx.coverage)

    if interrupted:
        for spec, region in tasks:
            if (spec.fn.__name__, region) not in finished:
                for t in spec.types:
                    coverage.append(CoverageGap(spec.service, region, spec.fn.__name__, INTERRUPTED,
                                                "the run was interrupted (Ctrl-C) before this was collected", t, ""))
    gaps = {(g.resource_type, g.region) for g in coverage if g.resource_type and not g.resource_id}
    collected = {t: sorted(r for r in regs if (t, r) not in gaps) for t, regs in attempted.items()}
    for items in resources.values():
        items.sort(key=lambda r: (r.get("region", ""), r.get("arn", "")))
    snap = Snapshot(
        account=account,
        regions=list(regions),
        partition=partition,
        resources=resources,
        collected=collected,
        coverage=sorted(coverage, key=lambda g: (g.service, g.region, g.operation, g.resource_id)),
    )
    snap.stats = {"calls": ctx.calls, "seconds": round(time.perf_counter() - started, 3), "tasks": len(tasks)}  # type: ignore[attr-defined]
    if interrupted:
        snap.stats.update({"interrupted": True, "tasks_done": len(finished)})  # type: ignore[attr-defined]
        raise CollectionInterrupted(snap)
    return snap
