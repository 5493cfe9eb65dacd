"""All settings, read from the environment in one typed place that fails fast.

``Settings.from_env()`` validates everything at start-up and raises ``SettingsError`` naming the
setting and what is wrong with it. No app id means unauthenticated local use (the Agents
Playground): then the bot listens only on a loopback ``HOST`` unless ``ALLOW_UNAUTHENTICATED``
says otherwise; with an app id, Bot Framework tokens are validated. No storage setting means the
local file store under ``LOCAL_STORAGE_DIR``. ``.env.example`` documents every name.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.links import decode_secret

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
_CONTAINER = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_BASE_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
_BASE_URL_NEEDED = (
    "is required with Azure storage: the https address where people's browsers reach this bot "
    "(every link to a plan points there), e.g. https://samtaleguide.kommune.dk"
)


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_WHOLE = re.compile(r"[0-9]{1,9}")  # the digits 0-9 only: "²".isdigit() is true, int("²") fails
_UNAUTHENTICATED_BEYOND_LOOPBACK = (
    "is empty, so nothing is authenticated, and HOST {host!r} is reachable from other machines: "
    "set MicrosoftAppId (with its password or managed identity), listen on 127.0.0.1, or, for "
    "local use on a trusted network only, set ALLOW_UNAUTHENTICATED=true"
)


def _whole(text: str) -> int | None:
    """``text`` as a whole number written with the digits 0-9, else ``None``."""
    return int(text) if _WHOLE.fullmatch(text) else None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False  # another host name: it may resolve to anything
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


class SettingsError(ValueError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name}: {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    app_type: str = "MultiTenant"
    storage_connection_string: str = ""
    storage_account_url: str = ""
    state_container: str = "samtaleguide-state"
    local_storage_dir: Path = Path("var/data")
    concept_file: Path | None = None
    log_level: str = "INFO"
    reminder_interval: int = 900
    allowed_tenants: frozenset[str] = frozenset()
    documents_container: str = "samtaleguide-documents"
    public_base_url: str = ""
    link_secret: str = ""
    link_minutes: int = 15
    retention_days: int = 400
    locale_override: str = ""
    unfinished_retention_days: int = 180
    teams_rate: float = 45.0
    group_commit: bool = True
    live_card_interval: float = 1.0
    time_zone: str = "Europe/Copenhagen"
    allow_unauthenticated: bool = False
    hr_viewers: frozenset[str] = frozenset()  # Entra object ids, lower case
    hr_threshold: int = 5

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    @property
    def base_url(self) -> str:
        """Where people's browsers reach this bot: the base of every link to a plan.

        ``PUBLIC_BASE_URL``; without it ``http://HOST:PORT`` for the local store (local use), and
        ``SettingsError`` naming it with Azure storage, where that address is never right.
        """
        if self.public_base_url:
            return self.public_base_url
        if self.storage_kind != "local-files":
            raise SettingsError("PUBLIC_BASE_URL", _BASE_URL_NEEDED)
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def storage_kind(self) -> str:
        if self.storage_connection_string or self.storage_account_url:
            return "azure-blob"
        return "local-files"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        app_id = get("MicrosoftAppId")
        app_type = get("MicrosoftAppType") or "MultiTenant"
        if app_type not in APP_TYPES:
            raise SettingsError("MicrosoftAppType", f"must be one of {', '.join(APP_TYPES)}")
        password = get("MicrosoftAppPassword")
        tenant = get("MicrosoftAppTenantId")
        if app_id:
            if app_type != "UserAssignedMSI" and not password:
                raise SettingsError("MicrosoftAppPassword", "is required with MicrosoftAppId")
            if app_type != "MultiTenant" and not tenant:
                raise SettingsError("MicrosoftAppTenantId", f"is required for {app_type}")
        elif password:
            raise SettingsError("MicrosoftAppId", "is required when MicrosoftAppPassword is set")
        allow_text = get("ALLOW_UNAUTHENTICATED", "false").lower() or "false"
        if allow_text not in ("true", "false"):
            raise SettingsError("ALLOW_UNAUTHENTICATED", "must be true or false")
        allow_unauthenticated = allow_text == "true"
        if allow_unauthenticated and app_id:
            raise SettingsError(
                "ALLOW_UNAUTHENTICATED",
                "must not be set with MicrosoftAppId: authentication is on (remove the setting)",
            )
        host = get("HOST", "127.0.0.1") or "127.0.0.1"
        if not app_id and not allow_unauthenticated and not is_loopback(host):
            raise SettingsError(
                "MicrosoftAppId", _UNAUTHENTICATED_BEYOND_LOOPBACK.format(host=host)
            )

        connection = get("AZURE_STORAGE_CONNECTION_STRING")
        account_url = get("AZURE_STORAGE_ACCOUNT_URL")
        if connection and account_url:
            raise SettingsError(
                "AZURE_STORAGE_ACCOUNT_URL",
                "set either it or AZURE_STORAGE_CONNECTION_STRING, not both",
            )
        if account_url and not re.match(r"^https?://[^\s/]+", account_url):
            raise SettingsError("AZURE_STORAGE_ACCOUNT_URL", "must be an http(s) URL")
        if connection and "=" not in connection:
            raise SettingsError(
                "AZURE_STORAGE_CONNECTION_STRING", "is not a storage connection string"
            )
        container = get("AZURE_STORAGE_CONTAINER", "samtaleguide-state")
        if not _CONTAINER.match(container):
            raise SettingsError("AZURE_STORAGE_CONTAINER", "is not a valid blob container name")

        port_text = get("PORT", "3978")
        port = _whole(port_text)
        if port is None or not 0 < port < 65536:
            raise SettingsError("PORT", f"must be a port number 1-65535, not {port_text!r}")

        concept = get("CONCEPT_FILE")
        if concept and not Path(concept).is_file():
            raise SettingsError("CONCEPT_FILE", f"no such file: {concept}")

        log_level = get("LOG_LEVEL", "INFO").upper()
        if log_level not in _LOG_LEVELS:
            raise SettingsError("LOG_LEVEL", f"must be one of {', '.join(_LOG_LEVELS)}")

        interval = _whole(get("REMINDER_INTERVAL_SECONDS", "900"))
        if interval is None:
            raise SettingsError("REMINDER_INTERVAL_SECONDS", "must be a whole number of seconds")

        tenants = frozenset(t.strip() for t in get("ALLOWED_TENANTS").split(",") if t.strip())

        documents = get("AZURE_STORAGE_DOCUMENTS_CONTAINER", "samtaleguide-documents")
        if not _CONTAINER.match(documents) or documents == container:
            raise SettingsError(
                "AZURE_STORAGE_DOCUMENTS_CONTAINER",
                "must be a valid blob container name, different from AZURE_STORAGE_CONTAINER",
            )
        base_url = get("PUBLIC_BASE_URL").rstrip("/")
        if base_url and not _BASE_URL.fullmatch(base_url):
            raise SettingsError(
                "PUBLIC_BASE_URL", "must be an http(s) URL without query or fragment"
            )
        if (connection or account_url) and not base_url:
            raise SettingsError("PUBLIC_BASE_URL", _BASE_URL_NEEDED)
        if account_url and not base_url.startswith("https://"):
            raise SettingsError(
                "PUBLIC_BASE_URL",
                "must be an https URL with AZURE_STORAGE_ACCOUNT_URL (links carry a signature)",
            )
        minutes = _whole(get("PLAN_LINK_MINUTES", "15"))
        if minutes is None or not 1 <= minutes <= 24 * 60:
            raise SettingsError("PLAN_LINK_MINUTES", "must be a whole number of minutes, 1-1440")

        days = {}
        for name, default in (("RETENTION_DAYS", "400"), ("UNFINISHED_RETENTION_DAYS", "180")):
            value = _whole(get(name, default))
            if value is None or not 1 <= value <= 3650:
                raise SettingsError(name, "must be a whole number of days, 1-3650")
            days[name] = value

        rate_text = get("TEAMS_REQUESTS_PER_SECOND", "45")
        try:
            rate = float(rate_text)
        except ValueError:
            rate = -1.0
        if not 0 < rate <= 50:
            raise SettingsError(
                "TEAMS_REQUESTS_PER_SECOND",
                "must be a number of requests a second, above 0, at most 50",
            )

        group_commit = get("GROUP_COMMIT", "on").lower()
        if group_commit not in ("on", "off"):
            raise SettingsError("GROUP_COMMIT", "must be on or off")

        interval_text = get("LIVE_CARD_EDIT_SECONDS", "1")
        try:
            live_card_interval = float(interval_text)
        except ValueError:
            live_card_interval = -1.0
        if not 0.05 <= live_card_interval <= 10:
            raise SettingsError("LIVE_CARD_EDIT_SECONDS", "must be a number of seconds, 0.05-10")

        time_zone = get("TIME_ZONE", "Europe/Copenhagen") or "Europe/Copenhagen"
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError("TIME_ZONE", f"unknown time zone {time_zone!r}") from None

        hr_viewers = set()
        for part in get("HR_VIEWERS").split(","):
            viewer = part.strip().lower()
            if not viewer:
                continue
            if not _GUID.fullmatch(viewer):
                raise SettingsError(
                    "HR_VIEWERS",
                    "must be Entra object ids (GUIDs such as "
                    f"00000000-0000-0000-0000-000000000000), comma-separated, not {part.strip()!r}",
                )
            hr_viewers.add(viewer)
        threshold = _whole(get("HR_THRESHOLD", "5"))
        if threshold is None or not 2 <= threshold <= 100:
            raise SettingsError("HR_THRESHOLD", "must be a whole number, 2-100")

        locale = get("LOCALE_OVERRIDE")
        if locale and not re.match(r"^[a-z]{2}(-[A-Z]{2})?$", locale):
            raise SettingsError("LOCALE_OVERRIDE", "must be a locale such as da-DK or en-US")

        link_secret = get("DOCUMENT_LINK_SECRET").strip()
        if link_secret:
            try:
                decode_secret(link_secret, "the link secret setting")
            except ValueError as error:
                raise SettingsError("DOCUMENT_LINK_SECRET", str(error)) from None

        return cls(
            host=host,
            port=port,
            app_id=app_id,
            app_password=password,
            app_tenant_id=tenant,
            app_type=app_type,
            storage_connection_string=connection,
            storage_account_url=account_url,
            state_container=container,
            local_storage_dir=Path(get("LOCAL_STORAGE_DIR", "var/data") or "var/data"),
            concept_file=Path(concept) if concept else None,
            log_level=log_level,
            reminder_interval=interval,
            allowed_tenants=tenants,
            documents_container=documents,
            public_base_url=base_url,
            link_secret=link_secret,
            link_minutes=minutes,
            retention_days=days["RETENTION_DAYS"],
            locale_override=locale,
            unfinished_retention_days=days["UNFINISHED_RETENTION_DAYS"],
            teams_rate=rate,
            group_commit=group_commit == "on",
            live_card_interval=live_card_interval,
            time_zone=time_zone,
            allow_unauthenticated=allow_unauthenticated,
            hr_viewers=frozenset(hr_viewers),
            hr_threshold=threshold,
        )
