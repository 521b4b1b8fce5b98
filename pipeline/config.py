"""One network's configuration, validated once at start-up, with the deployment's overrides applied.

A typo in the config must fail before any file is touched, with the file, the key and the reason,
because the people who edit it are the core team, not the developers. A deployment overrides where the
data lives through ``ANCHOR_*`` environment variables (:class:`DeploymentSettings`); they are read once,
when the config is loaded, so nothing later depends on the environment of whichever process runs a step.
"""

from __future__ import annotations

import os
import re
import tomllib
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.programmes import Programme, SroiAssumptions, SroiSettings, programme_problems
from transforms.limits import DEFAULT_LIMITS, ReadLimits

# The example networks ship as package data (the ``config`` package): they work wherever the project is
# installed, and their relative paths are taken from the working directory, never the installed package.
EXAMPLES_DIR = Path(str(files("config")))
EXAMPLE_CONFIG = EXAMPLES_DIR / "london.toml"

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class ConfigError(Exception):
    """The network config is unreadable or invalid; the message names the file, key and reason."""


class Sector(StrEnum):
    local_government = "local_government"
    nhs = "nhs"
    higher_education = "higher_education"
    further_education = "further_education"
    housing = "housing"
    public_body = "public_body"
    business = "business"
    voluntary = "voluntary"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReturnSchedule(_Strict):
    """When a return type is expected from members."""

    frequency: Literal["quarterly", "yearly"] = "quarterly"
    due_days_after_period_end: int = Field(30, ge=0, le=365)
    # Days the original file is kept in archive/ (and quarantine/) after it arrives; None keeps it for good.
    # Returns of special-category data (recruitment) should set it: transforms.retention plans the deletion.
    keep_raw_days: int | None = Field(None, ge=1, le=3650)


class LocalArea(_Strict):
    """The network's area: spend with suppliers whose postcode falls here counts as local."""

    name: str
    postcode_areas: list[str] = []
    postcode_districts: list[str] = []

    @field_validator("postcode_areas", "postcode_districts")
    @classmethod
    def _upper(cls, codes: list[str]) -> list[str]:
        return sorted({c.strip().upper() for c in codes if c.strip()})

    @model_validator(mode="after")
    def _not_empty(self) -> LocalArea:
        if not self.postcode_areas and not self.postcode_districts:
            raise ValueError("give at least one postcode area (e.g. 'SE') or district (e.g. 'DH1')")
        for area in self.postcode_areas:
            if not re.fullmatch(r"[A-Z]{1,2}", area):
                raise ValueError(f"'{area}' is not a postcode area: use the letters only, e.g. 'SE' or 'DH'")
        return self


class Member(_Strict):
    id: Slug
    name: str
    sector: Sector
    contact_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    returns: list[str] | None = None
    column_map: dict[str, str] = {}


class Storage(_Strict):
    """Where the network's data lives. Relative paths are resolved against the config file's folder
    (for the packaged example networks: against the working directory)."""

    data_dir: str = "data"
    bucket: str | None = None
    lake: str | None = None
    warehouse_url: str | None = None
    outbox: str | None = None
    # Airflow connection holding the s3:// bucket's and lake's credentials (login = access key, password =
    # secret, extra endpoint_url/region_name); without it s3fs reads AWS_ACCESS_KEY_ID etc. from the environment.
    conn_id: str | None = None
    # Airflow connection holding the warehouse's address and credentials (conn_type postgres: login,
    # password, host, port, schema = database); when set it replaces ``warehouse_url``, so no password
    # has to sit in a URL in the environment (docs/production.md).
    warehouse_conn_id: str | None = None


class Reference(_Strict):
    supplier_register: str = "reference/suppliers.csv"
    # Column mappings the data team recorded for members (``transforms.column_maps``), in the bucket.
    column_maps: str = "reference/column_maps.csv"
    # Population shares of the network's area (dimension, group, share_pct, source), to set recruitment
    # shares beside, and the deprivation decile of each postcode district (district, decile, source).
    population: str = "reference/population.csv"
    deprivation_by_district: str = "reference/deprivation_by_district.csv"


