"""The grading sandbox (homework/sandbox.py) against hostile submissions.

One batch of hw1 submissions is graded by the command line in a subprocess, as an instructor runs
it: its command line (with the submissions folder and the gradebook) and its environment (with a
HOME that holds a secret) are in /proc for anyone who can see the process. The batch holds two
honest copies of the solution and one notebook per attack, each the solution with an attack cell
written here. Every attack must end with the attacker's own row only: every other submission
byte-identical, the honest copies at full marks, nothing outside the sandbox changed or read, and
the attacker's row with the status that says what happened. The limits are set low (1 GiB, 10 s
of CPU, 16 MiB files, 64 processes) to keep the batch short. A second, small batch runs the
isolation attacks without the sandbox, to show that they are real.
"""

import csv
import hashlib
import os
import pathlib
import re
import socket
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from homework import build, grade, sandbox

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "instructor-secret-8c1f"
GRADEBOOK = "sandbox-test-gradebook.csv"
DETACHED_MARK = "detached-attack-5e2a"
# the grader's command line, with the autograder built into a temporary folder
GRADER = (
    "import pathlib, sys; from homework import build, grade; "
    "build.DIST = grade.DIST = pathlib.Path(sys.argv[1]); "
    "from homework.__main__ import main; sys.exit(main(sys.argv[2:]))"
)
LIMITS = [
    "--memory-limit",
    "1024",
    "--cpu-limit",
    "10",
    "--file-size-limit",
    "16",
    "--process-limit",
    "64",
]

# Every absolute path in the command line and environment of each process the notebook can see.
FIND_PATHS = r"""
import os, re
def found_paths():
    paths = set()
    for pid in filter(str.isdigit, os.listdir('/proc')):
        for name in ('cmdline', 'environ'):
            try:
                text = open(f'/proc/{pid}/{name}', 'rb').read().decode(errors='replace')
            except OSError:
                continue
            paths.update(re.findall(r'/[^\x00\s:=]+', text))
    return paths
"""

ATTACKS = {
    # the folder that holds this notebook's original, found through /proc: overwrite the others
    "proc_write.ipynb": FIND_PATHS
    + r"""
hits = []
for folder in found_paths():
    if os.path.isfile(os.path.join(folder, 'proc_write.ipynb')):
        for name in os.listdir(folder):
            if name != 'proc_write.ipynb':
                try:
                    with open(os.path.join(folder, name), 'w') as f:
                        f.write('{"cells": []}')
                    hits.append(name)
                except OSError:
                    pass
raise RuntimeError(f'overwrote {len(hits)} files')
""",
    # a grandchild in a new session with an empty environment, that rewrites the gradebook later
    "detached.ipynb": FIND_PATHS
    + rf"""
import subprocess, sys
targets = [p for p in found_paths() if p.endswith('{GRADEBOOK}')]
payload = '''
import os, sys, time
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
for _ in range(900):
    for path in sys.argv[2:]:
        try:  # whole files, by rename: a reader never sees one half written
            with open(path + '.mallory', 'w') as f:
                f.write('file,student_id,score\\nmallory.ipynb,mallory,100\\n')
            os.replace(path + '.mallory', path)
        except OSError:
            pass
    time.sleep(0.2)
'''
subprocess.Popen(['/usr/bin/env', '-i', sys.executable, '-c', payload, '{DETACHED_MARK}', *targets])
raise RuntimeError(f'started, aiming at {{len(targets)}} gradebooks')
""",
    # the instructor's home, from HOME in the grader's environment; and who am I?
    "home_read.ipynb": FIND_PATHS
    + r"""
stolen = []
for folder in found_paths() | {os.path.expanduser('~')}:
    try:
        stolen.append(open(os.path.join(folder, 'secret.txt')).read())
    except OSError:
        pass
raise RuntimeError(f'uid {os.getuid()} read {len(stolen)} secrets: {stolen}')
""",
    "memory_hog.ipynb": """
blocks = []
while len(blocks) < 64:  # 4 GiB at most
    blocks.append(b'x' * (64 << 20))
""",
    "process_flood.ipynb": """
import os, time
for _ in range(200):
    if os.fork() == 0:
        time.sleep(3)
        os._exit(0)
""",
    "large_file.ipynb": """
with open('large.bin', 'wb') as f:
    for _ in range(64):  # 64 MiB
        f.write(bytes(1 << 20))
""",
    "loopback_socket.ipynb": """
import socket
try:
    socket.create_connection(('127.0.0.1', PORT), timeout=5).sendall(b'stolen')
    outcome = 'connected'
except OSError as error:
    outcome = f'no connection: {error}'
raise RuntimeError(outcome)
""",
    "kernel_exit.ipynb": "import os\nos._exit(0)",
    "cpu_spin.ipynb": """
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        pass
""",
}
# the attacker's row: status and a pattern its reason or feedback must match
EXPECTED = {
    "proc_write.ipynb": ("graded", "overwrote 0 files"),
    "detached.ipynb": ("graded", "aiming at 0 gradebooks"),
    "home_read.ipynb": ("graded", r"uid [1-9]\d* read 0 secrets: \[\]"),  # never root
    "memory_hog.ipynb": ("out-of-memory", "memory limit of 1 GiB"),
    "process_flood.ipynb": (
        "too-many-processes",
        "limit on processes and threads of 64",
    ),
    "large_file.ipynb": ("file-too-large", "file-size limit of 16 MiB"),
    "loopback_socket.ipynb": ("graded", "no connection"),
    "kernel_exit.ipynb": (
        "kernel-died",
        r"exited with code 0 \(os._exit\?\); the grader found it dead at .*import os",
    ),
    "cpu_spin.ipynb": ("cpu-time", "CPU-time limit of 10 s"),
}
# graded in this order, with proc_write.ipynb last (it destroys the others when it can)
ISOLATION = [
    "detached.ipynb",
    "home_read.ipynb",
    "loopback_socket.ipynb",
    "proc_write.ipynb",
]


