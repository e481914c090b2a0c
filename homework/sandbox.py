"""The operating-system sandbox around one grading worker: bubblewrap, resource limits, a clean end.

``python -m homework grade`` runs each submission's worker (``homework/_worker.py``: otter, the
notebook's kernel and whatever the notebook starts) through ``run``. With bubblewrap (``bwrap``,
Debian package ``bubblewrap``) the worker and everything it starts see

- read-only: ``/usr`` (with the ``/bin``, ``/lib`` ... links of the host), the Python environment
  (``sys.prefix`` and the interpreter it was made from, at their own paths), the course package at
  ``/opt/course``, the worker at ``/opt/grader``, this submission and a copy of the autograder zip
  at ``/grading/input``, and a generated ``/etc/passwd``, ``/etc/group`` and ``/etc/hosts``;
- writable: ``/grading`` (HOME and working folder; the worker unpacks the autograder there), a
  private ``/tmp`` and ``/dev/shm``, all in memory, each holding twice the file-size limit;
- its own PID namespace (everything it starts dies with the worker), no network but its own
  loopback interface, its own IPC and host name, a new session, no capabilities, and only the
  environment variables set here. The submissions folder, the gradebook, the feedback folder, the
  instructor's home and every other file of the machine do not exist in there.

It runs as an unprivileged user: started as root, each concurrent sandbox gets a uid of its own
that no account has (``SANDBOX_UID_BASE`` + grader pid * ``MAX_JOBS`` + slot), because the kernel
does not count the processes of a uid mapped to root; started as another user, uid 65534 in a
user namespace of its own. Limits (``Limits``) are set with ``setrlimit`` by the worker itself,
inside, before it starts anything; they are inherited by every process it starts.

``run`` returns only after every process of the sandbox has ended: the sandbox's PID 1 is watched
through a pidfd, which becomes readable once the kernel has killed and reaped the whole namespace.
Without bubblewrap (``sandboxed=False``, ``grade --no-sandbox``) the worker runs as the grader's
user with the grader's view of the machine and only the wall-clock, memory, CPU and file-size
limits; processes are then found for the final clean-up by an environment variable, which a
process that clears its environment escapes.
"""

