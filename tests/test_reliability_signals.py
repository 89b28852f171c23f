"""Signals and crashes: SIGTERM, SIGHUP and SIGINT stop a render alike, in the CLI and in
``render()`` on the main thread; ``kill -9`` leaves only a ``.part`` that the next render
removes. Every case runs a real render in a child process and signals it mid-render."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import yaml

import clipkit as ck
from clipkit.render import safety

TEMPLATE = {
    "version": 1,
    # long enough (about 2 s here) that every child is still encoding when its turn to be
    # signalled comes: at 320x568 a quiet machine finished one before it was signalled
    "canvas": {"width": 540, "height": 960, "fps": 30},
    "slots": [{"id": "a"}],
    "shots": [{"slot": "a", "duration": 3.0}, {"slot": "a", "duration": 3.0}],
    "output": {"preset": "medium"},
}

LIBRARY_CHILD = textwrap.dedent(
    """
    import sys, clipkit as ck
    clip = ck.open(sys.argv[1])
    edit = ck.sequence([clip, clip, clip], canvas=ck.Canvas(540, 960, 30))
    edit.render(sys.argv[2], preset="medium")
    print("finished")
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(ck.__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _default_signals() -> None:
    """A child's signals as a terminal starts a program, whatever started these tests (a
    background job of a non-interactive shell ignores SIGINT, and children inherit that)."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _cli(template: Path, clip: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "clipkit.cli.main", "render", str(template), "--clip", f"a={clip}", "-o", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), preexec_fn=_default_signals,
    )


def _library(script: Path, clip: str, out: Path, *, ignore_sigint: bool = False) -> subprocess.Popen[str]:
    def start() -> None:
        _default_signals()
        if ignore_sigint:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, str(script), clip, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), preexec_fn=start
    )


def _wait_for_part(folder: Path, proc: subprocess.Popen[str], timeout: float = 60.0) -> bool:
    """Wait until the render's temporary file exists (the render is encoding)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.name.endswith(".part") for p in folder.iterdir()):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(TEMPLATE))
    return path


@pytest.fixture()
def library_script(tmp_path: Path) -> Path:
    path = tmp_path / "child.py"
    path.write_text(LIBRARY_CHILD)
    return path


SIGNALS = [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)]


def _signal_children(start, tmp_path: Path, expected_line: str) -> None:  # noqa: ANN001 - a child factory
    """Start one child per signal at once (they share the wait for start-up), signal each
    a random moment after its render began encoding, and check how each one ended."""
    rng = random.Random(7)
    runs = []
    for signame, code in SIGNALS:
        out_dir = tmp_path / f"out_{signame}"
        out_dir.mkdir()
        runs.append((signame, code, out_dir, start(out_dir / "o.mp4")))
    for signame, _code, out_dir, proc in runs:
        assert _wait_for_part(out_dir, proc), proc.communicate()
        time.sleep(rng.uniform(0.0, 0.2))
        proc.send_signal(getattr(signal, signame))
    for signame, code, out_dir, proc in runs:
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == code, (signame, stderr)
        assert stderr.strip().splitlines() == [expected_line.format(signame=signame)], stderr
        assert "Traceback" not in stderr and "finished" not in stdout
        assert sorted(p.name for p in out_dir.iterdir()) == [], signame


def test_cli_signals_mid_render(template: Path, portrait: str, tmp_path: Path) -> None:
    _signal_children(lambda out: _cli(template, portrait, out), tmp_path, "clipkit: stopped by {signame}; no partial output was left")


def test_library_render_signals_exit_cleanly(library_script: Path, portrait: str, tmp_path: Path) -> None:
    """render() on the main thread of a script that left the signals alone."""
    _signal_children(
        lambda out: _library(library_script, portrait, out), tmp_path, "clipkit: render stopped by {signame}; the partial output was removed"
    )


