"""The Teams app package: built with test ids, validated offline against the Teams schema (node +
npm ``@microsoft/app-manifest``), zipped with the right files; and proof that the validation
fails for a broken manifest, so a passing build means something."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
MANIFEST_DIR = REPO / "manifest"
VALIDATOR = MANIFEST_DIR / "validate.mjs"
BOT_ID = "0f9a1c7e-3b52-4d8e-9a61-2c4b8d7e5f10"
DOMAIN = "samtaleguide.test-kommune.dk"
PACKAGE_FILES = ["manifest.json", "color.png", "outline.png", "da.json", "en.json"]
RSC = [{"name": "OnlineMeeting.ReadBasic.Chat", "type": "Application"}]


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(MANIFEST_DIR))
    try:
        spec = importlib.util.spec_from_file_location(
            f"samtaleguide_manifest_{name}", MANIFEST_DIR / f"{name}.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(MANIFEST_DIR))


build_py = _load("build")
icons_py = _load("icons")


def _node() -> str:
    node = shutil.which("node")
    assert node, "Node.js is needed to validate the manifest (scripts/setup.sh)"
    assert (REPO / "node_modules" / "@microsoft" / "app-manifest").is_dir(), "run npm ci"
    return node


def _env(**extra: str) -> dict[str, str]:
    """A clean environment for the build script: no .env file, only the test ids."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update(ENV_FILE="", MicrosoftAppId=BOT_ID, BOT_DOMAIN=DOMAIN, PYTHON=sys.executable)
    env.update(extra)
    return env


def _build_script(out: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "build-manifest.sh"), "--out", str(out)],
        env=_env(**extra),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _validate(manifest_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(VALIDATOR), str(manifest_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _node()
    out = tmp_path_factory.mktemp("package")
    result = _build_script(out)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout
    return out


@pytest.fixture
def manifest(package: Path) -> dict[str, Any]:
    return json.loads((package / "manifest.json").read_text(encoding="utf-8"))


def _broken_copy(package: Path, target: Path, change: Any, file: str = "manifest.json") -> Path:
    """A copy of the built package with ``change`` applied to one of its JSON files."""
    target.mkdir()
    for name in PACKAGE_FILES:
        shutil.copyfile(package / name, target / name)
    data = json.loads((target / file).read_text(encoding="utf-8"))
    change(data)
    (target / file).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target / "manifest.json"


# --- the package ----------------------------------------------------------------------------


def test_the_zip_holds_exactly_the_package_files_at_its_root(package: Path) -> None:
    with zipfile.ZipFile(package / "samtaleguide.zip") as archive:
        assert archive.namelist() == PACKAGE_FILES
        for name in PACKAGE_FILES:
            assert archive.read(name) == (package / name).read_bytes()


def test_the_built_manifest_passes_the_offline_schema_validation(package: Path) -> None:
    result = _validate(package / "manifest.json")
    assert result.returncode == 0, result.stderr
    assert "valid against the Teams app manifest schema v1.23" in result.stdout


def test_ids_domain_and_urls_are_filled_in(manifest: dict[str, Any], package: Path) -> None:
    text = (package / "manifest.json").read_text(encoding="utf-8")
    assert "${{" not in text
    expected_app_id = str(
        uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, "teams-app.samtaleguide"), BOT_ID)
    )
    assert manifest["id"] == expected_app_id
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["webApplicationInfo"]["id"] == BOT_ID
    assert manifest["validDomains"] == [DOMAIN]
    assert manifest["developer"]["websiteUrl"] == f"https://{DOMAIN}"
    assert manifest["developer"]["privacyUrl"] == f"https://{DOMAIN}/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == f"https://{DOMAIN}/terms"
    assert manifest["version"] == build_py.project_version()


def test_the_manifest_is_the_bot_we_describe(manifest: dict[str, Any]) -> None:
    assert manifest["manifestVersion"] == "1.23"
    assert manifest["$schema"].endswith("/teams/v1.23/MicrosoftTeams.schema.json")
    assert manifest["name"]["short"] == "Samtaleguide"
    assert manifest["accentColor"] == "#7B3F98"
    (bot,) = manifest["bots"]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is False
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == RSC
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "da",
        "defaultLanguageFile": "da.json",
        "additionalLanguages": [{"languageTag": "en", "file": "en.json"}],
    }
    assert not {"staticTabs", "configurableTabs", "composeExtensions", "permissions"} & set(
        manifest
    )


def test_commands_are_danish_by_default_english_in_en_json_and_known_to_the_bot(
    manifest: dict[str, Any], package: Path
) -> None:
    lists = manifest["bots"][0]["commandLists"]
    danish = {tuple(cl["scopes"]): [c["title"] for c in cl["commands"]] for cl in lists}
    assert danish == {
        ("personal",): ["hjælp", "ny MUS", "ny LUS", "status", "start"],
        ("groupChat", "team"): ["hjælp", "ny GRUS", "ny MUS", "ny LUS", "status", "start"],
    }
    english = json.loads((package / "en.json").read_text(encoding="utf-8"))
    titles = [v for k, v in english.items() if k.endswith(".title")]
    personal = ["help", "new MUS", "new LUS", "status", "start"]
    group = ["help", "new GRUS", "new MUS", "new LUS", "status", "start"]
    assert titles == [*personal, *group]
    from bot.flows import commands

    known = commands()
    for title in [*(t for ts in danish.values() for t in ts), *titles]:
        assert title.lower() in known, f"the bot does not understand the command {title!r}"


