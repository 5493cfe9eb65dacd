"""Build the Teams app package: template -> manifest.json with the ids filled in, validated, zipped.

    python manifest/build.py [--env-file .env] [--out manifest/build] [--skip-node-validation]

Values come from the environment (which wins) or the env file:

=================  ========================================================================
MicrosoftAppId     the bot's app id (GUID); ``BOT_ID`` is accepted too (Agents Toolkit name)
TEAMS_APP_ID       the Teams app's id (GUID); default: a uuid5 derived from the bot id, so a
                   rebuild for the same bot keeps the same app (an update, not a second app)
BOT_DOMAIN         the bot's public host name, e.g. ``samtaleguide.example.dk`` (no scheme)
PUBLIC_BASE_URL    https URL of the organisation's pages about the app; privacy and terms are
                   ``{PUBLIC_BASE_URL}/privacy`` and ``/terms``. Default ``https://{BOT_DOMAIN}``
DEVELOPER_NAME     the publisher shown in Teams (at most 32 characters). Default ``Samtaleguide``
APP_VERSION        the package version (semver); raise it for every upload. Default: the
                   project's version in pyproject.toml
=================  ========================================================================

The template uses the Microsoft 365 Agents Toolkit's ``${{NAME}}`` placeholders, so the toolkit
(``deploy/m365agents.yml``) can fill the same file. The package holds manifest.json, color.png,
outline.png, da.json and en.json at the zip's root. Validation is offline: Python checks (ids,
icons, localization keys), then ``node manifest/validate.mjs`` against the schema that npm
``@microsoft/app-manifest`` ships.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from icons import COLOR_SIZE, OUTLINE_SIZE, read_png  # noqa: E402

TEMPLATE = HERE / "manifest.template.json"
ASSETS = ("color.png", "outline.png", "da.json", "en.json")
PACKAGE_NAME = "samtaleguide.zip"
VALIDATOR = HERE / "validate.mjs"
# Fixed namespace for the default Teams app id: uuid5(APP_ID_NAMESPACE, bot id in lower case).
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "teams-app.samtaleguide")

_PLACEHOLDER = re.compile(r"\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_HTTPS = re.compile(r"^https://[^\s/?#]+(/[^\s?#]*)?$")


class BuildError(Exception):
    """A setting or file is wrong; the message names it."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, blank lines, ``export`` and quotes allowed."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise BuildError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def valid_domain(domain: str) -> bool:
    """A public DNS host name: at least two labels, letters/digits/hyphens, an alphabetic TLD."""
    name = domain.lower()
    labels = name.split(".")
    return (
        len(name) <= 253
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def default_app_id(bot_id: str) -> str:
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id.lower()))


def resolve(env: Mapping[str, str]) -> dict[str, str]:
    """The template's values, checked; raises ``BuildError`` naming the setting."""

    def get(name: str) -> str:
        return (env.get(name) or "").strip()

    bot_id, alias = get("MicrosoftAppId"), get("BOT_ID")
    if bot_id and alias and bot_id.lower() != alias.lower():
        raise BuildError("MicrosoftAppId and BOT_ID differ; set one of them")
    bot_id = bot_id or alias
    if not bot_id:
        raise BuildError("MicrosoftAppId is not set (the bot's app id, a GUID)")
    if not _GUID.match(bot_id):
        raise BuildError(f"MicrosoftAppId must be a GUID, not {bot_id!r}")

    app_id = get("TEAMS_APP_ID") or default_app_id(bot_id)
    if not _GUID.match(app_id):
        raise BuildError(f"TEAMS_APP_ID must be a GUID, not {app_id!r}")

    domain = get("BOT_DOMAIN")
    if not domain:
        raise BuildError(
            "BOT_DOMAIN is not set (the bot's host name, e.g. samtaleguide.example.dk)"
        )
    if not valid_domain(domain):
        raise BuildError(
            f"BOT_DOMAIN must be a host name such as samtaleguide.example.dk "
            f"(no https://, port or path), not {domain!r}"
        )

    base = (get("PUBLIC_BASE_URL") or f"https://{domain}").rstrip("/")
    if not _HTTPS.match(base) or len(base) > 2000:
        raise BuildError(f"PUBLIC_BASE_URL must be an https:// URL, not {base!r}")

    developer = get("DEVELOPER_NAME") or "Samtaleguide"
    if len(developer) > 32 or any(ch in developer for ch in '"\\') or not developer.isprintable():
        raise BuildError('DEVELOPER_NAME must be at most 32 printable characters, without " or \\')

    version = get("APP_VERSION") or project_version()
    if not _SEMVER.match(version):
        raise BuildError(f"APP_VERSION must be MAJOR.MINOR.PATCH, not {version!r}")

    return {
        "BOT_ID": bot_id.lower(),
        "TEAMS_APP_ID": app_id.lower(),
        "BOT_DOMAIN": domain.lower(),
        "PUBLIC_BASE_URL": base,
        "DEVELOPER_NAME": developer,
        "APP_VERSION": version,
    }


