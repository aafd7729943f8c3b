import pytest

from models import Model, ModelError, load_manifest, verify


def test_default_models_are_installed():
    paths = verify()
    assert any(p.name == "en_US-joe-medium.onnx" for p in paths)
    assert all(p.exists() for p in paths)


def test_missing_file_names_the_path():
    m = [x for x in load_manifest() if x.name == "piper-joe-medium"][0]
    broken = Model(m.name, m.role, True, m.package, m.module, ("data/nope.onnx",))
    with pytest.raises(ModelError, match=r"file not found: .*data/nope\.onnx"):
        verify([broken])


def test_missing_package_says_how_to_install():
    ghost = Model("ghost", "tts", True, "ghost-voice", "ghost_voice_pkg", ("x",))
    with pytest.raises(ModelError, match="pip install ghost-voice"):
        verify([ghost])
