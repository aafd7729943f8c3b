"""Generate every Asterisk config file from the appliance's own configuration.

One source of truth: nothing under ``home/asterisk/etc`` is edited by hand; it is rewritten
each time Asterisk is started by the appliance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from appliance.config import Config
from appliance.home import ARI_PASSWORD_FILE, Home, staff_secret_name

# Only what the box uses is loaded: smaller attack surface, faster start, no AMI at all.
MODULES = [
    # core plumbing
    "res_sorcery_config", "res_sorcery_memory", "res_sorcery_astdb", "res_timing_timerfd",
    "pbx_config", "func_callerid", "func_channel", "func_logic", "func_strings",
    "func_talkdetect", "app_dial", "app_playback", "app_verbose", "app_echo",
    "app_senddtmf", "app_record",
    # codecs and sound formats
    "codec_ulaw", "codec_alaw", "codec_a_mu", "codec_gsm", "codec_resample", "codec_g722",
    "format_gsm", "format_wav", "format_pcm", "format_sln", "format_wav_gsm",
    # bridging
    "bridge_simple", "bridge_softmix", "bridge_holding", "bridge_builtin_features",
    # media
    "res_rtp_asterisk", "res_rtp_multicast", "chan_rtp",
    # ARI
    "res_http_websocket", "res_websocket_client", "res_stasis", "res_stasis_answer",
    "res_stasis_playback", "res_stasis_recording", "res_stasis_snoop",
    "res_stasis_device_state", "app_stasis",
    "res_ari", "res_ari_model", "res_ari_applications", "res_ari_asterisk", "res_ari_bridges",
    "res_ari_channels", "res_ari_endpoints", "res_ari_events", "res_ari_playbacks",
    "res_ari_recordings", "res_ari_sounds", "res_ari_device_states",
    # SIP (no anonymous identifier: unknown callers are rejected)
    "res_pjproject", "res_pjsip", "res_pjsip_session", "chan_pjsip",
    "res_pjsip_authenticator_digest", "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_endpoint_identifier_user", "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_registrar", "res_pjsip_outbound_registration", "res_pjsip_sdp_rtp",
    "res_pjsip_caller_id", "res_pjsip_dtmf_info", "res_pjsip_nat", "res_pjsip_rfc3326",
    "res_pjsip_pubsub", "res_pjsip_diversion", "res_pjsip_dialog_info_body_generator",
]


@dataclass(frozen=True)
class AsteriskPaths:
    """Where the Asterisk installation keeps its modules and data (native or private root)."""

    moddir: Path
    datadir: Path


def _asterisk_conf(home: Home, paths: AsteriskPaths) -> str:
    a = home.asterisk_dir
    return f"""[directories]
astetcdir => {home.asterisk_etc}
astmoddir => {paths.moddir}
astvarlibdir => {a / "lib"}
astdbdir => {a / "lib"}
astkeydir => {a / "lib"}
astdatadir => {paths.datadir}
astagidir => {paths.datadir / "agi-bin"}
astspooldir => {a / "spool"}
astrundir => {a / "run"}
astlogdir => {a / "log"}

[options]
documentation_language = en_US
transmit_silence = yes
hideconnect = yes
"""


def _modules_conf() -> str:
    lines = ["[modules]", "autoload = no"]
    lines += [f"load => {m}.so" for m in MODULES]
    return "\n".join(lines) + "\n"


def _http_conf(cfg: Config) -> str:
    # ARI is reachable from this box only.
    return f"""[general]
enabled = yes
bindaddr = 127.0.0.1
bindport = {cfg.asterisk.ari_port}
enablestatic = no
servername = appliance
"""


def _ari_conf(cfg: Config, password: str) -> str:
    return f"""[general]
enabled = yes
pretty = no
channelvars = APPLIANCE_TAG
allowed_origins =

