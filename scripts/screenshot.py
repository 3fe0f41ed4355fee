"""Take a screenshot of a page of a running Odoo as a logged-in user (for the docs).

    $ODOO_PYTHON scripts/screenshot.py --db isp_demo \
        --path /odoo/action-isp_base.action_isp_subscriber --out docs/subscribers.png \
        [--width 1440 --height 900] [--login admin --password admin]

Drives headless Chromium over the DevTools protocol (websocket-client, requests).
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time

import requests
import websocket

BASE = "http://127.0.0.1:8069"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--wait", type=float, default=6.0, help="seconds to let the page render")
    args = parser.parse_args()

    session = requests.Session()
    reply = session.post(
        f"{args.base}/web/session/authenticate",
        json={"params": {"db": args.db, "login": args.login, "password": args.password}},
        timeout=30,
    ).json()
    if reply.get("error") or not reply.get("result", {}).get("uid"):
        raise SystemExit(f"Login failed: {reply.get('error')}")
    session_id = session.cookies["session_id"]

    profile = tempfile.mkdtemp(prefix="isp-shot-")
    port = 9333
    browser = subprocess.Popen(
        [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            f"--window-size={args.width},{args.height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(50):
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.RequestException, StopIteration):
                time.sleep(0.2)
        else:
            raise SystemExit("Chromium did not start")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        counter = iter(range(1, 10**6))

        def call(method, **params):
            message_id = next(counter)
            ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == message_id:
                    return message.get("result", {})

        call(
            "Emulation.setDeviceMetricsOverride",
            width=args.width,
            height=args.height,
            deviceScaleFactor=1,
            mobile=args.width < 500,
        )
        call(
            "Network.setCookie",
            name="session_id",
            value=session_id,
            url=args.base,
        )
        call("Page.navigate", url=f"{args.base}{args.path}")
        time.sleep(args.wait)
        shot = call("Page.captureScreenshot", format="png")
        with open(args.out, "wb") as image:
            image.write(base64.b64decode(shot["data"]))
        ws.close()
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