def test_localization_files_cover_the_same_strings(manifest: dict[str, Any], package: Path) -> None:
    da = json.loads((package / "da.json").read_text(encoding="utf-8"))
    en = json.loads((package / "en.json").read_text(encoding="utf-8"))
    strings = build_py.localization_strings(manifest)
    assert {k: v for k, v in da.items() if k != "$schema"} == strings
    assert set(en) == set(da)
    assert en["description.full"] != da["description.full"]
    assert all(v.strip() for v in en.values())


# --- icons ----------------------------------------------------------------------------------


def test_icons_have_the_right_sizes_and_the_outline_is_white_on_transparent(package: Path) -> None:
    width, height, color = icons_py.read_png((package / "color.png").read_bytes())
    assert (width, height) == (192, 192)
    assert all(px[3] == 255 for row in color for px in row)
    assert len({px[:3] for row in color for px in row}) > 2  # a drawing, not a flat square

    width, height, outline = icons_py.read_png((package / "outline.png").read_bytes())
    assert (width, height) == (32, 32)
    alphas = {px[3] for row in outline for px in row}
    assert alphas == {0, 255}
    assert all(px[:3] == (255, 255, 255) for row in outline for px in row if px[3])
    # a 1-pixel transparent margin all round
    edges = [*outline[0], *outline[-1], *(row[0] for row in outline), *(row[-1] for row in outline)]
    assert all(px[3] == 0 for px in edges)


def test_the_icons_are_drawn_by_icons_py(tmp_path: Path) -> None:
    icons_py.main(tmp_path)
    for name in ("color.png", "outline.png"):
        assert (tmp_path / name).read_bytes() == (MANIFEST_DIR / name).read_bytes(), name


def test_the_build_refuses_an_outline_icon_with_colour(tmp_path: Path) -> None:
    pixels = icons_py.draw_outline()
    pixels[10][10] = (123, 63, 152, 255)
    (tmp_path / "outline.png").write_bytes(icons_py.encode_png(pixels))
    for name in ("color.png", "da.json", "en.json"):
        shutil.copyfile(MANIFEST_DIR / name, tmp_path / name)
    manifest = build_py.render(
        build_py.TEMPLATE.read_text(encoding="utf-8"),
        build_py.resolve({"MicrosoftAppId": BOT_ID, "BOT_DOMAIN": DOMAIN}),
    )
    with pytest.raises(build_py.BuildError, match="outline icon"):
        build_py.check(manifest, tmp_path)


# --- the validation can fail ----------------------------------------------------------------


def _drop_bot_id(m: dict[str, Any]) -> None:
    del m["bots"][0]["botId"]


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(m: dict[str, Any]) -> None:
        target = m
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BROKEN = [
    ("missing bots[0].botId", "manifest.json", _drop_bot_id, "botId"),
    ("bot id not a GUID", "manifest.json", _set(("bots", 0, "botId"), "my-bot"), "/bots/0/botId"),
    ("manifestVersion 1.18", "manifest.json", _set(("manifestVersion",), "1.18"), "1.18"),
    (
        "manifestVersion without its schema URL",
        "manifest.json",
        _set(("manifestVersion",), "1.22"),
        "$schema",
    ),
    ("version not semver", "manifest.json", _set(("version",), "1.0"), "/version"),
    ("accent colour not hex", "manifest.json", _set(("accentColor",), "violet"), "accentColor"),
    ("unknown scope", "manifest.json", _set(("bots", 0, "scopes"), ["meeting"]), "scopes"),
    ("unknown property", "manifest.json", _set(("supportsFiles",), False), "additional"),
    ("short name too long", "manifest.json", _set(("name", "short"), "S" * 31), "/name/short"),
    (
        "localization key for a command that does not exist",
        "en.json",
        _set(("bots[0].commandLists[3].commands[0].title",), "x"),
        "en.json",
    ),
    ("localized short name too long", "da.json", _set(("name.short",), "S" * 31), "da.json"),
]


