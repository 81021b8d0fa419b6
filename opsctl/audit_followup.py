"""What `opsctl audit` does once the checks are evaluated: waivers, the baseline, the report directory.

`prepare` reads and validates the inputs before anything is collected (a bad waiver or baseline
is exit 2 at once, not after a long collection); `apply` is pure over the Result; `finish` writes
the report directory and prints on stderr. The CLI calls the three in that order.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from opsctl.errors import UsageError
from opsctl.report.helpers import RUNBOOK_DIR, is_relative_link, replace_links, repository_path

REPORT_BASENAME = "opsctl-report"
DIFF_BASENAME = "opsctl-diff"
TODAY_ENV = "OPSCTL_TODAY"


def today_utc() -> date:
    """Today's date in UTC, or ``OPSCTL_TODAY`` (YYYY-MM-DD) to evaluate waiver expiry as of another day."""
    override = os.environ.get(TODAY_ENV)
    if override:
        try:
            return date.fromisoformat(override.strip())
        except ValueError:
            raise UsageError(f"{TODAY_ENV}={override!r} is not a date YYYY-MM-DD; unset it to use today") from None
    return datetime.now(timezone.utc).date()


@dataclass
class AuditFollowup:
    waivers: list[Any] | None = None
    baseline: dict[str, Any] | None = None
    fail_on_new: bool = False
    today: date = field(default_factory=today_utc)
    diff: dict[str, Any] | None = None
    #: --fail-on-savings USD (else config `fail_on_savings`): exit 1 on new waste above it (with a
    #: baseline) or on potential savings above it (without); None: money never fails the run
    fail_on_savings: float | None = None

    @classmethod
    def prepare(cls, cfg: Any, registry: dict[str, Any], waivers_path: str | None, baseline_path: str | None,
                fail_on_new: bool, today: date | None = None, fail_on_savings: float | None = None) -> AuditFollowup:
        from opsctl.diff import load_result
        from opsctl.waivers import check_known, load_waivers

        if fail_on_new and not baseline_path:
            raise UsageError("--fail-on-new needs --baseline OLD.json (the earlier result to compare with)")
        waivers = load_waivers(waivers_path) if waivers_path else cfg.sections.get("waivers")
        if waivers:
            check_known(waivers, registry)
        baseline = load_result(baseline_path, "--baseline") if baseline_path else None
        if fail_on_savings is None:
            fail_on_savings = getattr(cfg, "fail_on_savings", None)
        return cls(waivers, baseline, fail_on_new, today or today_utc(), fail_on_savings=fail_on_savings)

    def savings_breach(self, result: Any) -> str | None:
        """Why --fail-on-savings fails the run (one line), or None (opsctl.audit.savings_breach)."""
        from opsctl.audit import savings_breach

        return savings_breach(result, self.fail_on_savings, self.diff)

    def apply(self, result: Any) -> Any:
        """Waivers first (so the diff sees WAIVED), then the diff against the baseline."""
        from opsctl.diff import diff_results
        from opsctl.waivers import apply_waivers

        if self.waivers is not None:
            result = apply_waivers(result, self.waivers, self.today)
        if self.baseline is not None:
            self.diff = diff_results(self.baseline, result.to_dict())
            result.metadata["baseline"] = {"file": self.baseline.get("_file", ""),
                                           "evaluated_at": (self.baseline.get("metadata") or {}).get("evaluated_at"),
                                           "counts": dict(self.diff["counts"])}
        return result

    def new_only(self, result: Any) -> set[tuple[str, str]] | None:
        """With --fail-on-new: the FAILs that count for the exit code."""
        from opsctl.diff import new_failures

        if not self.fail_on_new or self.baseline is None:
            return None
        return new_failures(self.baseline, result.findings, result.account)

    def finish(self, result: Any, report_dir: str | None, show_pass: bool, echo=None, fail_on: str = "high",
               **render_options: Any) -> list[Path]:
        """Write the report directory (`render_options` go to every renderer, e.g. sarif_location,
        runbook_base_url), then say on stderr what was written and how waivers and the baseline came out
        (with --fail-on-new: how many new FAILs reach `fail_on`, the ones the exit code counts)."""
        from opsctl.report.diff_report import headline
        from opsctl.waivers import describe

        echo = echo or _stderr
        written, skipped = (write_report_dir(result, report_dir, show_pass, self.diff, **render_options)
                            if report_dir else ([], {}))
        for line in written_lines(written, report_dir):
            echo(line)
        for fmt, reason in skipped.items():
            echo(f"skipped the {fmt} report: {reason}")
        for line in describe(result.waivers):
            echo(line)
        if self.diff is not None:
            counted = f"; {self._counted(result, fail_on)}" if self.fail_on_new else ""
            echo(f"since {self.diff['old']['file']}: {headline(self.diff)}{counted}")
            for w in self.diff["warnings"]:
                echo(f"warning: {w}")
        return written


    def _counted(self, result: Any, fail_on: str) -> str:
        """`1 new FAIL counts for the exit code (at or above --fail-on high)`, or how many do not."""
        from opsctl.audit import failing

        new = self.new_only(result) or set()
        fails = failing(result, "info", new)  # every new FAIL: info is the lowest severity
        counted = len(failing(result, fail_on, new))
        return (f"{counted} of {len(fails)} new FAIL(s) at or above --fail-on {fail_on} "
                f"count{'s' if counted == 1 else ''} for the exit code")


def _stderr(line: str) -> None:
    import click

    click.echo(line, err=True)


