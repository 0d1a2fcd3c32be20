"""Runs the test identity provider:

    python -m tests.support.idp.serve --token TOKEN [--port 0] [--db PATH] [--ready-file PATH]

It binds first (port 0: a free one, so parallel runs never race for a port), then sets up
Django and the database, writes its issuer to the ready file and serves, threaded."""

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


def _exit_with_parent() -> None:
    # A test run killed outright cannot stop us: go when our parent goes.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--token", required=True, help="bearer token of the control API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", type=Path, help="SQLite file (default: in a temp directory)")
    parser.add_argument("--ready-file", type=Path, help="gets the issuer once it answers")
    args = parser.parse_args()

    server = ThreadedWSGIServer((args.host, args.port), WSGIRequestHandler)
    issuer = f"http://{args.host}:{server.server_port}/o"
    db = args.db or Path(tempfile.mkdtemp(prefix="idp-")) / "idp.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.support.idp.settings",
        IDP_ISSUER=issuer,
        IDP_DATABASE=str(db),
        IDP_CONTROL_TOKEN=args.token,
    )
    import django
    from django.apps import apps
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    django.setup()
    if not connection.introspection.table_names():
        # The tables straight from the models: far quicker than `migrate`.
        with connection.schema_editor() as editor:
            for model in apps.get_models():
                editor.create_model(model)
    server.set_app(get_wsgi_application())
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    if args.ready_file:
        partial = args.ready_file.with_suffix(".partial")
        partial.write_text(issuer)
        partial.rename(args.ready_file)
    print(f"OpenID provider at {issuer}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
