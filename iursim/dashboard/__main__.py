"""Start the dashboard server: ``python -m iursim.dashboard [--port N] [--host H]``.

Sets the Solara settings this project needs before Solara reads them: no usage telemetry (the
server would otherwise post to an outside analytics host), and front-end assets served from the
``solara-assets`` package, so the page works without any network route.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["OFFLINE_CDN", "configure_solara_server", "main", "server_environment"]

# A closed loopback port: a front-end file missing from solara-assets' folder would otherwise be
# fetched from the public CDN, and with this address the miss fails at once on this machine.
OFFLINE_CDN = "http://127.0.0.1:9/"

APP = Path(__file__).resolve().parents[2] / "app.py"


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``base`` (default: this process's environment) with the dashboard's settings."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    # solara-assets installs the CDN files into Solara's proxy cache folder. With the proxy
    # on, Solara serves them from there and fetches only the files missing from it.
    env.setdefault("SOLARA_ASSETS_PROXY", "true")
    env.setdefault("SOLARA_ASSETS_CDN", OFFLINE_CDN)
    # Solara's English "This website runs on Solara" banner would stay English on the
    # Chinese page.
    env["SOLARA_THEME_SHOW_BANNER"] = "false"
    return env


def configure_solara_server() -> None:
    """Turn off Solara's telemetry, CDN fetches and banner in a server that is already running.

    ``solara run app.py`` reads its settings before loading the app, but sends its first
    telemetry event only after the app is loaded and reads the CDN and banner settings per
    request. So calling this from ``app.py`` keeps a server started without
    :func:`server_environment` offline and without the banner.
    """
    import solara.server.settings
    import solara.settings

    solara.server.settings.telemetry.mixpanel_enable = False
    solara.settings.assets.cdn = OFFLINE_CDN
    solara.server.settings.theme.show_banner = False


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and replace this process with ``solara run app.py``."""
    parser = argparse.ArgumentParser(prog="python -m iursim.dashboard",
                                     description="Start the iursim dashboard (Solara).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--app", default=str(APP), help="the Solara app file (default app.py)")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "solara", "run", args.app, "--host", args.host,
               "--port", str(args.port), "--production", "--no-open"]
    os.execve(sys.executable, command, server_environment())
    return 0  # not reached: execve replaces the process


if __name__ == "__main__":
    sys.exit(main())
