"""Locust users for `bench_survey_load.py`; run by it, configured through a JSON file.

`SurveyRespondent`: each user takes the next invitation link, answers the whole survey as
`bench_survey_load.Respondent` does, and starts over with another link. `HealthzUser`: the
reference, `/healthz` as fast as it answers. Every request is recorded (start, milliseconds,
name, success) and written with the respondents' records when locust quits.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque
from pathlib import Path
from urllib.parse import urlencode

from bench_survey_load import HEALTHZ, PROXY_HEADERS, Respondent, Unexpected
from locust import FastHttpUser, constant, events, task

CONFIG = json.loads(Path(os.environ["WORKFORCE_BENCH_CONFIG"]).read_text(encoding="utf-8"))
LINKS = deque(CONFIG.get("links", ()))
REFERENCED = frozenset(CONFIG.get("referenced", ()))
THINK = float(CONFIG.get("think", 0.0))
RNG = random.Random(CONFIG.get("seed", 0))
# What the proxy adds to every request (and whether it keeps the connection): see
# bench_survey_load.proxy_headers.
HEADERS = CONFIG.get("headers", PROXY_HEADERS)

samples: list[tuple[float, float, str, bool]] = []
records: list[dict] = []
failures: list[str] = []


@events.request.add_listener
def on_request(request_type, name, response_time, exception, start_time=None, **_) -> None:
    samples.append((start_time, response_time, name, exception is None))
    if exception is not None and len(failures) < 50:
        failures.append(f"{request_type} {name}: {exception}")


@events.quitting.add_listener
def write_results(environment, **_) -> None:
    failed = sum(1 for sample in samples if not sample[3])
    result = {
        "samples": samples,
        "records": records,
        "failures": failed,
        "failure_examples": failures[:10],
        "links_left": len(LINKS),
    }
    Path(CONFIG["results"]).write_text(json.dumps(result), encoding="utf-8")


def think_time() -> float:
    return RNG.uniform(0.5 * THINK, 1.5 * THINK) if THINK > 0 else 0.0


class SurveyRespondent(FastHttpUser):
    def wait_time(self) -> float:
        return think_time()

    # One connection per user (the proxy's, kept or one per request as HEADERS say); no
    # retries, no redirects followed.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        # Cookies are kept here, as a browser behind the TLS proxy would: the server marks
        # them Secure (the request came over HTTPS), which the client's own jar would not
        # send back over the plain-HTTP loopback connection.
        self.client.client.cookiejar = None
        self.cookies: dict[str, tuple[str, str]] = {}

    def keep_cookies(self, headers) -> None:
        for header in headers.getlist("set-cookie") if headers is not None else ():
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            path = "/"
            expired = False
            for attribute in attributes.split(";"):
                key, _, setting = attribute.strip().partition("=")
                if key.lower() == "path":
                    path = setting or "/"
                elif key.lower() == "max-age" and setting.strip() in ("0", "-1"):
                    expired = True
            if expired or not value or value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = (value, path)

    def request(self, method, path, name, data=None, expect=(200,)):
        headers = dict(HEADERS)
        cookies = self.cookies.items()
        sent = [f"{key}={value}" for key, (value, at) in cookies if path.startswith(at)]
        if sent:
            headers["Cookie"] = "; ".join(sent)
        body = None
        if method == "POST":
            headers["Origin"] = f"https://{self.host.split('://', 1)[1]}"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(data, doseq=True)
        with self.client.request(
            method,
            path,
            name=name,
            data=body,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            status = answer.status_code
            self.keep_cookies(answer.headers)
            if status not in expect:
                answer.failure(f"status {status}, expected {expect}")
                raise Unexpected(f"{method} {path}: {status}")
            answer.success()
            return status, answer.headers.get("Location", "") or "", answer.text or ""

    @task
    def respond(self) -> None:
        if not LINKS:
            self.stop()
            return
        self.cookies.clear()  # a new member, a new browser
        respondent = Respondent(
            self.request,
            LINKS.popleft(),
            CONFIG["slug"],
            random.Random(RNG.getrandbits(64)),
            referenced=REFERENCED,
            back_rate=float(CONFIG.get("back_rate", 0.1)),
        )
        records.append(respondent.record)
        try:
            for _ in respondent.walk():
                self.wait()
        except Unexpected:
            pass  # counted as a failure; this member gives up, the user takes the next link


class HealthzUser(FastHttpUser):
    wait_time = constant(0)
    concurrency = 1

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name=HEALTHZ, headers=HEADERS)