class Privacy(_Strict):
    """Where the pseudonymisation key lives when ``ANCHOR_PSEUDONYM_KEY`` is not set (default: under data_dir)."""

    key_file: str | None = None


class Measure(_Strict):
    """One entry of the network's measure catalogue. Proxies are the network's own (not National TOMs)."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")]
    name: str
    unit: str
    theme: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    min: float | None = 0
    max: float | None = None
    proxy_gbp_per_unit: float | None = Field(None, ge=0)
    proxy_source: str | None = None
    sroi: SroiAssumptions | None = None  # needed when the measure has a proxy and belongs to a programme

    @model_validator(mode="after")
    def _proxy_has_source(self) -> Measure:
        if self.proxy_gbp_per_unit is not None and not self.proxy_source:
            raise ValueError(
                f"measure '{self.code}' has a proxy value but no proxy_source: say where it comes from"
            )
        return self


class Target(_Strict):
    """A commitment: a KPI's value for a quarter or a financial year, for the network or one member."""

    kpi: str
    period: Annotated[str, Field(pattern=r"^\d{4}-\d{2}(-Q[1-4])?$")]
    value: float
    member: str | None = None
    direction: Literal["higher", "lower"] = "higher"


class SpendSettings(_Strict):
    """How the spend shares are worked out (``transforms.spend_kpis``)."""

    # "in_scope" (default): shares divide by the spend members can influence, leaving out taxes, other
    # public bodies, pensions, payments to individuals... (docs/spend-scope.md); "total": by all spend.
    share_basis: Literal["in_scope", "total"] = "in_scope"


class Report(_Strict):
    recipients: list[str] = []


class Ingest(_Strict):
    """How ingest treats files that may still be arriving."""

    # A file modified less than this many seconds ago may still be being written (a slow upload into a
    # folder): it is left for the next run. ``ANCHOR_SETTLE_SECONDS`` overrides it.
    settle_seconds: int = Field(10, ge=0, le=3600)
    # Payments dated up to this many days before a return's period are accepted in it, with a warning
    # (late approvals exported with the next month); "reject" refuses them as out of period.
    pre_period_days: Annotated[int, Field(ge=0, le=366)] | Literal["reject"] = 92
    # The network's first period: returns for earlier periods are refused at ingest (``anchor validate``
    # still checks a file against any past period). None: no lower bound.
    first_period: Annotated[str, Field(pattern=r"^\d{4}-\d{2}(-Q[1-4])?$")] | None = None

    @field_validator("first_period")
    @classmethod
    def _a_period(cls, value: str | None) -> str | None:
        from transforms.periods import Period, PeriodError

        if value is None:
            return value
        try:
            return Period.parse(value).key
        except PeriodError as exc:
            raise ValueError(str(exc)) from None


class Limits(_Strict):
    """What one file may hold (docs/design.md#limits-and-hostile-input); past a limit the file is refused
    whole, with the limit named. Readers count what they read, never what a file declares."""

    max_file_bytes: int = Field(DEFAULT_LIMITS.max_file_bytes, ge=1024)
    max_rows: int = Field(DEFAULT_LIMITS.max_rows, ge=1)
    max_columns: int = Field(DEFAULT_LIMITS.max_columns, ge=2, le=16_384)
    # At most the csv module's own limit on a field (131,072 characters).
    max_field_chars: int = Field(DEFAULT_LIMITS.max_field_chars, ge=10, le=131_072)
    max_sheet_cells: int = Field(DEFAULT_LIMITS.max_sheet_cells, ge=100)

    def read_limits(self) -> ReadLimits:
        return ReadLimits(**self.model_dump())