[{cfg.asterisk.ari_user}]
type = user
read_only = no
password_format = plain
password = {password}
"""


def _rtp_conf(cfg: Config) -> str:
    return f"""[general]
rtpstart = {cfg.asterisk.rtp_start}
rtpend = {cfg.asterisk.rtp_end}
"""


def _logger_conf() -> str:
    return """[general]
dateformat = %F %T.%3q

[logfiles]
console => notice,warning,error
messages.log => notice,warning,error
"""


def _endpoint(name: str, context: str, auth: str | None = None,
              outbound_auth: str | None = None, callerid: str | None = None) -> str:
    out = [f"[{name}]", "type = endpoint", f"context = {context}", "disallow = all",
           "allow = ulaw,alaw,g722", f"aors = {name}", "direct_media = no",
           "rtp_symmetric = yes", "force_rport = yes", "rewrite_contact = yes"]
    if auth:
        out.append(f"auth = {auth}")
    if outbound_auth:
        out.append(f"outbound_auth = {outbound_auth}")
    if callerid:
        out.append(f"callerid = {callerid}")
    return "\n".join(out) + "\n"


def _auth(name: str, username: str, password: str) -> str:
    return (f"[{name}]\ntype = auth\nauth_type = userpass\n"
            f"username = {username}\npassword = {password}\n")


def _pjsip_conf(cfg: Config, home: Home) -> str:
    bind = cfg.asterisk.sip_bind
    parts = [f"""[global]
type = global
user_agent = appliance
endpoint_identifier_order = username,ip

[transport-udp]
type = transport
protocol = udp
bind = {bind}:{cfg.asterisk.sip_port}
"""]
    for ext in cfg.staff.extensions:
        secret = home.secret(staff_secret_name(ext))
        parts.append(_endpoint(ext, "from-staff", auth=f"{ext}-auth",
                               callerid=f'"Staff {ext}" <{ext}>'))
        parts.append(_auth(f"{ext}-auth", ext, secret))
        parts.append(f"[{ext}]\ntype = aor\nmax_contacts = 2\nremove_existing = yes\n"
                     "qualify_frequency = 0\n")
    t = cfg.trunk
    if t.enabled:
        hostport = f"{t.host}:{t.port}"
        parts.append(f"""[trunk]
type = registration
transport = transport-udp
outbound_auth = trunk-auth
server_uri = sip:{hostport}
client_uri = sip:{t.username}@{hostport}
contact_user = {t.username}
retry_interval = 60
forbidden_retry_interval = 300
expiration = 3600
""")
        parts.append(_auth("trunk-auth", t.username, t.password))
        parts.append(f"[trunk]\ntype = aor\ncontact = sip:{hostport}\n")
        parts.append(_endpoint("trunk", "from-trunk", outbound_auth="trunk-auth")
                     + f"from_user = {t.username}\nfrom_domain = {t.host}\n")
        parts.append(f"[trunk-identify]\ntype = identify\nendpoint = trunk\nmatch = {t.host}\n")
    return "\n".join(parts)


def fallback_sound(home: Home) -> Path:
    """The recorded "please call back" message (path without extension, as Playback wants)."""
    return home.sounds_dir / "fallback"


TRANSFER_CONTEXT = "staff-transfer"
TRANSFER_EXTEN = "staff"


def _extensions_conf(cfg: Config, home: Home) -> str:
    app = cfg.asterisk.app
    staff = "&".join(f"PJSIP/{e}" for e in cfg.staff.extensions)
    rx = cfg.receptionist.extension
    dial = f" same => n,Dial({staff},{cfg.staff.ring_seconds})\n" if staff else ""
    trunk_routes = "".join(f"exten => {did},1,Goto(receptionist,s,1)\n" for did in cfg.trunk.dids)
    if not cfg.trunk.dids:
        # No DIDs configured: every number the provider delivers reaches the receptionist.
        trunk_routes = ("exten => _X.,1,Goto(receptionist,s,1)\n"
                        "exten => _+X.,1,Goto(receptionist,s,1)\n")
    staff_routes = "".join(f"exten => {e},1,Dial(PJSIP/{e},30)\n same => n,Hangup()\n"
                           for e in cfg.staff.extensions)
    ring_all = (f"exten => {TRANSFER_EXTEN},1,Dial({staff},{cfg.staff.ring_seconds})\n"
                " same => n,Hangup()\n") if staff else ""
    return f"""[general]
