"""relsim-app: serve the educator's page (experiments/app/layout.py) in the browser.

    relsim-app                          # http://127.0.0.1:8765
    relsim-app --port 9000
    relsim-app --host 0.0.0.0 --allow-remote   # serve the page to other machines (a classroom)

It listens on loopback unless --host names another address and --allow-remote (spelled out: options are
never abbreviated) allows it, with a warning; a bad option is one line and exit code 2.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import warnings

from ..commands.cli import Parser, error, no_code_from_here

PROG = "relsim-app"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
PAGE_MODULE = "relsim.experiments.app.layout"  # Solara serves its `Page`
OFFLINE_CDN = "http://127.0.0.1:9/npm/"  # the discard port: nothing listens, the request fails at once


def _is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (IPv4 or IPv6, bracketed or not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serve_plotly_bundle() -> None:
    """Serve plotly's widget front end at its own address, which the page's charts import once per page
    (experiments/app/live.py, `fetch_plotly_once`), instead of each chart carrying it in its state."""
    import solara.server.starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    from . import live

    def bundle(request):
        return FileResponse(live.PLOTLY_BUNDLE, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=31536000, immutable"})

    solara.server.starlette.app.router.routes.insert(0, Route(live.PLOTLY_BUNDLE_ROUTE, bundle))
    live.fetch_plotly_once()


def main(argv: list[str] | None = None) -> int:
    """Serve the page (Solara on uvicorn) until Ctrl-C."""
    no_code_from_here()
    parser = Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", default=str(DEFAULT_PORT), help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow binding to an address other machines can reach (anything but loopback)")
    args = parser.parse_args(argv)
    if not args.port.isdigit() or not 1 <= int(args.port) <= 65535:
        error(PROG, f"--port={args.port}: expected an integer in [1, 65535]")
        return 2
    if not _is_loopback(args.host) and not args.allow_remote:
        error(PROG, f"--host={args.host} is not a loopback address; add --allow-remote to serve the page to "
                    "other machines")
        return 2
    if not _is_loopback(args.host):
        print(f"{PROG}: warning: serving on {args.host}: anyone who can reach this machine on port {args.port} can "
              "open the page and run the model (no password)", file=sys.stderr, flush=True)
    port = int(args.port)
    os.environ.update(SOLARA_APP=PAGE_MODULE, SERVER_NAME=args.host, SERVER_PORT=str(port),
                      SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    import solara
    import solara.server.settings as server_settings
    import uvicorn

    if "SOLARA_ASSETS_CDN" not in os.environ:
        # Everything the page loads ships with the app extra (solara-assets), so the page works without the
        # internet; an address that refuses at once keeps the server from ever asking a public CDN.
        solara.settings.assets.cdn = OFFLINE_CDN
    # Solara warns (10 lines) that a cookie cannot be SameSite=None over plain http on 127.0.0.1 and falls back
    # to SameSite=Lax, which is right for a page opened directly rather than embedded in another site's frame.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.title = "relsim"
    server_settings.theme.show_banner = False
    _serve_plotly_bundle()
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"{PROG}: the educator's page is at http://{url_host}:{port}  (Ctrl-C to stop)", file=sys.stderr,
          flush=True)
    try:
        uvicorn.run("solara.server.starlette:app", host=args.host, port=port, log_level="warning")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
