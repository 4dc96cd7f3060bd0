"""Shared CLI plumbing: one console, logging through rich, errors as one line and exit code 2."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from safealign.chat_content import CHAT_ROLES
from safealign.distributed import RANK_VARIABLES, SIZE_VARIABLES, setup_rank_logging
from safealign.errors import SafealignError, disk_full_message, missing_extra_message
from safealign.precision import EVAL_PRECISION_HELP

LOG_WIDTH = 120


def make_console(stderr: bool = False, file: Any = None) -> Console:
    """A console that lays tables out for a terminal's width, or for ``LOG_WIDTH`` when the output is a log.

    Written to a file or a pipe (a CI log, ``make run | tee``, nohup), Rich assumes 80 columns, and the
    pipeline's 8-column stage table then cut its labels ("eval:s…" for both eval:sft and eval:student) and
    headers. A log has no width to respect, so it gets 120 unless ``COLUMNS`` asks for another.
    """
    # emoji off: ":x:" in a quoted path or data row is text, not ❌
    console = Console(stderr=stderr, file=file, emoji=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = LOG_WIDTH
    return console


console = make_console()
err_console = make_console(stderr=True)


TRUST_REMOTE_CODE_HELP = (
    "Let a model folder whose config.json asks for custom code (auto_map) run it: this runs the folder's own Python "
    "code, so only for folders you trust (a recipe's model.trust_remote_code). Off: only transformers' own classes."
)
SYSTEM_PROMPT_HELP = (
    "System message before every prompt without one. Default: the one MODEL was trained with, when its "
    "stage.json records one (a recipe's model.system_prompt), else the chat template's; '' asks with the chat "
    "template's (SmolLM2's adds its own default system message), not the trained one."
)


# `serve` and `generate` default to the precision `safealign eval` scores in, so that their greedy answers are its.
GENERATION_PRECISION_HELP = "fp32, bf16 or auto, as for `safealign eval`. " + EVAL_PRECISION_HELP


EMPTY_OPTION = "is empty (an unset shell variable?); give a value, or leave the option out for its default"


def given_path(value: str) -> Path:
    """An option's path, refusing an empty one: Path('') is the current folder, where a stage trained (or `generate`
    looked) with no word, where an unset ``$OUT`` was meant to be a folder. A typer ``parser``."""
    if not value.strip():
        raise typer.BadParameter(EMPTY_OPTION)
    return Path(value)


def given_recipe(value: str) -> str:
    """The recipe argument as given, refusing an empty one: Path('') is the current folder, said as 'recipe . is a
    folder' of a '.' the user never wrote. A typer ``parser`` of a ``str`` argument: of a ``Path`` one, the help
    showed typer's ``<Path>`` (the annotation's class name), where every other argument reads ``<str>`` or ``<path>``."""
    if not value.strip():
        raise typer.BadParameter(
            "is empty (an unset shell variable?); give the recipe YAML, e.g. recipes/quickstart.yaml"
        )
    return value


def given_spec(value: str) -> str:
    """An option's model spec, refusing an empty one: ``--model ""`` trained the recipe's model with no word. A typer
    ``parser``."""
    if not value.strip():
        raise typer.BadParameter(EMPTY_OPTION)
    return value


def option_given(ctx: typer.Context, name: str) -> bool:
    """Whether the user gave the option ``name`` (on the command line or by its environment variable), not its default.
    By name: typer vendors its own click, whose ParameterSource is not click's."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def system_prompt_for(model: str, given: str | None) -> str | None:
    """``given`` when the user passed one ('' for the chat template's), else the system prompt ``model``'s stage record
    names (said on stderr)."""
    from safealign.runs import trained_system_prompt

    if given is not None:
        return given or None
    found = trained_system_prompt(model)
    if found is None:
        return None
    prompt, record = found
    shown = prompt if len(prompt) <= 80 else prompt[:77] + "..."
    err_console.print(
        f"[dim]system prompt: the one {escape(model)} was trained with ({escape(str(record))}): "
        f"{escape(repr(shown))}; --system-prompt '' asks with the chat template's instead[/]"
    )
    return prompt


