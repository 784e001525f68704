#!/usr/bin/env python3
"""Drives the dashboard in headless Chromium over the DevTools protocol, as an operator would, and prints what it
saw as one JSON object.

usage: dashboard.py CHROMIUM BASE_URL TOKEN FLOW

Signs in with TOKEN through the login form, reads every flow's row, rolls FLOW back with the row's form (a real form
submission, with the session cookie and CSRF field the browser holds), reads the rows again, then opens the flow's
page. Needs websocket-client (installed by .ci/run).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

DEADLINE = 30


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=DEADLINE)
        self.next_id = 0
        self.events = []
        self.send("Page.enable")
        self.send("Runtime.enable")

    def send(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == mine:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for_load(self):
        end = time.time() + DEADLINE
        while time.time() < end:
            for index, event in enumerate(self.events):
                if event.get("method") == "Page.loadEventFired":
                    del self.events[: index + 1]
                    return
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError("the page did not load")

    def navigate(self, url):
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for_load()

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def submit(self, expression):
        """Runs `expression`, which submits a form, and waits for the page it leads to."""
        self.events.clear()
        self.evaluate(expression)
        self.wait_for_load()


ROWS = """Array.from(document.querySelectorAll('#flows tr[id^="flow-"]')).map(row => ({
    flow: row.id.slice(5), mode: row.querySelector('.mode').dataset.mode,
    rollback: row.querySelector('form[id^="rollback-"]') !== null }))"""


def main():
    chromium, base, token, flow = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix="cutover-chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        end = time.time() + DEADLINE
        while port is None and time.time() < end:
            line = browser.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                port = int(found.group(1))
        if port is None:
            raise TimeoutError("chromium did not start its DevTools endpoint")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])

        seen = {}
        page.navigate(base + "/")
        seen["login_form"] = page.evaluate("document.querySelector('#login') !== null")
        page.submit(f"document.querySelector('#login input[name=token]').value = {json.dumps(token)};"
                    "document.querySelector('#login').requestSubmit()")
        seen["signed_in_as"] = page.evaluate("document.querySelector('.who strong')?.textContent")
        seen["rows_before"] = page.evaluate(ROWS)
        page.submit(f"const form = document.querySelector('#rollback-{flow}');"
                    "form.querySelector('input[name=reason]').value = 'dashboard drill';"
                    "form.requestSubmit()")
        seen["message"] = page.evaluate("document.querySelector('#message')?.textContent")
        seen["rows_after"] = page.evaluate(ROWS)
        page.navigate(f"{base}/flows/{flow}")
        seen["flow_page"] = page.evaluate("""({
            mode: document.querySelector('#mode')?.dataset.mode,
            charts: Array.from(document.querySelectorAll('svg[id]')).map(svg => svg.id),
            modeForm: document.querySelector('#mode-form') !== null })""")
        print(json.dumps(seen))
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