def render(template: str, values: Mapping[str, str]) -> dict:
    """Fill every ``${{NAME}}``; an unknown placeholder is an error, never left in the output."""
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(template)} - set(values))
    if unknown:
        raise BuildError(f"the template uses unknown placeholders: {', '.join(unknown)}")
    filled = _PLACEHOLDER.sub(lambda m: json.dumps(values[m.group(1)])[1:-1], template)
    manifest: dict = json.loads(filled)
    return manifest


def localization_strings(manifest: Mapping) -> dict[str, str]:
    """The manifest's translatable strings under the localization files' keys."""
    strings = {
        "name.short": manifest["name"]["short"],
        "name.full": manifest["name"]["full"],
        "description.short": manifest["description"]["short"],
        "description.full": manifest["description"]["full"],
    }
    for b, bot in enumerate(manifest.get("bots", [])):
        for i, command_list in enumerate(bot.get("commandLists", [])):
            for j, command in enumerate(command_list["commands"]):
                prefix = f"bots[{b}].commandLists[{i}].commands[{j}]"
                strings[f"{prefix}.title"] = command["title"]
                strings[f"{prefix}.description"] = command["description"]
    return strings


def check(manifest: Mapping, folder: Path) -> None:
    """What the schema cannot see: icon sizes and pixels, and localization files that match."""
    problems: list[str] = []
    for key, size in (("color", COLOR_SIZE), ("outline", OUTLINE_SIZE)):
        width, height, pixels = read_png((folder / manifest["icons"][key]).read_bytes())
        if (width, height) != (size, size):
            problems.append(f"{key} icon is {width}x{height}, not {size}x{size}")
        if key == "outline" and any(
            px[3] and px[:3] != (255, 255, 255) for row in pixels for px in row
        ):
            problems.append("outline icon has pixels that are neither transparent nor white")
    expected = localization_strings(manifest)
    info = manifest["localizationInfo"]
    files = {info["defaultLanguageTag"]: info["defaultLanguageFile"]}
    files.update({x["languageTag"]: x["file"] for x in info.get("additionalLanguages", [])})
    for tag, name in files.items():
        strings = json.loads((folder / name).read_text(encoding="utf-8"))
        keys = set(strings) - {"$schema"}
        if keys != set(expected):
            missing, extra = sorted(set(expected) - keys), sorted(keys - set(expected))
            problems.append(f"{name} ({tag}): missing {missing}, unexpected {extra}")
        if tag == info["defaultLanguageTag"]:
            differ = [k for k in expected if strings.get(k) != expected[k]]
            if differ:
                problems.append(
                    f"{name} must repeat the manifest's own strings; differs in {differ}"
                )
    if problems:
        raise BuildError("; ".join(problems))


def validate_with_node(manifest_path: Path, node: str = "node") -> None:
    if shutil.which(node) is None:
        raise BuildError("node is not installed (Node.js 20 or newer is needed to validate)")
    if not (ROOT / "node_modules" / "@microsoft" / "app-manifest").is_dir():
        raise BuildError("npm package @microsoft/app-manifest is missing: run `npm ci` first")
    result = subprocess.run(
        [node, str(VALIDATOR), str(manifest_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise BuildError(f"manifest validation failed:\n{result.stderr.strip()}")


def write_zip(folder: Path, names: list[str], target: Path) -> None:
    """Deterministic zip: fixed timestamps and order, every file at the root."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (folder / name).read_bytes())


def build(out: Path, env: Mapping[str, str], *, node_validation: bool = True) -> Path:
    """Build into ``out``: manifest.json and the assets, then ``out/samtaleguide.zip``."""
    values = resolve(env)
    manifest = render(TEMPLATE.read_text(encoding="utf-8"), values)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    for name in ASSETS:
        shutil.copyfile(HERE / name, out / name)
    check(manifest, out)
    if node_validation:
        validate_with_node(manifest_path)
    package = out / PACKAGE_NAME
    write_zip(out, ["manifest.json", *ASSETS], package)
    return package


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE file; the environment wins")
    parser.add_argument("--out", type=Path, default=HERE / "build", help="output folder")
    parser.add_argument(
        "--skip-node-validation",
        action="store_true",
        help="skip the schema validation (not advised)",
    )
    args = parser.parse_args(argv)
    try:
        env: dict[str, str] = {}
        if args.env_file:
            env.update(read_env_file(args.env_file))
        env.update({k: v for k, v in os.environ.items() if v.strip()})
        package = build(args.out, env, node_validation=not args.skip_node_validation)
    except (BuildError, OSError, ValueError, KeyError) as error:
        print(f"build-manifest: error: {error}", file=sys.stderr)
        return 1
    values = resolve(env)
    print(f"build-manifest: Teams app {values['TEAMS_APP_ID']} v{values['APP_VERSION']}")
    print(f"build-manifest: bot {values['BOT_ID']} at {values['BOT_DOMAIN']}")
    print(f"build-manifest: wrote {package}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
