import os
import secrets
import stat
from pathlib import Path

from appliance import config
from appliance.home import Home
from appliance.pbx import confgen

PATHS = confgen.AsteriskPaths(Path("/mods"), Path("/data"))


def _generate(tmp_path, **changes):
    cfg = config.Config()
    for key, value in changes.items():
        cfg = config.set_value(cfg, key.replace("__", "."), value)
    home = Home(tmp_path)
    home.ensure()
    return home, confgen.generate(cfg, home, PATHS)


def _ini(text: str) -> dict[str, list[dict[str, str]]]:
    """Parse Asterisk's ini dialect (repeated section names allowed)."""
    out: dict[str, list[dict[str, str]]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = {}
            out.setdefault(line[1:-1], []).append(current)
        elif "=" in line and current is not None:
            k, v = line.split("=", 1)
            current[k.strip().rstrip(">")] = v.strip()
    return out


def test_ari_only_on_loopback_with_generated_secret(tmp_path):
    home, files = _generate(tmp_path)
    http = _ini(files["http.conf"])["general"][0]
    assert http["bindaddr"] == "127.0.0.1"
    ari = _ini(files["ari.conf"])["appliance"][0]
    secret = (tmp_path / "secrets" / "ari.password").read_text().strip()
    assert ari["password"] == secret and len(secret) >= 24
    assert stat.S_IMODE(os.stat(tmp_path / "secrets" / "ari.password").st_mode) == 0o600
    # Generated once, then stable.
    _, again = _generate(tmp_path)
    assert _ini(again["ari.conf"])["appliance"][0]["password"] == secret


def test_no_ami_and_no_anonymous_sip(tmp_path):
    _, files = _generate(tmp_path)
    assert _ini(files["manager.conf"])["general"][0]["enabled"] == "no"
    assert "anonymous" not in files["pjsip.conf"]
    assert "res_pjsip_endpoint_identifier_anonymous" not in files["modules.conf"]
    assert "autoload = no" in files["modules.conf"]


def test_staff_endpoints_get_distinct_strong_secrets(tmp_path):
    _, files = _generate(tmp_path, staff__extensions="201,202")
    sections = _ini(files["pjsip.conf"])
    p1 = sections["201-auth"][0]["password"]
    p2 = sections["202-auth"][0]["password"]
    assert p1 != p2 and len(p1) >= 24
    assert sections["201"][0]["context"] == "from-staff"
    assert "PJSIP/201&PJSIP/202" in files["extensions.conf"]


def test_trunk_registration_and_dids(tmp_path):
    _, files = _generate(tmp_path, trunk__host="sip.example.net", trunk__username="office1",
                         trunk__password=secrets.token_urlsafe(12), trunk__dids="5551000",
                         trunk__enabled="true")
    sections = _ini(files["pjsip.conf"])
    reg = [s for s in sections["trunk"] if s.get("type") == "registration"][0]
    assert reg["server_uri"] == "sip:sip.example.net:5060"
    assert reg["client_uri"] == "sip:office1@sip.example.net:5060"
    assert sections["trunk-identify"][0]["match"] == "sip.example.net"
    assert "exten => 5551000,1,Goto(receptionist,s,1)" in files["extensions.conf"]
    assert "_X." not in files["extensions.conf"]


def test_no_trunk_by_default(tmp_path):
    _, files = _generate(tmp_path)
    assert "type = registration" not in files["pjsip.conf"]


def test_dialplan_falls_back_to_staff_then_message(tmp_path):
    home, files = _generate(tmp_path)
    ext = files["extensions.conf"]
    stasis = ext.index("Stasis(appliance,inbound)")
    dial = ext.index("Dial(PJSIP/201,20)")
    play = ext.index(f"Playback({confgen.fallback_sound(home)})")
    assert stasis < dial < play
    assert 'STASISSTATUS}" = "SUCCESS"' in ext
    # The supervisor hands callers over to this label when it shuts down mid-call.
    assert stasis < ext.index("n(fallback),") < dial


def test_write_uses_private_modes(tmp_path):
    home = Home(tmp_path)
    confgen.write(config.Config(), home, PATHS)
    for name in ("ari.conf", "pjsip.conf", "asterisk.conf"):
        assert stat.S_IMODE(os.stat(home.asterisk_etc / name).st_mode) == 0o600