def test_kill_9_leaves_a_part_that_the_next_render_removes(template: Path, portrait: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _cli(template, portrait, out_dir / "o.mp4")
    assert _wait_for_part(out_dir, proc), proc.communicate()
    proc.kill()
    proc.communicate(timeout=60)
    left = [p.name for p in out_dir.iterdir()]
    assert len(left) == 1 and left[0].startswith(".o.mp4.") and f"-{proc.pid}-" in left[0] and left[0].endswith(".part")
    # the next render into that folder cleans it; its own output stays
    ck.sequence([ck.color("red", duration=0.2)], canvas=ck.Canvas(32, 32, 30)).render(out_dir / "next.mp4", preset="ultrafast")
    assert sorted(p.name for p in out_dir.iterdir()) == ["next.mp4"]


def test_live_and_foreign_parts_are_left_alone(tmp_path: Path) -> None:
    folder = tmp_path
    live_tmp, live_fd = safety.claim_temporary(str(folder / "live.mp4"))  # this process: alive and locked
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other_live = folder / f".b.mp4.{safety._host_tag()}-{sleeper.pid}-0123abcd.part"
        other_live.write_bytes(b"x")
        other_host = folder / ".c.mp4.otherhost-1-89abcdef.part"
        other_host.write_bytes(b"x")
        unrelated = folder / ".notes.part"
        unrelated.write_bytes(b"x")
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
        stale = folder / f".d.mp4.{safety._host_tag()}-{int(dead.stdout)}-fedcba98.part"
        stale.write_bytes(b"x")
        removed = safety.remove_stale_parts(str(folder))
        assert removed == [str(stale)]
        assert {p.name for p in folder.iterdir()} == {os.path.basename(live_tmp), other_live.name, other_host.name, unrelated.name}
    finally:
        sleeper.kill()
        sleeper.wait()
        os.close(live_fd)
        os.unlink(live_tmp)


def test_a_locked_part_of_a_dead_pid_is_kept(tmp_path: Path) -> None:
    """A lock still held (a forked child kept the descriptor) means someone still writes."""
    import fcntl

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    part = tmp_path / f".e.mp4.{safety._host_tag()}-{int(dead.stdout)}-00000000.part"
    part.write_bytes(b"x")
    fd = os.open(part, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert safety.remove_stale_parts(str(tmp_path)) == []
    finally:
        os.close(fd)
    assert safety.remove_stale_parts(str(tmp_path)) == [str(part)]


def test_a_script_started_in_the_background_still_ends_cleanly_on_sigterm(library_script: Path, portrait: str, tmp_path: Path) -> None:
    """A shell's background job ignores SIGINT; the render still takes SIGTERM over (and
    leaves SIGINT ignored), so nothing partial is left behind."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _library(library_script, portrait, out_dir / "o.mp4", ignore_sigint=True)
    assert _wait_for_part(out_dir, proc), proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "clipkit: render stopped by SIGTERM; the partial output was removed" in stderr
    assert list(out_dir.iterdir()) == []


def test_render_in_a_thread_or_with_own_handlers_keeps_the_program_s_signals(portrait: str, tmp_path: Path) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 0.2)], canvas=ck.Canvas(32, 32, 30))
    before = {s: signal.getsignal(s) for s in safety.HANDLED_SIGNALS}
    seen: dict[int, object] = {}

    def progress(_p: ck.RenderProgress) -> None:
        seen.update({s: signal.getsignal(s) for s in safety.HANDLED_SIGNALS})

    worker = threading.Thread(target=lambda: edit.render(tmp_path / "a.mp4", preset="ultrafast", progress=progress))
    worker.start()
    worker.join()
    assert seen == before  # a worker thread never touches them
    mine = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        seen.clear()
        edit.render(tmp_path / "b.mp4", preset="ultrafast", progress=progress)
        assert seen[signal.SIGTERM] is not safety._on_signal  # the program's own handler stays
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        seen.clear()
        edit.render(tmp_path / "c.mp4", preset="ultrafast", progress=progress)
        assert seen[signal.SIGTERM] is safety._on_signal  # unclaimed: the render takes it over...
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # ...and gives it back
    finally:
        signal.signal(signal.SIGTERM, mine)
    assert {s: signal.getsignal(s) for s in safety.HANDLED_SIGNALS if s != signal.SIGTERM} == {
        s: h for s, h in before.items() if s != signal.SIGTERM
    }