def sandbox_problem():
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as error:
        return str(error)
    return None


PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox: {PROBLEM}")


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """hw1 built into a temporary folder, so that other test modules may rebuild homework/dist."""
    folder = tmp_path_factory.mktemp("dist")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "DIST", folder)
        build.build_one("hw1", book=tmp_path_factory.mktemp("book"))
    return folder


def digests(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


def detached_processes():
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if DETACHED_MARK in (proc.info["cmdline"] or []):
            found.append(proc)
    return found


def run_batch(dist, folder, names, *options, honest=2):
    """Write the attack notebooks ``names`` and ``honest`` copies of the solution to ``folder``, grade
    them with the command line, and return what the tests look at."""
    solution = dist / "hw1" / "autograder" / "hw1.ipynb"
    submissions, home, feedback = (
        folder / "submissions",
        folder / "home",
        folder / "feedback",
    )
    for path in (submissions, home):
        path.mkdir()
    (home / "secret.txt").write_text(SECRET)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    for name in names:
        source = nbformat.read(solution, as_version=4)
        source.cells.insert(
            2, nbformat.v4.new_code_cell(ATTACKS[name].replace("PORT", str(port)))
        )
        nbformat.write(source, submissions / name)
    for index in range(honest):
        (submissions / f"honest_{index + 1}.ipynb").write_bytes(solution.read_bytes())
    before = digests(submissions)
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
    command = [
        sys.executable,
        "-c",
        GRADER,
        str(dist),
        "grade",
        "hw1",
        str(submissions),
    ]
    command += [
        "--out",
        str(folder / GRADEBOOK),
        "--feedback-dir",
        str(feedback),
        "--jobs",
        "2",
        *options,
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=600
        )
        gradebook = (folder / GRADEBOOK).read_bytes()
        time.sleep(2)  # time for a process left behind to act
        try:
            listener.accept()
            connected = True
        except BlockingIOError:
            connected = False
    finally:
        listener.close()
        survivors = detached_processes()
        for proc in survivors:
            proc.kill()
    rows = {row["file"]: row for row in csv.DictReader(gradebook.decode().splitlines())}
    return {
        "done": done,
        "rows": rows,
        "before": before,
        "after": digests(submissions),
        "connected": connected,
        "gradebook_then": gradebook,
        "gradebook_now": (folder / GRADEBOOK).read_bytes(),
        "survivors": survivors,
        "feedback": {
            path.name.removesuffix(".feedback.txt"): path.read_text()
            for path in feedback.glob("*.txt")
        },
    }


@pytest.fixture(scope="module")
def batch(dist, tmp_path_factory):
    options = ["--timeout", "90", "--cell-timeout", "10", *LIMITS]
    return run_batch(dist, tmp_path_factory.mktemp("batch"), list(ATTACKS), *options)


def test_missing_bubblewrap_stops_grading_with_an_install_hint(
    monkeypatch, tmp_path, capsys
):
    from homework.__main__ import main

    monkeypatch.setattr(sandbox, "bwrap", lambda: None)
    with pytest.raises(
        sandbox.SandboxUnavailable,
        match=r"not installed.*apt-get install bubblewrap.*--no-sandbox",
    ):
        grade.grade("hw1", tmp_path, tmp_path / "out.csv")
    assert (
        main(["grade", "hw1", str(tmp_path), "--out", str(tmp_path / "out.csv")]) == 2
    )
    assert "apt-get install bubblewrap" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_limits_must_be_positive_integers():
    assert sandbox.Limits(cpu=None).cpu is None
    with pytest.raises(
        ValueError, match=r"Limits.memory must be a positive integer; got -1"
    ):
        sandbox.Limits(memory=-1)
    with pytest.raises(
        ValueError, match=r"Limits.cpu must be a positive integer; got 2.5"
    ):
        sandbox.Limits(cpu=2.5)
    with pytest.raises(
        ValueError, match=r"Limits.processes must be a positive integer; got None"
    ):
        sandbox.Limits(processes=None)


def test_limit_statuses():
    limits = sandbox.Limits(memory=1 << 30, cpu=10, file_size=16 << 20, processes=64)

    def hit(**summary):
        return grade.limit_hit(summary, limits)

    def died(sig=None, code=None, cpu=1.0):
        return {"cell": "spin()", "signal": sig, "exit_code": code, "cpu_seconds": cpu}

    def cell(name, message):
        return [["x = f()", name, message]]

    assert hit(kernel_died=died("SIGXCPU", cpu=10.1))[0] == "cpu-time"
    assert hit(kernel_died=died("SIGKILL", cpu=15.0))[0] == "cpu-time"
    found = "the grader found it dead at the cell `spin()`"
    assert hit(kernel_died=died("SIGKILL", cpu=2.0)) == (
        "kernel-died",
        f"the notebook's kernel was killed by SIGKILL; {found}",
    )
    assert (
        hit(kernel_died=died(code=3))[1]
        == f"the notebook's kernel exited with code 3 (os._exit?); {found}"
    )
    assert "running out of memory" in hit(kernel_died=died("SIGSEGV"))[1]
    assert (
        hit(cell_errors=cell("_ArrayMemoryError", "Unable to allocate 8 GiB"))[0]
        == "out-of-memory"
    )
    assert (
        hit(
            cell_errors=cell(
                "RuntimeError", "DefaultCPUAllocator: can't allocate memory"
            )
        )[0]
        == "out-of-memory"
    )
    assert hit(
        cell_errors=cell(
            "BlockingIOError", "[Errno 11] Resource temporarily unavailable"
        )
    )[0] == ("too-many-processes")
    assert (
        hit(cell_errors=cell("RuntimeError", "can't start new thread"))[0]
        == "too-many-processes"
    )
    assert (
        hit(cell_errors=cell("OSError", "[Errno 27] File too large"))[0]
        == "file-too-large"
    )
    assert (
        hit(error="OSError: [Errno 28] No space left on device")[0] == "file-too-large"
    )
    assert hit(cell_errors=cell("ValueError", "bad input")) is None


@needs_sandbox
@pytest.mark.slow
@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_ends_with_the_attackers_own_row(batch, name):
    status, pattern = EXPECTED[name]
    row = batch["rows"][name]
    assert row["status"] == status and row["sandbox"] == "bubblewrap", row
    text = row["reason"] + "\n" + batch["feedback"][name]
    assert 0 <= float(row["score"]) <= float(row["max_score"])
    assert re.search(pattern, text), text[-2000:]


@needs_sandbox
@pytest.mark.slow
def test_other_submissions_unchanged_and_honest_ones_at_full_marks(batch):
    assert batch["done"].returncode == 0, batch["done"].stderr[-3000:]
    assert batch["after"] == batch["before"], "a submission in the folder was changed"
    assert set(batch["rows"]) == set(ATTACKS) | {"honest_1.ipynb", "honest_2.ipynb"}
    for name in ("honest_1.ipynb", "honest_2.ipynb"):
        row = batch["rows"][name]
        # full marks: the assignment's points, the same in every row
        full = {float(r["max_score"]) for r in batch["rows"].values()}
        assert len(full) == 1 and min(full) > 0, full
        assert (row["status"], float(row["score"])) == ("graded", min(full)), row


@needs_sandbox
@pytest.mark.slow
def test_nothing_outlives_grading_or_leaves_the_sandbox(batch):
    assert not batch["survivors"], "a process of the detached attack outlived grading"
    assert batch["gradebook_now"] == batch["gradebook_then"], (
        "the gradebook was changed after grading"
    )
    assert b"mallory" not in batch["gradebook_now"]
    assert not batch["connected"], (
        "a submission connected to a port of the grading machine"
    )
    everything = batch["gradebook_now"].decode() + "".join(batch["feedback"].values())
    assert SECRET not in everything


def test_no_sandbox_warns_and_says_so_in_the_gradebook(
    dist, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(build, "DIST", dist)
    monkeypatch.setattr(grade, "DIST", dist)
    (tmp_path / "notes.txt").write_text("not a notebook")
    rows = grade.grade(
        "hw1", tmp_path, tmp_path / "out" / "gradebook.csv", sandboxed=False
    )
    assert "warning: grading without a sandbox" in capsys.readouterr().err
    assert [(row["status"], row["sandbox"]) for row in rows] == [
        ("invalid", "none (--no-sandbox)")
    ]
    with open(tmp_path / "out" / "gradebook.csv", newline="") as f:
        assert next(csv.DictReader(f))["sandbox"] == "none (--no-sandbox)"


@needs_sandbox
@pytest.mark.slow
def test_the_isolation_attacks_work_without_the_sandbox(dist, tmp_path):
    """The control: without bubblewrap the same notebooks do reach the files, the port and beyond."""
    got = run_batch(
        dist,
        tmp_path,
        ISOLATION,
        "--no-sandbox",
        "--timeout",
        "60",
        "--cell-timeout",
        "10",
        honest=0,
    )
    assert (
        got["done"].returncode == 0
        and "warning: grading without a sandbox" in got["done"].stderr
    )
    assert got["after"] != got["before"]
    assert got["survivors"] and b"mallory" in got["gradebook_now"]
    assert got["connected"]
    assert SECRET in got["feedback"]["home_read.ipynb"]