class Email(_Strict):
    """Mail to members (feedback on each file, reminders about returns) through an Airflow SMTP connection."""

    enabled: bool = False
    from_address: str = Field("anchor-returns@example.org", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    reply_to: str | None = None
    # Airflow connection (e.g. AIRFLOW_CONN_SMTP_DEFAULT); the CLI reads the same connection.
    smtp_conn_id: str = "smtp_default"
    remind_days_before_due: int = Field(7, ge=0, le=90)
    # Told by e-mail when a DAG task fails after its retries.
    engineers: list[str] = []
    # Overdue returns are chased until this many days after their due date.
    chase_overdue_for_days: int = Field(90, ge=0, le=730)


class NetworkConfig(_Strict):
    id: Slug
    name: str
    living_wage_basis: Literal["london", "uk"]
    suppression_threshold: int = Field(5, ge=1, le=100)
    rejected_row_tolerance: float = Field(0.05, ge=0, le=1)
    local_area: LocalArea
    storage: Storage = Storage()
    reference: Reference = Reference()
    returns: dict[str, ReturnSchedule]
    members: list[Member]
    report: Report = Report()
    spend: SpendSettings = SpendSettings()
    privacy: Privacy = Privacy()
    ingest: Ingest = Ingest()
    limits: Limits = Limits()
    email: Email = Email()
    measures: list[Measure] = []
    targets: list[Target] = []
    programmes: list[Programme] = []
    sroi: SroiSettings = SroiSettings()
    source_path: Path | None = Field(None, exclude=True)

    @field_validator("returns")
    @classmethod
    def _known_return_types(cls, returns: dict[str, ReturnSchedule]) -> dict[str, ReturnSchedule]:
        from transforms.return_types import RETURN_TYPES

        unknown = sorted(set(returns) - set(RETURN_TYPES))
        if unknown:
            raise ValueError(f"unknown return type(s) {unknown}; known: {sorted(RETURN_TYPES)}")
        if not returns:
            raise ValueError("configure at least one return type, e.g. [returns.spend]")
        return returns

    @model_validator(mode="after")
    def _members_consistent(self) -> NetworkConfig:
        from transforms.return_types import RETURN_TYPES

        # Messages start with the key they are about; _format_validation_error puts it in the key column.
        seen: set[str] = set()
        canonical = {c for rt in RETURN_TYPES.values() for c in rt.columns}
        for index, member in enumerate(self.members):
            if member.id in seen:
                raise ValueError(f"members.{index}.id: member id '{member.id}' appears twice")
            seen.add(member.id)
            for rt in member.returns or []:
                if rt not in self.returns:
                    raise ValueError(
                        f"members.{index}.returns: member '{member.id}' returns '{rt}', which is not under [returns]"
                    )
            for header, column in member.column_map.items():
                if column not in canonical:
                    raise ValueError(
                        f"members.{index}.column_map: member '{member.id}' maps '{header}' to unknown column "
                        f"'{column}'; known columns: {sorted(canonical)}"
                    )
        if not self.members:
            raise ValueError("the network has no members")
        codes = [m.code for m in self.measures]
        for index, code in enumerate(codes):
            if codes.index(code) != index:
                raise ValueError(f"measures.{index}.code: measure code '{code}' appears twice")
        for index, target in enumerate(self.targets):
            if target.member is not None and target.member not in seen:
                raise ValueError(f"targets.{index}.member: '{target.member}' is not a member of the network")
        problems = programme_problems(self)
        if problems:
            raise ValueError(problems[0])
        return self

    def programme(self, code: str) -> Programme | None:
        return next((p for p in self.programmes if p.code == code), None)

    # -- derived locations -------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        if self.source_path is None or self.source_path.parent == EXAMPLES_DIR.resolve():
            return Path.cwd()
        return self.source_path.parent

    def _location(self, value: str | None, default: str) -> str:
        raw = value or default
        if "://" in raw:
            return raw
        path = Path(raw)
        return str(path if path.is_absolute() else (self.base_dir / path).resolve())

    @property
    def data_dir(self) -> str:
        return self._location(self.storage.data_dir, "data")

    @property
    def bucket_url(self) -> str:
        return self._location(self.storage.bucket, f"{self.data_dir}/bucket")

    @property
    def lake_url(self) -> str:
        return self._location(self.storage.lake, f"{self.data_dir}/lake")

    @property
    def outbox_dir(self) -> str:
        return self._location(self.storage.outbox, f"{self.data_dir}/outbox")

    @property
    def pseudonym_key_file(self) -> str:
        return self._location(self.privacy.key_file, f"{self.data_dir}/secrets/pseudonym.key")

    @property
    def warehouse_url(self) -> str:
        return self.storage.warehouse_url or f"sqlite:///{self.data_dir}/warehouse.db"

    @property
    def email_enabled(self) -> bool:
        return self.email.enabled

    @property
    def settle_seconds(self) -> int:
        return self.ingest.settle_seconds

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def expected_returns(self, member: Member) -> list[str]:
        return list(member.returns) if member.returns is not None else list(self.returns)


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: the network config is not valid:"]
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        reason = item["msg"].removeprefix("Value error, ")
        if key == "(top level)" and re.match(r"^[\w.]+: ", reason):
            key, reason = reason.split(": ", 1)
        lines.append(f"  - {key}: {reason}")
    lines.append("Fix the key(s) above and run the command again.")
    return "\n".join(lines)


class DeploymentSettings(BaseSettings):
    """What a deployment sets in the environment, over the network config file (``ANCHOR_<NAME>``).

    ``ANCHOR_CONFIG`` picks the file; the others replace its keys: ``ANCHOR_DATA_DIR``,
    ``ANCHOR_BUCKET_URL``, ``ANCHOR_LAKE_URL``, ``ANCHOR_WAREHOUSE_URL``, ``ANCHOR_WAREHOUSE_CONN_ID``,
    ``ANCHOR_STORAGE_CONN_ID`` ([storage]),
    ``ANCHOR_EMAIL_ENABLED`` ([email] enabled) and ``ANCHOR_SETTLE_SECONDS`` ([ingest] settle_seconds).
    """

    model_config = SettingsConfigDict(env_prefix="ANCHOR_", extra="ignore", env_ignore_empty=True)

    config: Path | None = None
    data_dir: str | None = None
    bucket_url: str | None = None
    lake_url: str | None = None
    warehouse_url: str | None = None
    warehouse_conn_id: str | None = None
    storage_conn_id: str | None = None
    email_enabled: bool | None = None
    settle_seconds: int | None = None

    def apply(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The config file's tables with these overrides written over them."""
        overrides = {
            ("storage", "data_dir"): self.data_dir,
            ("storage", "bucket"): self.bucket_url,
            ("storage", "lake"): self.lake_url,
            ("storage", "warehouse_url"): self.warehouse_url,
            ("storage", "warehouse_conn_id"): self.warehouse_conn_id,
            ("storage", "conn_id"): self.storage_conn_id,
            ("email", "enabled"): self.email_enabled,
            ("ingest", "settle_seconds"): self.settle_seconds,
        }
        merged = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
        for (table, key), value in overrides.items():
            if value is not None and value != "":
                section = merged.setdefault(table, {})
                if isinstance(section, dict):
                    section[key] = value
        return merged


def load_config(
    path: str | os.PathLike[str] | None = None, settings: DeploymentSettings | None = None
) -> NetworkConfig:
    """Read and validate a network config (``ANCHOR_CONFIG`` or the example London network by default)."""
    try:
        settings = settings or DeploymentSettings()
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(Path("environment (ANCHOR_*)"), exc)) from None
    config_path = Path(path or settings.config or EXAMPLE_CONFIG).resolve()
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: no such config file (set --config or ANCHOR_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    network = raw.pop("network", None)
    if not isinstance(network, dict):
        raise ConfigError(
            f"{config_path}: network: missing [network] table with id, name and living_wage_basis"
        )
    try:
        return NetworkConfig.model_validate({**network, **settings.apply(raw), "source_path": config_path})
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(config_path, exc)) from None
