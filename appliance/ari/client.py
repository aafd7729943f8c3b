"""A small ARI REST client: one aiohttp session for the process, secrets never in URLs.

ARI answers 200 with a body, 201 for play/record and 204 for answer/hangup/stop: every 2xx
is success. 404 on a channel that already hung up is common during cleanup, and callers
that expect it use ``missing_ok``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import aiohttp


class AriError(Exception):
    """ARI refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AriAuthError(AriError):
    """ARI rejected the credentials (401)."""


class AriUnreachable(AriError):
    """Nothing answered on the ARI address."""


@dataclass(frozen=True)
class AriSettings:
    host: str
    port: int
    user: str
    password: str
    app: str

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/ari"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ari/events"


class AriClient:
    def __init__(self, settings: AriSettings, timeout: float = 10.0) -> None:
        self.settings = settings
        self._session = aiohttp.ClientSession(
            headers={"Authorization": basic_auth(settings.user, settings.password)},
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session

    async def close(self) -> None:
        await self._session.close()

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
        url = self.settings.base_url + path
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            async with self._session.request(method, url, params=clean, json=body) as resp:
                text = await resp.text()
                if 200 <= resp.status < 300:
                    return json.loads(text) if text else None
                if resp.status == 404 and missing_ok:
                    return None
                detail = _message(text)
                if resp.status == 401:
                    raise AriAuthError(
                        f"ARI rejected the credentials for user {self.settings.user!r} at "
                        f"{self.settings.base_url} (401)", 401)
                raise AriError(f"ARI {method} {path} failed: {resp.status} {detail}",
                               resp.status)
        except aiohttp.ClientConnectionError as e:
            raise AriUnreachable(
                f"ARI not reachable at {self.settings.base_url}: {e}") from None
        except TimeoutError:
            raise AriUnreachable(
                f"ARI {method} {path} timed out at {self.settings.base_url}") from None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   missing_ok: bool = False, **params: Any) -> Any:
        return await self.request("POST", path, params=params, body=body, missing_ok=missing_ok)

    async def delete(self, path: str, missing_ok: bool = True, **params: Any) -> Any:
        return await self.request("DELETE", path, params=params, missing_ok=missing_ok)

    # Typed helpers for what the appliance uses.

    async def info(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.get("/asterisk/info")
        return result

    async def answer(self, channel_id: str) -> None:
        await self.post(f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str) -> None:
        await self.delete(f"/channels/{channel_id}")

    async def external_media(self, app: str, host: str, port: int, fmt: str,
                             channel_id: str | None = None,
                             variables: dict[str, str] | None = None) -> dict[str, Any]:
        # ``variables`` are set before the channel enters Stasis (CALLERID(num) shows in
        # its StasisStart).
        result: dict[str, Any] = await self.post(
            "/channels/externalMedia", {"variables": variables} if variables else None,
            app=app, external_host=f"{host}:{port}", format=fmt,
            encapsulation="rtp", transport="udp", connection_type="client",
            direction="both", channelId=channel_id)
        return result

    async def create_bridge(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.post("/bridges", type="mixing", name=name)
        return result

    async def add_to_bridge(self, bridge_id: str, *channel_ids: str) -> None:
        await self.post(f"/bridges/{bridge_id}/addChannel", channel=",".join(channel_ids))

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.delete(f"/bridges/{bridge_id}")

    async def channel_ids(self) -> list[str]:
        return [c["id"] for c in await self.get("/channels")]

    async def bridge_ids(self) -> list[str]:
        return [b["id"] for b in await self.get("/bridges")]

    async def applications(self) -> list[str]:
        return [a["name"] for a in await self.get("/applications")]


def basic_auth(user: str, password: str) -> str:
    """The Authorization header value (sent as a header, never in a URL)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _param(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:200]
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return text.strip()[:200]


def rtp_peer(media: dict[str, Any]) -> tuple[str, int] | None:
    """Where Asterisk's side of a new ExternalMedia channel takes RTP (from the channel
    variables in the ``external_media`` answer); None if the answer does not say."""
    vars_ = media.get("channelvars") or {}
    host, port = vars_.get("UNICASTRTP_LOCAL_ADDRESS"), vars_.get("UNICASTRTP_LOCAL_PORT")
    return (str(host), int(port)) if host and port else None
