"""A werkzeug test client around the in-process app with the ViUR conventions built in (skey, login)."""

import json
import typing as t

from werkzeug.test import Client, TestResponse


class AppClient:
    """One browser-like session against the app: cookies persist, every request comes from 127.0.0.1."""

    def __init__(self, app, remote_addr: str = "127.0.0.1"):
        self.client = Client(app)
        self.environ = {"REMOTE_ADDR": remote_addr}

    def get(self, path: str, **params) -> TestResponse:
        return self.client.get(path, query_string=params or None, environ_base=self.environ)

    def post(
        self, path: str, data: dict | None = None, with_skey: bool = True, headers: dict | None = None
    ) -> TestResponse:
        payload = dict(data or {})
        if with_skey:
            payload.setdefault("skey", self.skey())
        return self.client.post(path, data=payload, environ_base=self.environ, headers=headers)

    def json(self, path: str, **params) -> t.Any:
        """GET ``path`` and decode its JSON body (asserting a 200)."""
        response = self.get(path, **params)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return json.loads(response.text)

    def post_json(self, path: str, data: dict | None = None, with_skey: bool = True) -> tuple[int, t.Any]:
        """POST form data to ``path``; returns the status and the decoded body (or the raw text)."""
        response = self.post(path, data, with_skey=with_skey)
        try:
            return response.status_code, json.loads(response.text)
        except ValueError:
            return response.status_code, response.text

    def skey(self) -> str:
        return json.loads(self.client.get("/json/skey", environ_base=self.environ).text)

    def login(self, name: str, password: str) -> None:
        status, body = self.post_json("/vi/user/auth_userpassword/login", {"name": name, "password": password})
        assert status == 200 and body.get("action") == "login_success", (status, body)

    def logout(self) -> None:
        self.post("/vi/user/logout")