def written_lines(written: list[Path], report_dir: str | None) -> list[str]:
    """`wrote PATH` for each report written, then one `wrote N runbooks to DIR/runbooks/` for the runbooks."""
    folder = Path(report_dir) / RUNBOOK_DIR if report_dir else None
    runbooks = [p for p in written if folder is not None and p.parent == folder]
    lines = [f"wrote {p}" for p in written if p not in runbooks]
    if runbooks:
        lines.append(f"wrote {len(runbooks)} runbook{'s' if len(runbooks) != 1 else ''} to {folder}{os.sep}")
    return lines


def linked_runbooks(result: Any) -> list[str]:
    """The checks whose runbooks the reports link to: every check with a finding in the result.

    A check that found no resource has no finding and no link. PASS findings count: the HTML
    report (behind its status filter) and the CSV list every finding with its runbook link."""
    return sorted({f.check_id for f in result.findings})


def runbook_documents(check_ids: list[str], folder: Path) -> list[tuple[Path, str]]:
    """`folder/<check>.md` and its text for each check: the runbook shipped with opsctl, its links
    to files of the opsctl repository (`../docs/…`) turned into text naming the file (they would
    not resolve beside the reports), or a note for a check this opsctl ships no runbook for (a
    result of another version). Ids that are not check ids (a hand-edited result) get none."""
    from opsctl import __version__
    from opsctl.registry import ID_PATTERN
    from opsctl.report.helpers import load_runbook

    ids = {c for c in check_ids if ID_PATTERN.match(c)}

    def portable(label: str, target: str) -> str | None:
        if not is_relative_link(target):
            return None
        path = repository_path(target)
        sibling = path.startswith(f"{RUNBOOK_DIR}/") and path.endswith(".md") and path[len(RUNBOOK_DIR) + 1:-3] in ids
        return None if sibling else f"{label} (`{path}` in the opsctl repository)"

    docs = []
    for check_id in sorted(ids):
        text = load_runbook(check_id)
        if text is None:
            text = (f"# {check_id}\n\nopsctl {__version__} ships no runbook for `{check_id}`: the result comes from "
                    f"another version of opsctl, whose `opsctl explain {check_id}` shows it.\n")
        docs.append((folder / f"{check_id}.md", replace_links(text, portable)))
    return docs


def report_file_names(renderers: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """format -> file name in the report directory: opsctl-report.<ext>, or opsctl-report.<format>.<ext>
    when two formats share an extension."""
    exts = Counter(ext for _, _, ext in renderers.values())
    return {fmt: f"{REPORT_BASENAME}.{ext}" if exts[ext] == 1 else f"{REPORT_BASENAME}.{fmt}.{ext}"
            for fmt, (_, _, ext) in renderers.items()}


def write_report_dir(result: Any, report_dir: str, show_pass: bool, diff: dict[str, Any] | None = None,
                     **render_options: Any) -> tuple[list[Path], dict[str, str]]:
    """Every registered format (opsctl.report.RENDERERS) into `report_dir`, plus the JSON result
    and, with a baseline, the diff as text, Markdown and JSON; without a `runbook_base_url`, the
    runbooks the reports link to (`runbooks/<check>.md`, :func:`linked_runbooks`) into
    `report_dir/runbooks/`, so that no link is dead. Returns the paths written, the runbooks last,
    and the formats that could not be rendered with why (a renderer's UsageError, e.g. SARIF
    without a location): one missing format does not cost the others."""
    from opsctl.errors import OpsctlError
    from opsctl.report import RENDERERS, render
    from opsctl.report.diff_report import render_diff

    out = Path(report_dir)
    documents: list[tuple[Path, str]] = []
    skipped: dict[str, str] = {}
    names = report_file_names(RENDERERS)
    options = {"color": False, "width": 160, "show_pass": show_pass, **render_options}
    for fmt in RENDERERS:
        try:
            documents.append((out / names[fmt], render(result, fmt, **options)))
        except OpsctlError as exc:
            skipped[fmt] = str(exc)
    if "json" not in RENDERERS:
        from opsctl.report.json_report import render_json

        documents.append((out / f"{REPORT_BASENAME}.json", render_json(result)))
    if diff is not None:
        diff = {**diff, "new": {**diff["new"], "file": str(out / names.get("json", f"{REPORT_BASENAME}.json"))}}
        for fmt, ext in (("table", "txt"), ("markdown", "md"), ("json", "json")):
            documents.append((out / f"{DIFF_BASENAME}.{ext}", render_diff(diff, fmt)))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir: cannot create {report_dir} ({exc.strerror or exc})") from None
    written, failed = [], []
    if not render_options.get("runbook_base_url"):  # with one the links point there: nothing to write
        runbooks = runbook_documents(linked_runbooks(result), out / RUNBOOK_DIR)
        try:
            if runbooks:
                (out / RUNBOOK_DIR).mkdir(exist_ok=True)
            documents += runbooks
        except OSError as exc:
            failed.append(f"{out / RUNBOOK_DIR}{os.sep} ({exc.strerror or exc})")
    for path, text in documents:  # one file that cannot be written does not cost the others
        try:
            path.write_text(text, encoding="utf-8")
            written.append(path)
        except OSError as exc:
            failed.append(f"{path} ({exc.strerror or exc})")
    if failed:
        done = f"; wrote the other {len(written)}" if written else ""
        raise UsageError(f"--report-dir: cannot write {', '.join(failed)}{done}")
    return written, skipped