static = yes
writeprotect = yes
clearglobalvars = yes

[globals]

; Every inbound path ends here. If the supervisor's Stasis app is not connected, Stasis()
; fails at once: ring the staff, then play the recorded message - never dead air.
[receptionist]
exten => s,1,NoOp(receptionist call from ${{CALLERID(all)}})
 same => n,Set(CHANNEL(language)={cfg.business.language})
 same => n,Stasis({app},inbound)
 same => n,GotoIf($["${{STASISSTATUS}}" = "SUCCESS"]?done)
 same => n(fallback),Log(WARNING,receptionist unavailable: ringing the staff)
{dial} same => n,Answer()
 same => n,Playback({fallback_sound(home)})
 same => n(done),Hangup()

[from-trunk]
exten => s,1,Goto(receptionist,s,1)
exten => {rx},1,Goto(receptionist,s,1)
{trunk_routes}
[from-staff]
exten => {rx},1,Goto(receptionist,s,1)
{staff_routes}
; Transfers from the supervisor only ever reach configured staff extensions: the
; supervisor originates Local/staff@staff-transfer, which rings all of them at once.
[staff-transfer]
{staff_routes}{ring_all}"""


def _manager_conf() -> str:
    return "[general]\nenabled = no\n"


def _indications_conf() -> str:
    # Callers hear ringback while the fallback rings the staff phones.
    return """[general]
country = us

[us]
description = United States / North America
ringcadence = 2000,4000
dial = 350+440
busy = 480+620/500,0/500
ring = 440+480/2000,0/4000
congestion = 480+620/250,0/250
callwaiting = 440/300,0/10000
record = 1400/500,0/15000
info = !950/330,!1400/330,!1800/330,0
"""


def generate(cfg: Config, home: Home, paths: AsteriskPaths) -> dict[str, str]:
    """Return {file name: content} for every config file Asterisk reads."""
    password = home.secret(ARI_PASSWORD_FILE)
    return {
        "asterisk.conf": _asterisk_conf(home, paths),
        "modules.conf": _modules_conf(),
        "http.conf": _http_conf(cfg),
        "ari.conf": _ari_conf(cfg, password),
        "rtp.conf": _rtp_conf(cfg),
        "logger.conf": _logger_conf(),
        "pjsip.conf": _pjsip_conf(cfg, home),
        "extensions.conf": _extensions_conf(cfg, home),
        "manager.conf": _manager_conf(),
        "indications.conf": _indications_conf(),
        # Present but empty, so Asterisk uses its defaults without logging errors.
        "acl.conf": "", "udptl.conf": "", "pjproject.conf": "", "features.conf": "",
        "stasis.conf": "", "ccss.conf": "", "cel.conf": "", "websocket_client.conf": "",
        "cdr.conf": "[general]\nenable = no\n",
    }


def write(cfg: Config, home: Home, paths: AsteriskPaths) -> bool:
    """Write all files (mode 0600: they hold secrets); True if any of them changed."""
    home.ensure()
    for sub in ("lib", "spool", "run", "log"):
        (home.asterisk_dir / sub).mkdir(parents=True, exist_ok=True)
    etc = home.asterisk_etc
    changed = False
    for name, text in generate(cfg, home, paths).items():
        try:
            if (etc / name).read_text(encoding="utf-8") == text:
                continue
        except FileNotFoundError:
            pass
        changed = True
        tmp = etc / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, etc / name)
    return changed
