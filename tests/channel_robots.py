"""Local stand-ins for the three vendors' group robots (pytest-httpserver on 127.0.0.1).

Each behaves as its vendor documents, written here independently of kaxl's own code:
checks the credential in the URL, the signature and its time window (answering the vendor's
error code when wrong), the keyword, the size limit, the per-minute (and Feishu per-second)
rate limit, and records every accepted payload. HTTP 200 with an error code in the body, as
the vendors do. The server's clocks are injected: tests never wait.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


class Robot:
    """Common parts: the recorded payloads, the rate window, an optional forced answer."""

    path = ""
    per_minute = 20
    per_second: int | None = None

    def __init__(self, *, now: Callable[[], dt.datetime], monotonic: Callable[[], float],
                 secret: str | None = None, keyword: str | None = None, token: str = "tok-123") -> None:
        self.now, self.monotonic = now, monotonic
        self.secret, self.keyword, self.token = secret, keyword, token
        self.accepted: list[dict[str, Any]] = []
        self.requests = 0
        self.times: list[float] = []
        self.forced: list[Response] = []  # answers to give first (a server error, a rate limit…)

    def url(self, base: str) -> str:
        raise NotImplementedError

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        if self.forced:
            return self.forced.pop(0)
        t = self.monotonic()
        minute = [x for x in self.times if x > t - 60]
        second = [x for x in self.times if x > t - 1]
        self.times.append(t)
        if len(minute) >= self.per_minute or (self.per_second and len(second) >= self.per_second):
            return self.rate_limited()
        return self.handle(request)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def rate_limited(self) -> Response:
        raise NotImplementedError

    def text_of(self, body: dict[str, Any]) -> str:
        return json.dumps(body, ensure_ascii=False)


class WeComRobot(Robot):
    path = "/cgi-bin/webhook/send"

    def url(self, base: str) -> str:
        return f"{base}{self.path}?key={self.token}"

    def handle(self, request: Request) -> Response:
        if request.args.get("key") != self.token:
            return _json({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = json.loads(request.get_data())
        if body.get("msgtype") != "markdown" or not isinstance(body.get("markdown", {}).get("content"), str):
            return _json({"errcode": 40008, "errmsg": "invalid message type"})
        if len(body["markdown"]["content"].encode("utf-8")) > 4096:
            return _json({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
        self.accepted.append(body)
        return _json({"errcode": 0, "errmsg": "ok"})

    def rate_limited(self) -> Response:
        return _json({"errcode": 45009, "errmsg": "api freq out of limit"})


class DingTalkRobot(Robot):
    path = "/robot/send"

    def url(self, base: str) -> str:
        return f"{base}{self.path}?access_token={self.token}"

    def handle(self, request: Request) -> Response:
        if request.args.get("access_token") != self.token:
            return _json({"errcode": 300001, "errmsg": "token is not exist"})
        raw = request.get_data()
        if len(raw) > 20_000:
            return _json({"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"})
        if self.secret:
            stamps, signs = request.args.getlist("timestamp"), request.args.getlist("sign")
            if len(stamps) != 1 or len(signs) != 1:
                return _json({"errcode": 310000, "errmsg": "sign not match (timestamp/sign missing or repeated)"})
            server_ms = int(self.now().timestamp() * 1000)
            if abs(server_ms - int(stamps[0])) > 3_600_000:
                return _json({"errcode": 310000, "errmsg": "invalid timestamp"})
            string = f"{stamps[0]}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(self.secret.encode(), string, hashlib.sha256).digest()).decode()
            if signs[0] != expected:  # werkzeug has URL-decoded it once
                return _json({"errcode": 310000, "errmsg": "sign not match"})
        body = json.loads(raw)
        text = body.get("markdown", {}).get("text", "") + body.get("markdown", {}).get("title", "")
        if self.keyword and self.keyword not in text:
            return _json({"errcode": 310000, "errmsg": "关键词不匹配 keywords not in content"})
        self.accepted.append(body)
        return _json({"errcode": 0, "errmsg": "ok"})

    def rate_limited(self) -> Response:
        return _json({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})


class FeishuRobot(Robot):
    per_minute = 100
    per_second = 5

    @property
    def path(self) -> str:  # type: ignore[override]
        return f"/open-apis/bot/v2/hook/{self.token}"

    def url(self, base: str) -> str:
        return f"{base}{self.path}"

    def handle(self, request: Request) -> Response:
        raw = request.get_data()
        if len(raw) > 20 * 1024:
            return _json({"code": 9499, "msg": "Bad Request", "data": {}})
        body = json.loads(raw)
        if self.secret:
            stamp = body.get("timestamp")
            try:
                late = abs(self.now().timestamp() - int(stamp)) > 3600
            except (TypeError, ValueError):
                late = True
            key = f"{stamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if late or body.get("sign") != expected:
                return _json({"code": 19021, "msg": "sign match fail or timestamp is not within one hour "
                                                     "from current time", "data": {}})
        if self.keyword and self.keyword not in self.text_of(body):
            return _json({"code": 19024, "msg": "Key Words Not Found"})
        if body.get("msg_type") != "interactive" or "elements" not in body.get("card", {}):
            return _json({"code": 9499, "msg": "Bad Request", "data": {}})
        self.accepted.append(body)
        return _json({"code": 0, "msg": "success", "data": {}, "StatusCode": 0, "StatusMessage": "success"})

    def rate_limited(self) -> Response:
        return _json({"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"})


def serve(httpserver: Any, robot: Robot) -> str:
    """Register the robot on the server; returns its webhook URL."""
    httpserver.expect_request(robot.path, method="POST").respond_with_handler(robot)
    return robot.url(httpserver.url_for("").rstrip("/"))


class FakeTime:
    """A monotonic clock that only the fake sleep moves (records every sleep)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
