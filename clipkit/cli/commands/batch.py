"""``clipkit batch``: render every job of a batch file, on warm local workers or on Ray.

Exit codes: 0 every job succeeded (or was done before, with ``--resume``); 1 some
failed or were invalid; 2 the batch does not validate (``--fail-fast`` with an invalid
job, ``--dry-run`` finding one, an unreadable batch file); 130 interrupted (SIGINT);
143 terminated (SIGTERM). Stopped by a signal, the running renders are cancelled and
leave nothing partial, and the manifest holds every job that finished.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ...errors import BatchError

EXIT_TERMINATED = 143
EXIT_INTERRUPTED = 130


def register(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        help="render every job of a batch file (JSONL, YAML or JSON) on a pool of warm workers",
        description="Render many videos from templates. Each finished job is appended to OUTDIR/manifest.jsonl.",
    )
    p.add_argument("jobs", metavar="JOBS", help="batch file: JSONL (one job per line), or YAML/JSON with jobs: and defaults:")
    p.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", help="folder for the outputs and manifest.jsonl")
    p.add_argument("--workers", type=int, metavar="N", help="parallel renders (default: from the measured curve, one per core)")
    p.add_argument("--threads", type=int, metavar="N", help="x264 threads per render (default: from the same curve; 0 = x264's choice)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the jobs on warm Ray actors: on the cluster at ADDRESS, or on a local Ray when no address is given")
    p.add_argument("--resume", action="store_true", help="skip jobs the manifest records as done whose output still has that sha256")
    p.add_argument("--fail-fast", action="store_true", help="refuse the batch if any job is invalid; stop at the first failed render")
    p.add_argument("--dry-run", action="store_true", help="print the expanded jobs and their validation; render nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_batch)


def run_batch(args: argparse.Namespace) -> int:
    from ...batch import batch_iter, default_manifest, summarize
    from ...batch.jobs import coerce_jobs, prepare_jobs

    out_dir = Path(args.output_dir)
    if args.dry_run:
        prepared = prepare_jobs(coerce_jobs(args.jobs), output_dir=out_dir)
        for job in prepared:
            if job.error is None:
                extra = "".join(f" {k}={v}" for k, v in job.variant.items())
                sys.stdout.write(f"ok       {job.id}  -> {job.output}  ({os.path.basename(job.template)}{extra}; {job.origin})\n")
            else:
                sys.stdout.write(f"invalid  {job.id}  {job.error}\n")
        bad = sum(job.error is not None for job in prepared)
        sys.stdout.write(f"{len(prepared)} jobs, {len(prepared) - bad} valid, {bad} invalid\n")
        return 2 if bad else 0
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"{out_dir}: the output folder cannot be created ({exc.strerror or exc})", field="--output-dir") from None
    manifest = default_manifest(out_dir)
    cancel = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        # stop cleanly: the pool cancels the running renders and records what finished
        received.append(signum)
        cancel.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    bar = _BatchBar(enabled=not args.quiet and sys.stderr.isatty())
    results = []
    try:
        for result in batch_iter(
            args.jobs,
            workers=args.workers,
            threads=args.threads,
            backend="ray" if args.ray is not None else "local",
            ray_address=args.ray or None,
            output_dir=out_dir,
            manifest=manifest,
            resume_from=manifest if args.resume else None,
            fail_fast=args.fail_fast,
            progress=bar,
            cancel=cancel,
        ):
            results.append(result)
            bar.write_result(result)
    finally:
        bar.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    counts = summarize(results)
    sys.stdout.write(
        f"{len(results)} jobs: {counts['ok']} ok, {counts['skipped']} skipped, {counts['failed']} failed, "
        f"{counts['invalid']} invalid, {counts['cancelled']} cancelled; manifest {manifest}\n"
    )
    if received:
        sys.stderr.write(f"clipkit: batch stopped by {signal.Signals(received[0]).name}; finished jobs are in {manifest}\n")
        return EXIT_TERMINATED if received[0] == signal.SIGTERM else EXIT_INTERRUPTED
    return 0 if counts["failed"] + counts["invalid"] + counts["cancelled"] == 0 else 1


class _BatchBar:
    """A tqdm bar over jobs (done / failed / running, ETA) with the running jobs' frames."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=p.total, unit="job", desc="batch", file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.update(p.finished - self.bar.n)
        running = " ".join(f"{r.id}:{r.frames_done}/{r.total_frames}" for r in p.running[:4])
        more = f" +{len(p.running) - 4}" if len(p.running) > 4 else ""
        self.bar.set_postfix_str(f"failed {p.failed}, running {len(p.running)} [{running}{more}]", refresh=False)

    def write_result(self, result: Any) -> None:
        """One line per job that did not succeed, above the bar."""
        if result.status in ("ok", "skipped"):
            return
        line = f"{result.status}: {result.id}: {result.error}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            sys.stderr.write(line + "\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
