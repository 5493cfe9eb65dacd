"""Settings fail fast, naming the setting; a broken concept file stops the bot naming the field."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from dialogs.concept import default_concept_path
from settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[1]

WRONG = [
    ({"PORT": "abc"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"MicrosoftAppType": "Whatever"}, "MicrosoftAppType"),
    ({"MicrosoftAppId": "x"}, "MicrosoftAppPassword"),
    (
        {"MicrosoftAppId": "x", "MicrosoftAppPassword": "y", "MicrosoftAppType": "SingleTenant"},
        "MicrosoftAppTenantId",
    ),
    ({"MicrosoftAppPassword": "y"}, "MicrosoftAppId"),
    (
        {"AZURE_STORAGE_CONNECTION_STRING": "a=b", "AZURE_STORAGE_ACCOUNT_URL": "https://x"},
        "AZURE_STORAGE_ACCOUNT_URL",
    ),
    ({"AZURE_STORAGE_ACCOUNT_URL": "not a url"}, "AZURE_STORAGE_ACCOUNT_URL"),
    ({"AZURE_STORAGE_CONNECTION_STRING": "nonsense"}, "AZURE_STORAGE_CONNECTION_STRING"),
    ({"AZURE_STORAGE_CONTAINER": "Bad_Name"}, "AZURE_STORAGE_CONTAINER"),
    (
        {"AZURE_STORAGE_DOCUMENTS_CONTAINER": "samtaleguide-state"},
        "AZURE_STORAGE_DOCUMENTS_CONTAINER",
    ),
    ({"CONCEPT_FILE": "/no/such/file.json"}, "CONCEPT_FILE"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"PLAN_LINK_MINUTES": "0"}, "PLAN_LINK_MINUTES"),
    ({"RETENTION_DAYS": "-1"}, "RETENTION_DAYS"),
    ({"REMINDER_INTERVAL_SECONDS": "soon"}, "REMINDER_INTERVAL_SECONDS"),
    ({"LOCALE_OVERRIDE": "danish"}, "LOCALE_OVERRIDE"),
    ({"PUBLIC_BASE_URL": "ftp://x"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "https://bot.example.dk/?x=1"}, "PUBLIC_BASE_URL"),
    # With Azure storage every plan link points at PUBLIC_BASE_URL: it must be set ...
    ({"AZURE_STORAGE_CONNECTION_STRING": "a=b"}, "PUBLIC_BASE_URL"),
    ({"AZURE_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net"}, "PUBLIC_BASE_URL"),
    # ... and https with a managed identity (a deployment)
    (
        {
            "AZURE_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
            "PUBLIC_BASE_URL": "http://bot.example.dk",
        },
        "PUBLIC_BASE_URL",
    ),
    ({"TEAMS_REQUESTS_PER_SECOND": "fast"}, "TEAMS_REQUESTS_PER_SECOND"),
    ({"TEAMS_REQUESTS_PER_SECOND": "0"}, "TEAMS_REQUESTS_PER_SECOND"),
    ({"TEAMS_REQUESTS_PER_SECOND": "80"}, "TEAMS_REQUESTS_PER_SECOND"),
    ({"GROUP_COMMIT": "maybe"}, "GROUP_COMMIT"),
    ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
    ({"LIVE_CARD_EDIT_SECONDS": "0"}, "LIVE_CARD_EDIT_SECONDS"),
    ({"LIVE_CARD_EDIT_SECONDS": "soon"}, "LIVE_CARD_EDIT_SECONDS"),
    # Digits other than 0-9: "²".isdigit() is true but int("²") fails; int("٣") is 3
    ({"PORT": "³⁰⁰⁰"}, "PORT"),
    ({"PORT": "٣٠٠٠"}, "PORT"),
    ({"PLAN_LINK_MINUTES": "１５"}, "PLAN_LINK_MINUTES"),
    ({"RETENTION_DAYS": "²"}, "RETENTION_DAYS"),
    ({"REMINDER_INTERVAL_SECONDS": "٩٠٠"}, "REMINDER_INTERVAL_SECONDS"),
    ({"HR_VIEWERS": "hr@kommune.dk"}, "HR_VIEWERS"),
    ({"HR_VIEWERS": "00000000-0000-4000-8000-000000000001,29:teams-id"}, "HR_VIEWERS"),
    ({"HR_THRESHOLD": "1"}, "HR_THRESHOLD"),
    ({"HR_THRESHOLD": "many"}, "HR_THRESHOLD"),
    ({"DOCUMENT_LINK_SECRET": "short"}, "DOCUMENT_LINK_SECRET"),
    ({"DOCUMENT_LINK_SECRET": "not hex, not base64!" * 3}, "DOCUMENT_LINK_SECRET"),
    # Nothing authenticated and reachable from other machines: refused unless said so
    ({"HOST": "0.0.0.0"}, "MicrosoftAppId"),
    ({"HOST": "::"}, "MicrosoftAppId"),
    ({"HOST": "192.168.1.5"}, "MicrosoftAppId"),
    ({"HOST": "bot.kommune.dk"}, "MicrosoftAppId"),
    ({"HOST": "0.0.0.0", "ALLOW_UNAUTHENTICATED": "yes"}, "ALLOW_UNAUTHENTICATED"),
    (
        {
            "ALLOW_UNAUTHENTICATED": "true",
            "MicrosoftAppId": "x",
            "MicrosoftAppPassword": "y",
        },
        "ALLOW_UNAUTHENTICATED",
    ),
]


def test_the_teams_pacing_is_a_setting() -> None:
    assert Settings.from_env({}).teams_rate == 45.0
    assert Settings.from_env({"TEAMS_REQUESTS_PER_SECOND": "22.5"}).teams_rate == 22.5


@pytest.mark.parametrize(
    ("env", "name"),
    WRONG,
    ids=[f"{w[1]}:{','.join(f'{k}={v}' for k, v in w[0].items())}" for w in WRONG],
)
def test_a_wrong_setting_names_itself(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert error.value.name == name and name in str(error.value)


def test_hr_viewers_are_entra_object_ids() -> None:
    assert Settings.from_env({}).hr_viewers == frozenset()
    assert Settings.from_env({}).hr_threshold == 5
    given = " 00000000-0000-4000-8000-00000000000A , ,00000000-0000-4000-8000-000000000002"
    settings = Settings.from_env({"HR_VIEWERS": given, "HR_THRESHOLD": "10"})
    assert settings.hr_viewers == {
        "00000000-0000-4000-8000-00000000000a",
        "00000000-0000-4000-8000-000000000002",
    }
    assert settings.hr_threshold == 10


def test_defaults_are_local_and_unauthenticated() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.storage_kind, settings.authenticated) == (
        "127.0.0.1",
        3978,
        "local-files",
        False,
    )
    everywhere = {"HOST": "0.0.0.0", "PORT": "8080", "ALLOW_UNAUTHENTICATED": "true"}
    assert Settings.from_env(everywhere).base_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", ""]
)
def test_without_an_app_id_the_bot_listens_on_loopback(host: str) -> None:
    settings = Settings.from_env({"HOST": host})
    assert not settings.authenticated and not settings.allow_unauthenticated


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7", "bot.example.dk"])
def test_beyond_loopback_without_an_app_id_only_when_said_so(host: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"HOST": host})
    message = str(error.value)
    assert message.startswith("setting MicrosoftAppId: is empty")
    assert "HOST" in message and "ALLOW_UNAUTHENTICATED=true" in message
    allowed = Settings.from_env({"HOST": host, "ALLOW_UNAUTHENTICATED": "TRUE"})
    assert allowed.allow_unauthenticated and not allowed.authenticated
    # with an app id the bot listens anywhere: every request needs a token
    with_app_id = {"HOST": host, "MicrosoftAppId": "x", "MicrosoftAppPassword": "y"}
    assert Settings.from_env(with_app_id).authenticated


def test_links_point_at_the_public_base_url() -> None:
    azure = Settings.from_env(
        {
            "AZURE_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
            "PUBLIC_BASE_URL": "https://samtaleguide.kommune.dk/",
        }
    )
    assert azure.base_url == "https://samtaleguide.kommune.dk"
    local = Settings.from_env({"PUBLIC_BASE_URL": "http://192.168.1.5:3978"})
    assert local.base_url == "http://192.168.1.5:3978"
    # Settings built in code (not from the environment) are checked when links are formed.
    unset = Settings(storage_account_url="https://acct.blob.core.windows.net")
    with pytest.raises(SettingsError) as error:
        _ = unset.base_url
    assert error.value.name == "PUBLIC_BASE_URL"


async def _start(env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, err.decode()


async def test_python_app_py_refuses_to_start_on_a_wrong_setting(tmp_path: Path) -> None:
    code, err = await _start(
        {"PATH": "/usr/bin:/bin", "PORT": "abc", "LOCAL_STORAGE_DIR": str(tmp_path)}
    )
    assert code == 2 and "setting PORT" in err and "Traceback" not in err


async def test_a_broken_concept_file_stops_the_bot_naming_the_field(tmp_path: Path) -> None:
    concept = json.loads(default_concept_path().read_text(encoding="utf-8"))
    concept["keywords"][3] = ""
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(concept, ensure_ascii=False), encoding="utf-8")
    code, err = await _start(
        {"PATH": "/usr/bin:/bin", "CONCEPT_FILE": str(broken), "LOCAL_STORAGE_DIR": str(tmp_path)}
    )
    assert code == 2 and "keywords[3]" in err and "Traceback" not in err


async def test_python_app_py_with_azure_storage_needs_a_public_base_url(tmp_path: Path) -> None:
    code, err = await _start(
        {
            "PATH": "/usr/bin:/bin",
            "AZURE_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
            "LOCAL_STORAGE_DIR": str(tmp_path),
        }
    )
    assert code == 2 and "setting PUBLIC_BASE_URL" in err and "Traceback" not in err


async def test_python_app_py_names_a_malformed_link_secret(tmp_path: Path) -> None:
    code, err = await _start(
        {
            "PATH": "/usr/bin:/bin",
            "DOCUMENT_LINK_SECRET": "short",
            "LOCAL_STORAGE_DIR": str(tmp_path),
        }
    )
    assert code == 2 and "setting DOCUMENT_LINK_SECRET" in err and "Traceback" not in err


def test_every_setting_is_explained_in_env_example_and_listed_in_the_readme() -> None:
    import re

    names = set(re.findall(r'get\("([A-Za-z_]+)"', (REPO / "settings.py").read_text("utf-8")))
    assert {"HOST", "ALLOW_UNAUTHENTICATED", "MicrosoftAppId"} <= names
    example = set(re.findall(r"^([A-Za-z_]+)=", (REPO / ".env.example").read_text("utf-8"), re.M))
    readme = (REPO / "README.md").read_text("utf-8")
    configuration = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert sorted(names - example) == []
    assert sorted(n for n in names if f"`{n}`" not in configuration) == []