def chat_problem(messages: Any) -> str | None:
    """What is wrong with a row's chat ``messages`` (a non-empty list of objects with a 'role' of ``CHAT_ROLES`` and a
    string 'content'), else None.

    >>> chat_problem([{"role": "user", "content": "Hi"}]) is None
    True
    >>> chat_problem([{"role": "usr", "content": "Hi"}])
    "field 'messages[0].role' must be one of system, developer, user, assistant, got 'usr'; fix the row or drop it"
    """
    if not isinstance(messages, list) or not messages:
        return f"field 'messages' needs a non-empty list of {{role, content}} objects, got {messages!r:.40}; fix the row or drop it"
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"field 'messages[{index}]' must be an object with 'role' and 'content', got {message!r:.40}; fix the row or drop it"
        if message.get("role") not in CHAT_ROLES:
            return (
                f"field 'messages[{index}].role' must be one of {', '.join(CHAT_ROLES)}, got {message.get('role')!r:.40}; "
                "fix the row or drop it"
            )
        if not isinstance(message.get("content"), str):
            return f"field 'messages[{index}].content' must be a string, got {message.get('content')!r:.40}; fix the row or drop it"
    return None


def api_url(host: str, port: int) -> str:
    """The base URL a client on this machine reaches a server listening on ``host:port`` at; an IPv6 address in
    brackets, as URLs write it. A wildcard host (0.0.0.0, ::) is no address a client can connect to: its family's
    loopback address stands for it ('' is every interface, as uvicorn binds it).

    >>> api_url("127.0.0.1", 8000), api_url("::1", 8000)
    ('http://127.0.0.1:8000/v1', 'http://[::1]:8000/v1')
    >>> api_url("0.0.0.0", 8000), api_url("::", 8000)
    ('http://127.0.0.1:8000/v1', 'http://[::1]:8000/v1')
    """
    with contextlib.suppress(ValueError):  # a host name
        if ipaddress.ip_address(host or "0.0.0.0").is_unspecified:
            host = "::1" if ":" in host else "127.0.0.1"
    return f"http://[{host}]:{port}/v1" if ":" in host else f"http://{host}:{port}/v1"


