#!/usr/bin/env bash
# Scheduled opsctl audits: one dated report directory per run, each compared with the previous run.
#
#   opsctl-cron.sh REPORTS_DIR [opsctl audit options...]
#
# Each run writes REPORTS_DIR/<UTC timestamp>/ with every report format (opsctl audit
# --report-dir) and audit.log (the audit's own output). When an earlier run left a result,
# the audit gets --baseline REPORTS_DIR/latest/opsctl-report.json, so the run directory also holds
# opsctl-diff.{txt,md,json}: what is new and what was resolved since (the script prints it,
# without the unchanged findings). `latest` then points at this run. Runs beyond the newest $OPSCTL_KEEP (default 30) are deleted.
#
# The script's exit code is the audit's (0 clean, 1 FAILs at or above --fail-on, 2 usage error,
# 3 incomplete with --strict, 4 bug), so cron mails on failure. --fail-on-new among the options is
# dropped on the very first run (there is nothing to be new against yet; --fail-on applies).
#
# One run at a time: the script holds flock(1) on REPORTS_DIR/.lock while it runs (util-linux's
# flock must be installed). The kernel releases the lock when the run ends, however it ends — a
# run that is killed, even with SIGKILL, never jams the next one. A run that finds the lock held
# waits OPSCTL_LOCK_WAIT seconds (default 0) for it, then exits 2 with one line naming the run
# that holds it, without auditing.
#
# Environment: OPSCTL (the opsctl executable; default `opsctl` on PATH — cron's PATH is short,
# so set it to your venv's bin/opsctl), OPSCTL_KEEP (runs to keep, default 30), OPSCTL_LOCK_WAIT
# (seconds to wait for a run in progress, default 0), plus whatever credentials the audit needs
# (AWS_PROFILE, a role, or the instance's).
#
# crontab, every night at 02:15 UTC:
#   15 2 * * * OPSCTL=/opt/opsctl/venv/bin/opsctl /opt/opsctl/scripts/opsctl-cron.sh /var/lib/opsctl/reports --all-regions --fail-on high --fail-on-new --waivers /etc/opsctl/waivers.yaml >>/var/log/opsctl-cron.log 2>&1
set -u -o pipefail

if [ $# -lt 1 ] || [ "${1:0:1}" = "-" ]; then
    echo "usage: $0 REPORTS_DIR [opsctl audit options...]" >&2
    exit 2
fi
reports=$1
shift
opsctl=${OPSCTL:-opsctl}
keep=${OPSCTL_KEEP:-30}
case $keep in '' | *[!0-9]* | 0) echo "opsctl-cron: OPSCTL_KEEP must be a positive integer, got '$keep'" >&2; exit 2 ;; esac
lock_wait=${OPSCTL_LOCK_WAIT:-0}
case $lock_wait in '' | *[!0-9]*) echo "opsctl-cron: OPSCTL_LOCK_WAIT must be a number of seconds, got '$lock_wait'" >&2; exit 2 ;; esac
if ! command -v flock >/dev/null 2>&1; then
    echo "opsctl-cron: flock(1) is not installed (package util-linux); it keeps two runs from overlapping" >&2
    exit 2
fi

mkdir -p "$reports" || exit 2
# One run at a time: flock on $lock, held by fd 9 (and by the audit, which inherits it) until the
# run ends; the kernel releases it however the run ends. The file stays; only the lock matters.
lock="$reports/.lock"
if [ -d "$lock" ]; then  # the lock directory of an older version of this script, left by a killed run
    rmdir "$lock" 2>/dev/null || { echo "opsctl-cron: $lock is a directory (an older script's lock?); remove it" >&2; exit 2; }
fi
if ! exec 9>>"$lock"; then
    echo "opsctl-cron: cannot open the lock file $lock" >&2
    exit 2
fi
if ! flock -n 9; then
    holder=$(head -n 1 "$lock" 2>/dev/null)
    if [ "$lock_wait" -gt 0 ]; then
        echo "opsctl-cron: another run holds $lock${holder:+ ($holder)}; waiting up to ${lock_wait}s for it" >&2
    fi
    if [ "$lock_wait" -eq 0 ] || ! flock -w "$lock_wait" 9; then
        echo "opsctl-cron: another run holds $lock${holder:+ ($holder)}; this run stops without auditing (OPSCTL_LOCK_WAIT=SECONDS waits for it)" >&2
        exit 2
    fi
fi
echo "pid $$ since $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$lock"  # who holds it, for the line above

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
run="$reports/$stamp"
n=1
while [ -e "$run" ]; do n=$((n + 1)); run="$reports/$stamp-$n"; done
mkdir -p "$run" || exit 2

previous=""
if [ -L "$reports/latest" ] && [ -f "$reports/latest/opsctl-report.json" ]; then
    previous="$reports/$(readlink "$reports/latest")/opsctl-report.json"
fi
args=(audit --report-dir "$run")
if [ -n "$previous" ]; then
    args+=(--baseline "$previous")
    args+=("$@")
else
    for a in "$@"; do [ "$a" = "--fail-on-new" ] || args+=("$a"); done
fi

"$opsctl" "${args[@]}" >"$run/audit.log" 2>&1
rc=$?

if [ -f "$run/opsctl-report.json" ]; then
    ln -sfn "$(basename "$run")" "$reports/latest"
    echo "opsctl-cron: $run (exit $rc)"
    if [ -n "$previous" ]; then
        "$opsctl" report diff "$previous" "$run/opsctl-report.json" --hide-unchanged
    else
        echo "opsctl-cron: first run, nothing to compare with"
    fi
else
    echo "opsctl-cron: $run: the audit wrote no result (exit $rc); audit.log says why:" >&2
    tail -n 20 "$run/audit.log" >&2
fi

# Prune: keep the newest $keep run directories (names sort by time), never the one `latest` names.
current=$(readlink "$reports/latest" 2>/dev/null || true)
runs=()
for d in "$reports"/[0-9][0-9][0-9][0-9]-*/; do   # a glob sorts by name, here by time
    [ -d "$d" ] && runs+=("$(basename "$d")")
done
excess=$((${#runs[@]} - keep))
for ((i = 0; i < excess; i++)); do
    [ "${runs[$i]}" = "$current" ] && continue
    rm -rf -- "${reports:?}/${runs[$i]}"
done

exit "$rc"
