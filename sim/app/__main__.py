"""Serve the explorer and the sweep dashboard: ``python -m sim.app [--host H] [--port P]``.

Runs ``solara run sim.app.pages --production`` in this process (``exec``), so stopping this process
(Ctrl-C, ``kill PID``) stops the server. The explorer is at ``http://HOST:PORT/``, the sweep
dashboard at ``http://HOST:PORT/sweep``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.app import DEFAULT_HOST, DEFAULT_PORT, SWEEP_DIR_ENV


def _asset_warnings() -> list[str]:
    """Why the page might not load offline (solara fetches its JavaScript from a CDN otherwise)."""
    out = []
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    if not cdn.is_dir() or not any(cdn.iterdir()):
        out.append(f"no offline web assets in {cdn}: without network access the page stays blank "
                   "(pip install solara-assets)")
    try:
        from importlib.metadata import version
        if int(version("ipyvuetify").split(".")[0]) >= 3:
            out.append("ipyvuetify >= 3 is installed: Mesa's pages are built for ipyvuetify 1.x "
                       "(pip install 'ipyvuetify<3' 'ipyvue<3')")
    except Exception:  # pragma: no cover - metadata missing
        pass
    return out


def command(host: str, port: int) -> list[str]:
    """The solara command line that serves the pages."""
    return [sys.executable, "-m", "solara", "run", "sim.app.pages", "--host", host,
            "--port", str(port), "--production", "--no-open", "--log-level", "warning"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m sim.app",
        description="Serve the coalition model's explorer (/) and sweep dashboard (/sweep).")
    ap.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on ({DEFAULT_HOST})")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    ap.add_argument("--sweep-dir", default=None,
                    help=f"the sweep folder the sweep page opens first (else ${SWEEP_DIR_ENV})")
    args = ap.parse_args(argv)
    if not 0 < args.port < 65536:
        ap.error(f"--port {args.port}: must be in 1..65535")
    if args.sweep_dir is not None:
        os.environ[SWEEP_DIR_ENV] = str(Path(args.sweep_dir).resolve())
    os.environ.setdefault("MPLBACKEND", "Agg")
    # no usage statistics sent anywhere from a research tool (solara's default is to send them)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # solara warns on every page load that a plain-http 127.0.0.1 session cookie is not
    # "samesite=none" (only relevant when the page is embedded in an iframe over https)
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))
    for w in _asset_warnings():
        print(f"warning: {w}", file=sys.stderr)
    print(f"coalition explorer: http://{args.host}:{args.port}/  "
          f"(sweep dashboard: http://{args.host}:{args.port}/sweep)", flush=True)
    cmd = command(args.host, args.port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