import dataclasses
import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SHIM = HERE / "_shim"
INSIDE_GRADER = "/opt/grader"
INSIDE_COURSE = "/opt/course"
INSIDE_WORK = "/grading"
SANDBOX_UID_BASE = 1 << 30
MAX_JOBS = 128
NOBODY = 65534
MARKER = "HOMEWORK_GRADING_SANDBOX"
MAX_RESULT_BYTES = 10_000_000
LOG_TAIL = 2000
INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install "
    "bubblewrap`), or pass --no-sandbox to run student code unisolated as your own user"
)
# for every worker: numerical libraries start one thread per core unless told otherwise (parallelism
# comes from --jobs), and glibc reserves 64 MiB of address space per thread that allocates
GRADING_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
}


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing, or cannot make a sandbox on this machine."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one submission; each one hit has its own gradebook status.

    ``memory``: bytes of address space per process (``RLIMIT_AS``). ``cpu``: seconds of CPU time
    per process (``RLIMIT_CPU``; ``None``: the wall-clock limit, i.e. at most one core on
    average). ``file_size``: bytes per file written (``RLIMIT_FSIZE``); each of the writable
    folders ``/grading``, ``/tmp`` and ``/dev/shm`` holds twice that. ``processes``: processes
    and threads of the sandbox's user at once (``RLIMIT_NPROC``; in the sandbox only, as the
    kernel counts every process of the user).
    """

    memory: int = 4 << 30
    cpu: int | None = None
    file_size: int = 128 << 20
    processes: int = 256

    def __post_init__(self):
        for name in ("memory", "cpu", "file_size", "processes"):
            value = getattr(self, name)
            if not (value is None and name == "cpu") and (
                type(value) is not int or value < 1
            ):
                raise ValueError(
                    f"Limits.{name} must be a positive integer; got {value!r}"
                )

    def rlimits(self, sandboxed):
        """``{name: (soft, hard)}`` for ``resource.setrlimit`` in the worker; ``cpu`` must be set."""
        found = {
            "RLIMIT_AS": (self.memory, self.memory),
            # SIGXCPU first; SIGKILL 5 s later if it is ignored
            "RLIMIT_CPU": (self.cpu, self.cpu + 5),
            "RLIMIT_FSIZE": (self.file_size, self.file_size),
            "RLIMIT_CORE": (0, 0),
        }
        if sandboxed:
            found["RLIMIT_NPROC"] = (self.processes, self.processes)
        return found


@dataclasses.dataclass
class Finished:
    """What came back from one worker."""

    # what it wrote to its result pipe (empty if nothing, or more than MAX_RESULT_BYTES)
    result: bytes
    log: str  # the last LOG_TAIL characters of its standard output and error
    returncode: int | None  # of the worker (None if killed at the wall-clock limit)
    timed_out: bool


def bwrap():
    """The path of ``bwrap``, or ``None``."""
    return shutil.which("bwrap")


def check(sandboxed=True):
    """Raise ``SandboxUnavailable`` (saying how to install it) unless a sandbox can be made here."""
    if not sandboxed:
        return
    if bwrap() is None:
        raise SandboxUnavailable(
            f"bubblewrap (`bwrap`) is not installed; grading needs it. {INSTALL_HINT}."
        )
    uid = sandbox_uid(0) if _root_mode() else NOBODY
    args, fds = _bwrap_args(_root_mode(), uid, 1 << 20)
    try:
        command = [*args, "--", *_unprivileged(uid), "/bin/true"]
        probe = subprocess.run(
            command, capture_output=True, text=True, timeout=60, pass_fds=fds
        )
    finally:
        _close(fds)
    if probe.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot make a sandbox here: {probe.stderr.strip()}. {INSTALL_HINT}."
        )


def _close(fds):
    for fd in fds:
        os.close(fd)


def _root_mode():
    return os.geteuid() == 0


def _unprivileged(uid):
    """The command prefix that drops root for ``uid`` in the sandbox (none when not root)."""
    if not _root_mode():  # bwrap already runs the command as the sandbox's user
        return []
    # bwrap ran as root to bind what it needs, in namespaces without a user namespace; the worker never does
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]


def sandbox_uid(slot):
    """The uid of the sandbox in ``slot`` (0 <= slot < MAX_JOBS) when grading runs as root.

    Distinct for every slot of every grader running at once (pids are below 2**22), below 2**31.
    """
    if not 0 <= slot < MAX_JOBS:
        raise ValueError(f"slot must be in [0, {MAX_JOBS}); got {slot}")
    return SANDBOX_UID_BASE + os.getpid() * MAX_JOBS + slot


def _data_fd(text):
    """A pipe's read end that holds ``text`` (small), for bwrap's --ro-bind-data."""
    read, write = os.pipe()
    os.write(write, text.encode())
    os.close(write)
    return read


def _read_only_paths():
    """{source: destination} of what the worker reads outside /usr: the Python environment, the
    interpreter it was made from, the course package, the worker and its shim."""
    roots = [
        sys.prefix,
        sys.base_prefix,
        os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))),
    ]
    found = {}
    for path in sorted({os.path.abspath(p) for p in roots}):
        inside_usr = path == "/usr" or path.startswith("/usr/")
        if not inside_usr and not any(path.startswith(done + os.sep) for done in found):
            found[path] = path
    found[str(ROOT / "coursekit")] = f"{INSIDE_COURSE}/coursekit"
    found[str(HERE / "_worker.py")] = f"{INSIDE_GRADER}/_worker.py"
    found[str(SHIM)] = f"{INSIDE_GRADER}/_shim"
    return found


def _bwrap_args(root_mode, uid, file_size, input_dir=None):
    """bwrap's options for one sandbox, and the pipes they name (to pass to bwrap, then close)."""
    fds = []
    args = [
        bwrap(),
        "--die-with-parent",
        "--new-session",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
    ]
    args += ["--unshare-uts", "--hostname", "grading", "--unshare-cgroup-try"]
    # bwrap maps the sandbox's uid to ours; as root that would be root
    if not root_mode:
        args += [
            "--unshare-user",
            "--uid",
            str(uid),
            "--gid",
            str(uid),
            "--disable-userns",
        ]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    etc = {
        "passwd": f"student:x:{uid}:{uid}:student:{INSIDE_WORK}:/usr/sbin/nologin\n",
        "group": f"student:x:{uid}:\n",
        "hosts": "127.0.0.1 localhost grading\n::1 localhost grading\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    }
    args += ["--perms", "0755", "--dir", "/etc"]
    for name, text in etc.items():
        fd = _data_fd(text)
        fds.append(fd)
        args += ["--perms", "0644", "--ro-bind-data", str(fd), f"/etc/{name}"]
    args += [
        "--ro-bind-try",
        "/etc/ld.so.cache",
        "/etc/ld.so.cache",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    for folder in ("/tmp", "/dev/shm", INSIDE_WORK):
        args += ["--perms", "1777", "--size", str(2 * file_size), "--tmpfs", folder]
    binds = _read_only_paths()
    made = {"/etc", "/tmp", "/dev", "/dev/shm", INSIDE_WORK}
    # bwrap would copy /root's 0700 to the folders it makes
    for destination in binds.values():
        for parent in reversed(pathlib.PurePosixPath(destination).parents[:-1]):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
    for source, destination in binds.items():
        args += ["--ro-bind", source, destination]
    if input_dir is not None:
        args += ["--ro-bind", str(input_dir), f"{INSIDE_WORK}/input"]
    return args, fds


def _environment(home, pythonpath):
    return {
        "HOME": home,
        "PATH": os.pathsep.join(
            [os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "PYTHONPATH": pythonpath,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "USER": "student",
        "LOGNAME": "student",
        "PYTHONDONTWRITEBYTECODE": "1",
        **GRADING_ENV,
    }


def _collect(proc, result_fd, log_fd, deadline):
    """Read the result and log pipes until the worker has ended and they are drained, or the deadline.

    Returns ``(result, log, timed_out)``.
    """
    result, log = bytearray(), bytearray()
    open_fds = {result_fd, log_fd}
    poller = select.poll()
    for fd in open_fds:
        poller.register(fd, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(result), bytes(log), True
        ended = proc.poll() is not None
        if not open_fds:
            if ended:
                break
            try:
                proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                return bytes(result), bytes(log), True
            continue
        ready = [fd for fd, _ in poller.poll(0 if ended else min(left, 0.5) * 1000)]
        if ended and not ready:
            # without a sandbox, a process the worker left behind may hold the pipes open
            break
        for fd in ready:
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.discard(fd)
                poller.unregister(fd)
            elif fd == log_fd:
                log = (log + data)[-LOG_TAIL:]
            elif len(result) <= MAX_RESULT_BYTES:
                result += data
    return (
        (bytes(result) if len(result) <= MAX_RESULT_BYTES else b""),
        bytes(log),
        False,
    )


def _kill_marked(marker):
    """Without a sandbox: kill every process whose environment carries ``marker``."""
    import psutil

    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(MARKER) == marker:
                proc.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue


def _command(settings, input_dir, sandboxed, slot, file_size):
    """``(argv, env, cwd, fds to pass)`` that start the worker, in a sandbox or not."""
    if not sandboxed:
        work = str(input_dir / "work")
        os.mkdir(work)
        pythonpath = os.pathsep.join(
            [str(SHIM), os.environ.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        env = dict(
            os.environ,
            HOME=work,
            PYTHONPATH=pythonpath,
            **GRADING_ENV,
            **{MARKER: work},
        )
        settings = dict(settings, input=str(input_dir), work=work)
        return (
            [sys.executable, "-s", str(HERE / "_worker.py"), json.dumps(settings)],
            env,
            work,
            [],
        )
    root_mode = _root_mode()
    uid = sandbox_uid(slot) if root_mode else NOBODY
    args, fds = _bwrap_args(root_mode, uid, file_size, input_dir)
    args += ["--chdir", INSIDE_WORK, "--clearenv"]
    pythonpath = os.pathsep.join([f"{INSIDE_GRADER}/_shim", INSIDE_COURSE])
    for name, value in _environment(INSIDE_WORK, pythonpath).items():
        args += ["--setenv", name, value]
    args += ["--", *_unprivileged(uid)]
    settings = dict(settings, input=f"{INSIDE_WORK}/input", work=INSIDE_WORK)
    args += [sys.executable, "-s", f"{INSIDE_GRADER}/_worker.py", json.dumps(settings)]
    return args, {}, None, fds


def run(config, input_dir, timeout, sandboxed=True, slot=0, file_size=Limits.file_size):
    """Run the worker on ``input_dir`` with ``config`` (its JSON settings) and return ``Finished``.

    ``input_dir`` holds ``submission.ipynb`` and ``autograder.zip``; the worker's working folder is
    ``/grading`` in the sandbox, ``input_dir/work`` without. Returns after every process that the
    worker started has ended, at the latest ``timeout`` seconds after the start (then killed).
    """
    result_read, result_write = os.pipe()
    log_read, log_write = os.pipe()
    info_read, info_write = os.pipe()
    settings = dict(config, result_fd=result_write)
    command, env, cwd, fds = _command(
        settings, pathlib.Path(input_dir), sandboxed, slot, file_size
    )
    if sandboxed:
        command[1:1] = ["--info-fd", str(info_write)]
        fds.append(info_write)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_write,
            stderr=log_write,
            pass_fds=(result_write, *fds),
            start_new_session=True,
        )
    finally:
        _close({result_write, log_write, info_write, *fds})
    init = _sandbox_init(info_read, started + timeout)
    timed_out = True  # until the worker is seen to end in time
    try:
        result, log, timed_out = _collect(
            proc, result_read, log_read, started + timeout
        )
    finally:
        _close((result_read, log_read))
        _end(proc, init, timed_out, None if sandboxed else cwd)
    return Finished(
        result,
        log.decode(errors="replace"),
        None if timed_out else proc.returncode,
        timed_out,
    )


def _sandbox_init(info_read, deadline):
    """A pidfd of the sandbox's PID 1, from bwrap's --info-fd (``None`` without a sandbox, or if
    bwrap failed or hung before starting it)."""
    info = b""
    waiting = select.poll()
    waiting.register(info_read, select.POLLIN)
    while waiting.poll(max(0.0, deadline - time.monotonic()) * 1000) and (
        chunk := os.read(info_read, 4096)
    ):
        info += chunk
    os.close(info_read)
    try:
        return os.pidfd_open(json.loads(info)["child-pid"])
    except (ValueError, KeyError, ProcessLookupError):
        return None


def _end(proc, init, timed_out, marker):
    """Kill what is left of the worker and wait until every process of its sandbox has ended."""
    try:
        # no sandbox (or bwrap failed): the worker's session and marked processes
        if init is None:
            os.killpg(proc.pid, signal.SIGKILL)
        elif timed_out:
            # the kernel then kills its namespace
            signal.pidfd_send_signal(init, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if marker is not None:
        _kill_marked(marker)
    proc.wait()
    if init is not None:
        waiting = select.poll()
        waiting.register(init, select.POLLIN)
        waiting.poll()  # readable once PID 1, and so its whole namespace, has ended
        os.close(init)
