"""The machine's errors are user errors: a full disk, a read-only folder, a denied
permission, too many open files, a file-size limit or a folder that vanished mid-render
give one line naming the path and the cause, exit code 2, and nothing left behind.

Real conditions where the platform allows them (a small tmpfs in a user namespace,
resource limits in a child process); an injected writer error for the rest.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import yaml

import clipkit as ck
from clipkit.errors import ResourceError
from clipkit.render import encoder, safety

TEMPLATE = {
    "version": 1,
    "canvas": {"width": 320, "height": 568, "fps": 30},
    "slots": [{"id": "a"}],
    "shots": [{"slot": "a", "duration": 3.0}],
    "output": {"preset": "ultrafast"},
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(ck.__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _can_mount_in_user_namespace() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt 2>/dev/null || mount -t tmpfs tmpfs /tmp"],
                           capture_output=True)
    return probe.returncode == 0


NAMESPACES = _can_mount_in_user_namespace()
needs_namespaces = pytest.mark.skipif(not NAMESPACES, reason="unprivileged user+mount namespaces are not available here")


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(TEMPLATE))
    return path


def _render_on_tmpfs(template: Path, clip: str, mount: Path, *, options: str) -> tuple[int, str, list[str]]:
    """Run ``clipkit render`` into a fresh tmpfs mounted at ``mount`` in a private namespace."""
    mount.mkdir()
    script = (
        f"mount -t tmpfs -o {options} tmpfs {mount} && "
        f"{sys.executable} -m clipkit.cli.main render {template} --clip a={clip} -o {mount}/o.mp4 --quiet; "
        f"rc=$?; ls -A {mount} | sed 's/^/LEFT:/'; exit $rc"
    )
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=_env(), timeout=120)
    left = [line[5:] for line in proc.stdout.splitlines() if line.startswith("LEFT:")]
    return proc.returncode, proc.stderr, left


@needs_namespaces
def test_disk_full(template: Path, portrait: str, tmp_path: Path) -> None:
    code, stderr, left = _render_on_tmpfs(template, portrait, tmp_path / "small", options="size=64k")
    assert code == 2
    assert _one_line(stderr) == f"clipkit: error: {tmp_path}/small/o.mp4: cannot be written: no space left on the device (ENOSPC)"
    assert left == []


@needs_namespaces
def test_read_only_folder(template: Path, portrait: str, tmp_path: Path) -> None:
    code, stderr, left = _render_on_tmpfs(template, portrait, tmp_path / "ro", options="ro,size=1m")
    assert code == 2
    assert _one_line(stderr) == f"clipkit: error: {tmp_path}/ro/o.mp4: cannot be written: the folder is on a read-only file system (EROFS)"
    assert left == []


CHILD = textwrap.dedent(
    """
    import os, resource, signal, sys
    import clipkit as ck
    clip = ck.open(sys.argv[1])
    edit = ck.sequence([clip], canvas=ck.Canvas(320, 568, 30))
    limit = sys.argv[3]
    if limit == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    elif limit == "nofile":
        used = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (used + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    try:
        edit.render(sys.argv[2], preset="ultrafast")
    except ck.ClipkitError as exc:
        print(type(exc).__name__, getattr(exc, "errno", None), str(exc), sep="|")
        sys.exit(2)
    print("rendered")
    """
)


@pytest.mark.parametrize(("limit", "errno_name", "words"), [
    ("fsize", "EFBIG", "cannot be written: the file is larger than this file system or the file-size limit allows (EFBIG)"),
    ("nofile", "EMFILE", "too many open files in this process (raise the limit: ulimit -n) (EMFILE)"),
])
def test_resource_limits(limit: str, errno_name: str, words: str, portrait: str, tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.run([sys.executable, str(script), portrait, str(out_dir / "o.mp4"), limit], capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    kind, code, message = proc.stdout.strip().split("|")
    assert kind == "ResourceError" and int(code) == getattr(errno, errno_name)
    assert message.endswith(words) and ("o.mp4" in message or portrait in message), message
    assert list(out_dir.iterdir()) == []


class _FailingContainer:
    """Wraps a PyAV output container; the n-th packet written fails as a full disk does."""

    def __init__(self, inner: object, after: int, code: int) -> None:
        self._inner = inner
        self._left = after
        self._code = code

    def mux(self, packets: object) -> None:
        self._left -= 1
        if self._left < 0:
            raise OSError(self._code, os.strerror(self._code))
        self._inner.mux(packets)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO, errno.EDQUOT])
def test_writer_failing_mid_stream(code: int, portrait: str, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = encoder.Mp4Writer._setup

    def failing_setup(self: encoder.Mp4Writer, *args: object) -> None:
        setup(self, *args)
        self.container = _FailingContainer(self.container, after=20, code=code)  # type: ignore[assignment]

    monkeypatch.setattr(encoder.Mp4Writer, "_setup", failing_setup)
    threads = {t.name for t in threading.enumerate()}
    edit = ck.sequence([ck.open(portrait)], canvas=ck.Canvas(64, 112, 30))
    with pytest.raises(ResourceError) as info:
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    err = info.value
    assert isinstance(err, OSError) and err.errno == code
    assert str(err) == f"{out_dir / 'o.mp4'}: cannot be written: {safety.RESOURCE_ERRNOS[code]} ({errno.errorcode[code]})"
    assert list(out_dir.iterdir()) == []
    assert {t.name for t in threading.enumerate()} <= threads  # the producer thread ended


def test_permission_denied(out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() != 0:  # a real one: a folder we may not write
        out_dir.chmod(0o500)
    else:  # root writes anywhere: refuse the temporary file the way the kernel would
        real_open = os.open

        def denied(path: object, *args: object, **kwargs: object) -> int:
            if str(path).endswith(".part"):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(safety.os, "open", denied)
    try:
        with pytest.raises(ResourceError) as info:
            ck.sequence([ck.color("red", duration=0.2)], canvas=ck.Canvas(32, 32, 30)).render(out_dir / "o.mp4")
    finally:
        out_dir.chmod(0o700)
    assert str(info.value) == f"{out_dir / 'o.mp4'}: cannot be written: permission denied (EACCES)"
    assert isinstance(info.value, OSError) and info.value.errno == errno.EACCES
    assert list(out_dir.iterdir()) == []


def test_output_folder_removed_mid_render(portrait: str, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()

    def remove_folder(progress: ck.RenderProgress) -> None:
        if progress.frames_done >= 5 and folder.exists():
            shutil.rmtree(folder)

    edit = ck.sequence([ck.open(portrait)], canvas=ck.Canvas(64, 112, 30))
    with pytest.raises(ResourceError) as info:
        edit.render(folder / "o.mp4", preset="ultrafast", progress=remove_folder)
    assert str(info.value) == f"{folder / 'o.mp4'}: cannot be written: its folder {folder} is gone (a removed drive or a lost mount?)"
    assert not folder.exists()


def test_cli_reports_environment_errors_with_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                    portrait: str, template: Path, out_dir: Path) -> None:
    from clipkit.cli.main import main

    def full(path: str) -> tuple[str, int]:
        raise safety.resource_error(path, OSError(errno.ENOSPC, "No space left on device"))  # type: ignore[misc]

    monkeypatch.setattr(safety, "claim_temporary", full)
    code = main(["render", str(template), "--clip", f"a={portrait}", "-o", str(out_dir / "o.mp4"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert _one_line(err) == f"clipkit: error: {out_dir / 'o.mp4'}: cannot be written: no space left on the device (ENOSPC)"
    assert list(out_dir.iterdir()) == []


def test_resource_and_interrupt_errors_survive_pickling() -> None:
    """Worker pools send exceptions between processes."""
    import pickle
    import signal

    from clipkit.errors import Interrupted

    err = pickle.loads(pickle.dumps(ResourceError("/x/o.mp4", "cannot be written: no space left on the device (ENOSPC)", errno.ENOSPC)))
    assert isinstance(err, ResourceError) and isinstance(err, OSError) and err.errno == errno.ENOSPC and err.path == "/x/o.mp4"
    assert str(err) == "/x/o.mp4: cannot be written: no space left on the device (ENOSPC)"
    stop = pickle.loads(pickle.dumps(Interrupted(signal.SIGTERM)))
    assert isinstance(stop, KeyboardInterrupt) and stop.signal_name == "SIGTERM" and stop.exit_code == 143
    assert ResourceError.from_os_error("/x/o.mp4", ValueError("not an OSError")) is None
    assert ResourceError.from_os_error("/x/o.mp4", OSError(errno.EINVAL, "Invalid argument")) is None


@pytest.mark.parametrize("moment", ["claiming the temporary name", "opening the container"])
def test_a_signal_while_the_output_file_is_being_made_leaves_no_partial_file(moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a SIGTERM that lands just after the .part file exists, before the writer is built
    # (so the render has no writer to abort): the writer removes its own file
    import signal
    from fractions import Fraction

    from clipkit.errors import Interrupted
    from clipkit.render.profiles import get_profile

    def signal_then(real):  # noqa: ANN001, ANN202
        def call(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            os.kill(os.getpid(), signal.SIGTERM)  # delivered at the next bytecode, in this frame
            return real(*args, **kwargs)
        return call

    if moment == "opening the container":
        monkeypatch.setattr(encoder.av, "open", signal_then(encoder.av.open))
    else:
        monkeypatch.setattr(safety.fcntl, "flock", signal_then(safety.fcntl.flock))
    with pytest.raises(Interrupted), safety.handle_signals():
        encoder.Mp4Writer(str(tmp_path / "out.mp4"), width=64, height=64, fps=Fraction(30), profile=get_profile("tiktok"))
    assert os.listdir(tmp_path) == []
