"""The ARI settings of this box's own Asterisk: loopback, the configured user and app,
and the password generated into the home's secrets."""

from __future__ import annotations

from appliance.ari.client import AriSettings
from appliance.config import Config
from appliance.home import ARI_PASSWORD_FILE, Home


def local_settings(cfg: Config, home: Home) -> AriSettings:
    """Settings for the ARI on 127.0.0.1; a missing password is empty (ARI will say 401)."""
    a = cfg.asterisk
    return AriSettings("127.0.0.1", a.ari_port, a.ari_user,
                       home.read_secret(ARI_PASSWORD_FILE) or "", a.app)