@pytest.mark.parametrize(("name", "file", "change", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_manifest_fails_validation(
    package: Path, tmp_path: Path, name: str, file: str, change: Any, message: str
) -> None:
    result = _validate(_broken_copy(package, tmp_path / "broken", change, file))
    assert result.returncode == 1, f"{name}: accepted\n{result.stdout}"
    assert message in result.stderr, result.stderr


def test_a_missing_icon_fails_validation(package: Path, tmp_path: Path) -> None:
    manifest_path = _broken_copy(package, tmp_path / "broken", lambda m: None)
    (manifest_path.parent / "outline.png").unlink()
    result = _validate(manifest_path)
    assert result.returncode == 1 and "outline.png" in result.stderr


def test_the_validator_never_accepts_garbage(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert _validate(tmp_path / "manifest.json").returncode == 1
    minimal = {"manifestVersion": "1.23"}
    (tmp_path / "manifest.json").write_text(json.dumps(minimal), encoding="utf-8")
    result = _validate(tmp_path / "manifest.json")
    assert result.returncode == 1 and "required property" in result.stderr


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MicrosoftAppId": ""}, "MicrosoftAppId is not set"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId must be a GUID"),
        ({"BOT_ID": "11111111-2222-3333-4444-555555555555"}, "differ"),
        ({"TEAMS_APP_ID": "123"}, "TEAMS_APP_ID must be a GUID"),
        ({"BOT_DOMAIN": ""}, "BOT_DOMAIN is not set"),
        ({"BOT_DOMAIN": "https://samtaleguide.example.dk"}, "BOT_DOMAIN must be a host name"),
        ({"BOT_DOMAIN": "samtaleguide.example.dk/api"}, "BOT_DOMAIN must be a host name"),
        ({"BOT_DOMAIN": "samtaleguide.example.dk:443"}, "BOT_DOMAIN must be a host name"),
        ({"BOT_DOMAIN": "localhost"}, "BOT_DOMAIN must be a host name"),
        ({"BOT_DOMAIN": "bad_host.example.dk"}, "BOT_DOMAIN must be a host name"),
        ({"BOT_DOMAIN": "-x.example.dk"}, "BOT_DOMAIN must be a host name"),
        ({"PUBLIC_BASE_URL": "http://example.dk"}, "PUBLIC_BASE_URL must be an https"),
        ({"DEVELOPER_NAME": "D" * 33}, "DEVELOPER_NAME"),
        ({"APP_VERSION": "1.0"}, "APP_VERSION"),
    ],
)
def test_bad_settings_are_refused_by_name(env: dict[str, str], message: str) -> None:
    values = {"MicrosoftAppId": BOT_ID, "BOT_DOMAIN": DOMAIN, **env}
    with pytest.raises(build_py.BuildError, match=message):
        build_py.resolve(values)


def test_the_script_fails_with_the_setting_named(tmp_path: Path) -> None:
    result = _build_script(tmp_path / "out", BOT_DOMAIN="https://x.example.dk")
    assert result.returncode != 0
    assert "BOT_DOMAIN" in result.stderr
    assert not (tmp_path / "out" / "samtaleguide.zip").exists()


def test_explicit_values_win_and_the_default_app_id_is_stable() -> None:
    base = {"MicrosoftAppId": BOT_ID.upper(), "BOT_DOMAIN": "Bot.Example.DK"}
    first, again = build_py.resolve(base), build_py.resolve(dict(base))
    assert first["TEAMS_APP_ID"] == again["TEAMS_APP_ID"] != BOT_ID
    assert first["BOT_ID"] == BOT_ID and first["BOT_DOMAIN"] == "bot.example.dk"
    other = "7d3e6c1a-9b0f-4e2d-8c5a-1f2e3d4c5b6a"
    chosen = build_py.resolve(
        {
            **base,
            "TEAMS_APP_ID": other,
            "PUBLIC_BASE_URL": "https://kommune.example.dk/samtaleguide/",
            "DEVELOPER_NAME": "Eksempel Kommune",
            "APP_VERSION": "2.3.4",
        }
    )
    assert chosen["TEAMS_APP_ID"] == other
    assert chosen["PUBLIC_BASE_URL"] == "https://kommune.example.dk/samtaleguide"
    manifest = build_py.render(build_py.TEMPLATE.read_text(encoding="utf-8"), chosen)
    assert manifest["developer"]["name"] == "Eksempel Kommune"
    assert manifest["developer"]["privacyUrl"] == "https://kommune.example.dk/samtaleguide/privacy"
    assert manifest["version"] == "2.3.4"


def test_env_file_values_are_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "build.env"
    env_file.write_text(
        f"# comment\nexport MicrosoftAppId={BOT_ID}\nBOT_DOMAIN='file.example.dk'\n"
        'DEVELOPER_NAME="Fra Filen"\n',
        encoding="utf-8",
    )
    assert build_py.read_env_file(env_file)["BOT_DOMAIN"] == "file.example.dk"
    out = tmp_path / "out"
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "build-manifest.sh"), "--out", str(out)],
        env={**_env(), "ENV_FILE": str(env_file), "MicrosoftAppId": "", "BOT_DOMAIN": ""}
        | {"DEVELOPER_NAME": "Fra Miljøet"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["validDomains"] == ["file.example.dk"]
    assert manifest["developer"]["name"] == "Fra Miljøet"


def test_unknown_placeholders_are_an_error() -> None:
    with pytest.raises(build_py.BuildError, match="NOPE"):
        build_py.render('{"a": "${{NOPE}}"}', {})
