import os
import stat

import pytest

from appliance import config
from appliance.cli import main


def test_defaults_when_no_file(tmp_path):
    cfg = config.load(tmp_path)
    assert cfg.business.language == "en"
    assert cfg.media.codec == "slin16"


def test_set_get_round_trip_through_file(tmp_path):
    cfg = config.set_value(config.load(tmp_path), "business.name", "Acme Dental")
    cfg = config.set_value(cfg, "asterisk.ari_port", "18088")
    cfg = config.set_value(cfg, "staff.extensions", "201,202")
    config.save(tmp_path, cfg)
    again = config.load(tmp_path)
    assert config.get(again, "business.name") == "Acme Dental"
    assert again.asterisk.ari_port == 18088
    assert again.staff.extensions == ["201", "202"]
    assert stat.S_IMODE(os.stat(tmp_path / "appliance.toml").st_mode) == 0o600


def test_numeric_looking_string_stays_a_string(tmp_path):
    cfg = config.set_value(config.load(tmp_path), "receptionist.extension", "100")
    assert cfg.receptionist.extension == "100"


@pytest.mark.parametrize("key,value,expect", [
    ("asterisk.ari_port", "banana", "asterisk.ari_port"),
    ("asterisk.ari_port", "70000", "asterisk.ari_port"),
    ("media.codec", "opus", "media.codec"),
    ("staff.extensions", "20a", "staff.extensions"),
    ("business.nmae", "x", "business.nmae"),
    ("nosuch.key", "x", "nosuch.key"),
    ("gsm.pin", "12ab", "gsm.pin"),
    ("gsm.pin", "123", "gsm.pin"),
    ("gsm.sms_mode", "fax", "gsm.sms_mode"),
    ("gsm.staff_numbers", "+2783x", "gsm.staff_numbers"),
    ("staff.mobile", "call me", "staff.mobile"),
])
def test_invalid_values_name_the_key(tmp_path, key, value, expect):
    with pytest.raises(config.ConfigError) as e:
        config.set_value(config.load(tmp_path), key, value)
    assert expect in str(e.value)


def test_invalid_file_names_key_and_path(tmp_path):
    (tmp_path / "appliance.toml").write_text('[asterisk]\nari_port = "x"\n')
    with pytest.raises(config.ConfigError) as e:
        config.load(tmp_path)
    assert "asterisk.ari_port" in str(e.value) and str(tmp_path) in str(e.value)


def test_unknown_key_in_file_is_rejected(tmp_path):
    (tmp_path / "appliance.toml").write_text('[business]\ncolour = "red"\n')
    with pytest.raises(config.ConfigError, match="business.colour: unknown key"):
        config.load(tmp_path)


def test_broken_toml_is_a_clear_error(tmp_path):
    (tmp_path / "appliance.toml").write_text("[business\n")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(tmp_path)


def test_cli_config_set_get(tmp_path, capsys):
    home = str(tmp_path / "h")
    assert main(["--home", home, "config", "set", "business.greeting", "Hello there"]) == 0
    assert main(["--home", home, "config", "get", "business.greeting"]) == 0
    assert capsys.readouterr().out.strip().endswith("Hello there")
    assert main(["--home", home, "config", "set", "asterisk.ari_port", "nope"]) == 2
    assert "asterisk.ari_port" in capsys.readouterr().err
    # The bad value was not saved.
    assert config.load(tmp_path / "h").asterisk.ari_port == 8088


def test_gsm_numbers_and_pin_keep_their_form(tmp_path):
    cfg = config.load(tmp_path)
    cfg = config.set_value(cfg, "gsm.pin", "0123")
    cfg = config.set_value(cfg, "gsm.staff_numbers", "+27830000001,0821234567")
    cfg = config.set_value(cfg, "staff.mobile", "+27830000002")
    assert cfg.gsm.pin == "0123"  # not the number 123
    assert cfg.gsm.staff_numbers == ["+27830000001", "0821234567"]
    assert cfg.staff.mobile == "+27830000002"


def test_config_show_hides_the_sim_pin(tmp_path, capsys):
    config.save(tmp_path, config.set_value(config.load(tmp_path), "gsm.pin", "4321"))
    assert main(["--home", str(tmp_path), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "4321" not in out and '"pin": "****"' in out