def check_can_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once and let go, so that a port in use or a host that is not this machine's is a clear error
    before a model loads (uvicorn would say so only after, in one log line, and exit 3).

    As uvicorn binds (asyncio's ``create_server``): every address the host resolves to (``localhost`` is often ::1 and
    127.0.0.1, and one taken fails the start), an IPv6 one for IPv6 only, and '' for every interface. An address not
    available here (::1 where IPv6 is off) is skipped while another one binds: the check refuses no start that could
    work (some Python versions' asyncio skips it too)."""
    import errno
    import socket

    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        bound, unavailable = False, None
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            try:
                probe = socket.socket(family, kind, proto)
            except OSError:  # a family this kernel lacks: uvicorn skips it too
                continue
            with probe:
                # as uvicorn binds: a port in TIME_WAIT is free, and :: does not also claim 0.0.0.0
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                try:
                    probe.bind(address)
                    bound = True
                except OSError as error:
                    if error.errno != errno.EADDRNOTAVAIL:
                        raise
                    unavailable = error
        if unavailable is not None and not bound:
            raise unavailable
    except OSError as error:  # socket.gaierror too: a host name that does not resolve
        shown = f"[{host}]" if ":" in host else host
        if error.errno == errno.EADDRINUSE:
            why = "the port is taken (another server?); choose another --port"
        elif error.errno in (errno.EACCES, errno.EPERM):
            why = (
                "this user may not listen on that port (ports below 1024 need root or CAP_NET_BIND_SERVICE); "
                "choose another --port, 1024 or above"
            )
        else:  # EADDRNOTAVAIL, a name that does not resolve
            gai = isinstance(error, socket.gaierror)
            what = "name does not resolve" if gai else "is not an address of this machine"
            why = f"the host {what}; choose --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)"
        raise SafealignError(f"cannot listen on {shown}:{port} ({error.strerror or error}): {why}") from None


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=True)],
        force=True,
    )
    setup_rank_logging()  # under accelerate launch: INFO from rank 0 only, the others' warnings marked
    # Third-party chatter (weight-loading bars, hub hints) would bury our own progress bars.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("transformers", "httpx", "sentence_transformers", "urllib3", "datasets"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if "torch" not in sys.modules:
        # torch's exit-time "FakeTensor cache stats" came out at INFO after a Ctrl-C during `import torch`, before torch
        # set its own logging up (which resets these levels, so TORCH_LOGS still works)
        for name in ("torch._dynamo", "torch._subclasses.fake_tensor"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


class _FirstTimeOnly(logging.Filter):
    """Lets a record through only the first time its logger says its message at its level."""

    def __init__(self) -> None:
        super().__init__()
        self.said: set[tuple[str, int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.getMessage())
        if key in self.said:
            return False
        self.said.add(key)
        return True


@contextmanager
def said_once(names: tuple[str, ...]) -> Iterator[None]:
    """Within the block, each line of the loggers ``names`` is logged once, however often it is said."""
    once = _FirstTimeOnly()
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addFilter(once)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(once)

def path_error_message(error: BaseException) -> str | None:
    """A message naming the path and the fix when ``error`` is a path that is a file where a folder is needed, or
    one we may not write; else None.

    >>> path_error_message(PermissionError(13, "Permission denied", "/root/x")).split(".")[0]
    'no permission to access /root/x (permission denied)'
    >>> path_error_message(IsADirectoryError(21, "Is a directory", "/tmp")).split(";")[0]
    '/tmp is a folder'
    """
    import errno

    if not isinstance(error, OSError) or error.filename is None:
        return None
    path = Path(os.fsdecode(error.filename))
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        # a link to a folder that is not there (an unmounted drive) blocks like a file, but exists() cannot see it
        dangling = next(
            (folder for folder in (path, *path.parents) if folder.is_symlink() and not folder.exists()), None
        )
        if dangling is not None:
            return (
                f"cannot write {path}: {dangling} is a link to {os.readlink(dangling)}, which does not exist (an unmounted "
                "drive?). Create or mount its target, or choose another path (--out, the recipe's output_dir, SAFEALIGN_HOME)."
            )
        blocking = next(
            (folder for folder in (path, *path.parents) if folder.exists() and not folder.is_dir()), None
        )
        if blocking is None:  # a real clash of two folders, or a race: not a bad path
            return None
        return (
            f"cannot write {path}: {blocking} is a file where a folder is needed. Choose another output path (--out, "
            "--json, the recipe's output_dir, SAFEALIGN_HOME) or move the file away."
        )
    # pathlib's is_dir/exists raise it, where a path that is not there is only False
    if error.errno == errno.ENAMETOOLONG:
        return long_path_message(path)
    if error.errno == errno.EISDIR:
        return (
            f"{path} is a folder; give a file path for this input or output (--out, --json, --prompts, --datasets), "
            "e.g. a file inside that folder."
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "read-only file system" if error.errno == errno.EROFS else "permission denied"
        try:  # a folder on the way we may not search refuses this look too (pathlib raises it)
            is_file = path.is_file()
        except OSError:
            is_file = False
        if is_file and error.errno != errno.EROFS:  # an input (a recipe, a dataset) or an output to replace
            return (
                f"no permission to access {path} ({reason}). Fix its permissions (chmod) or give a copy you can read; "
                "for an output, choose a path you can write to (--out, the recipe's output_dir, SAFEALIGN_HOME)."
            )
        return (
            f"no permission to access {path} ({reason}). Choose an output folder you can write to (--out, the recipe's "
            "output_dir, SAFEALIGN_HOME) or fix its permissions."
        )
    return None


def long_path_message(path: Path) -> str:
    """Why ``path`` is too long for the file system: its longest name is past the limit of one name (255 bytes on most,
    where an accented letter takes 2 and a CJK character 3), else the whole path is past the limit of a path.

    >>> long_path_message(Path("runs") / ("é" * 130)).split(",")[0]
    "cannot use the path runs/éééééééééééééééééééééééé...: its name 'éééééééééééééééééééééééé...' is 260 bytes long"
    """
    fix = "Choose a shorter one (--out, --json, the recipe's name or output_dir, SAFEALIGN_HOME)."
    name = max(path.parts, key=lambda part: len(os.fsencode(part)), default=str(path))
    size, limit = len(os.fsencode(name)), name_limit(path)
    if size > limit:
        shown = name if len(name) <= 27 else name[:24] + "..."
        return (
            f"cannot use the path {str(path).replace(name, shown)}: its name {shown!r} is {size} bytes long, more than "
            f"this file system allows for one file or folder name ({limit} bytes; a non-ASCII character takes 2 to 4). "
            f"{fix}"
        )
    shown = str(path) if len(str(path)) <= 80 else str(path)[:77] + "..."
    return (
        f"cannot use the path {shown}: it is {len(os.fsencode(str(path)))} bytes long, more than this system allows "
        f"for a whole path. {fix}"
    )


def name_limit(path: Path) -> int:
    """The longest file or folder name, in bytes, that the file system of ``path``'s nearest existing folder allows
    (255 where it does not say)."""
    for folder in (path.absolute(), *path.absolute().parents):
        with contextlib.suppress(OSError, ValueError):
            if folder.is_dir():
                return os.pathconf(folder, "PC_NAME_MAX")
    return 255


RESUMES = (
    "interrupted: rerun the same command to resume (finished stages are kept; an unfinished one resumes from its "
    "newest checkpoint)"
)
# a stage command run with --no-resume: the same command again starts the stage over, past the checkpoints this one saved
STARTS_OVER = (
    "interrupted: rerun without --no-resume to resume from the stage's newest checkpoint (the same command, with "
    "--no-resume, starts the stage over)"
)
# Ctrl-C before a command's function runs (the CLI still starting)
STARTUP_INTERRUPTED = "interrupted while starting: nothing was done"
# What Ctrl-C on a command that keeps its work says, keyed by the command function's name; the others pass the
# KeyboardInterrupt on (eval says itself which answers it kept, and must not say it twice).
INTERRUPTED = {
    "sft": RESUMES,
    "rl": RESUMES,
    "distill": RESUMES,
    "run": RESUMES,
    "compare": RESUMES,
    "sample": "interrupted: rerun the same command to sample again (a finished sample stage is kept)",
    "card": "interrupted: rerun the same command to write the bundle again",
    "_generate": "interrupted: nothing was written to --out (completions are written once all are generated); rerun "
    "the same command to generate again",
    "_probe": "interrupted: nothing was written to --out (the probe is written once fitted); rerun the same command to "
    "fit it again",
    "data_check": "interrupted: nothing was written (data check only reads); rerun the same command to check again",
    "judges_check": "interrupted: nothing was written (judges check only reads); rerun the same command to measure again",
    "judge_one": "interrupted: nothing was judged; rerun the same command to judge the exchange",
    "prepare": "interrupted: the model was not prepared (the next `models prepare` removes a half-written copy); rerun "
    "the same command to convert it",
    "_evaluate": "interrupted: finished eval runs are kept in the database, the one in progress is not; rerun the same "
    "command to start the schedule again",
}
# SIGTERM (what SLURM, Kubernetes and `timeout` send first) takes Ctrl-C's path on these, so each says what it kept
# and exits 130 rather than dying without a word. `serve`, the monitor gateway and its judge worker handle SIGTERM
# themselves; the quick read-and-print commands (validate, audit, eval-diff, the lists) are left at the default.
SIGTERM_AS_CTRL_C = {*INTERRUPTED, "_eval"}


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt, as Ctrl-C does. Left as it is off the main thread (only it
    may set handlers), under a launcher (torchrun, accelerate: a rank blocked in a collective would not stop, and the
    launcher says which rank failed), and where a handler is set already. A launch sets LOCAL_RANK, or a rank with a
    world size above 1 beside it: a rank alone (``RANK=1`` left in the shell) is one process, as ``launched_rank``
    reads it."""
    sizes = [
        os.environ.get(size, "")
        for rank, size in zip(RANK_VARIABLES, SIZE_VARIABLES, strict=True)
        if rank in os.environ
    ]
    launched = "LOCAL_RANK" in os.environ or any(size.isdigit() and int(size) > 1 for size in sizes)
    if (
        launched
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print safealign's own errors, a full disk, an output path that is a file or not writable, and a missing optional
    extra as a red line (no traceback); exit code 2. Ctrl-C (or SIGTERM) on a stage command says how to resume; exit
    code 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            if fn.__name__ not in SIGTERM_AS_CTRL_C:
                return fn(*args, **kwargs)
            with sigterm_as_ctrl_c():
                return fn(*args, **kwargs)
        except KeyboardInterrupt:
            if fn.__name__ not in INTERRUPTED:
                raise
            said = STARTS_OVER if kwargs.get("resume") is False else INTERRUPTED[fn.__name__]
            err_console.print(f"[yellow]{escape(said)}[/]", highlight=False, markup=True)
            raise typer.Exit(130) from None
        except SafealignError as error:
            err_console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True
            )  # "[gpu]" is text
            raise typer.Exit(2) from None
        except ModuleNotFoundError as error:
            message = missing_extra_message(error)
            if message is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
            raise typer.Exit(2) from None
        except (OSError, RuntimeError) as error:
            message = (
                None
                if type(error).__module__.startswith("click")
                else disk_full_message(error) or path_error_message(error)
            )  # typer.Exit is a RuntimeError
            if message is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
            raise typer.Exit(2) from None
        except Exception as error:
            # safetensors' SafetensorError (a model.safetensors or checkpoint write on a full disk) is no OSError
            message = disk_full_message(error) if type(error).__name__ == "SafetensorError" else None
            if message is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
            raise typer.Exit(2) from None

    return wrapper


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A table whose title, headers and cells are text, not Rich markup: they hold paths, suite names and data
    values, where "[v2]" would vanish and "[/q]" raise after the work is done."""
    out = Table(title=Text(title), title_justify="left")
    for i, column in enumerate(columns):
        out.add_column(Text(column), no_wrap=i == 0)  # the row labels stay whole however narrow the screen
    for row in rows:
        out.add_row(*[Text(str(cell)) for cell in row])
    return out
