"""`run.py web`, and the console beside the worker in `run.py serve`: the uvicorn server."""

from __future__ import annotations

import threading

from ..config import Config


def make_server(config: Config, host: str | None = None, port: int | None = None):
    import uvicorn

    from ..documents import scratch
    from .app import create_app

    scratch.configure(config.path(config.storage.tmp_dir))  # previews convert under data/tmp

    settings = uvicorn.Config(
        create_app(config),
        host=host or config.web.host,
        port=port or config.web.port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
    )
    return uvicorn.Server(settings)


def console_address(config: Config, host: str | None = None, port: int | None = None) -> str:
    return config.web.base_url or f"http://{host or config.web.host}:{port or config.web.port}/"


def serve_web(config: Config, host: str | None = None, port: int | None = None) -> int:
    server = make_server(config, host, port)
    print(f"控制台已启动：{console_address(config, host, port)}（按 Ctrl-C 停止）", flush=True)
    server.run()
    return 0


def start_in_thread(config: Config) -> tuple[object, threading.Thread]:
    """For `serve` with web.enabled: the console in a thread beside the worker."""
    server = make_server(config)
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    return server, thread
