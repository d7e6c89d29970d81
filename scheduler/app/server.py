"""``iop-scheduler serve``: start the workbench on this computer and say where it is.

It binds 127.0.0.1 unless told otherwise; any other address prints a warning, since the
pages show patient names. The URL printed carries the token (as Jupyter does); the access
log is off, because addresses carry patient IDs and searches.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from scheduler.terminal import emit

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_warning(host: str) -> str | None:
    if is_loopback(host):
        return None
    return (
        f"warning: serving on {host}, not only on this computer. These pages show patient "
        "names and schedules (42 CFR Part 2): anyone who can reach this address and has "
        "the token can read them. Use it only on a network the clinic controls."
    )


def serve(
    input_path: Path | None,
    out_dir: Path,
    host: str,
    port: int,
    time_limit_s: float,
    workers: int,
) -> None:
    import uvicorn

    from scheduler.app.bench import Config, Workbench
    from scheduler.app.web import create_app

    config = Config(out_dir=out_dir, time_limit_s=time_limit_s, workers=workers)
    app = create_app(config)
    bench: Workbench = app.state.bench
    # The same input as last time keeps its draft and locks: a restart loses no edit.
    if input_path is not None and bench.ws.input_path() != input_path.resolve():
        bench.open(input_path, input_path.name)
    warning = host_warning(host)
    if warning:
        emit(warning, err=True)
    shown = f"[{host}]" if ":" in host else host
    emit(
        f"The IOP Scheduler workbench is at:\n  http://{shown}:{port}/?token={config.secrets.token}"
    )
    emit(f"State and published files are kept in {out_dir}/. Stop it with Ctrl+C.")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
