"""Network programmes and the SROI settings of the measure catalogue, as the network config declares them.

A programme is a piece of work members do together under one name (a community environment programme,
an inclusive recruitment programme): the measures and hires that belong to it, who leads it, when it
runs and what was invested. Its social return on investment needs, for every measure with a proxy, the
adjustments an SROI makes (deadweight, attribution, displacement, drop-off, how long the benefit lasts),
each with the low and high ends of the sensitivity range and where the figure comes from. These models
only describe; the arithmetic is ``transforms.sroi`` and the cross-checks against the rest of the
config run from ``NetworkConfig`` so that their messages name the key, like the others.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transforms.periods import Period
from transforms.sroi import Adjustments, MeasureAssumptions

PeriodKey = Annotated[str, Field(pattern=r"^\d{4}-\d{2}(-Q[1-4])?$")]
ProgrammeCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,29}$")]  # short: it ends KPI codes
Theme = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
INVESTMENT_MEASURE = "programme_investment_gbp"
GREEN_BOOK_RATE_SOURCE = (
    "HM Treasury Green Book (2022): social time preference rate of 3.5% a year for the first 30 years"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Setting(_Strict):
    """One SROI adjustment as a share (0.25 = 25%): the central figure, the ends the sensitivity range tries,
    and its source (a survey of participants, a published study, the team's judgement...)."""

    low: float = Field(ge=0, le=1)
    central: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _ordered(self) -> Setting:
        if not self.low <= self.central <= self.high:
            raise ValueError(f"give low <= central <= high (got {self.low}, {self.central}, {self.high})")
        return self


class DurationSetting(_Strict):
    """How many years a benefit lasts, counting the year it happens in."""

    low: int = Field(ge=1, le=50)
    central: int = Field(ge=1, le=50)
    high: int = Field(ge=1, le=50)
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _ordered(self) -> DurationSetting:
        if not self.low <= self.central <= self.high:
            raise ValueError(f"give low <= central <= high (got {self.low}, {self.central}, {self.high})")
        return self


class SroiAssumptions(_Strict):
    """The adjustments a measure's social value gets in an SROI (Social Value UK, the SROI Guide)."""

    deadweight: Setting  # what would have happened anyway
    attribution: Setting  # the share of the outcome owed to others
    displacement: Setting  # the share that only moved an outcome from elsewhere
    drop_off: Setting  # how much of the benefit fades each year after the first
    benefit_years: DurationSetting


class SroiSettings(_Strict):
    """Network-wide SROI settings: the discount rate (default the Green Book's 3.5%) and the investment measure."""

    discount_rate: float = Field(0.035, ge=0, le=0.2)
    discount_rate_source: str = GREEN_BOOK_RATE_SOURCE
    # Members report programme investment as this catalogue measure, on a row naming the programme.
    investment_measure: str = INVESTMENT_MEASURE


class Investment(_Strict):
    """Money put into a programme in a period (a quarter or a financial year), kept in the config."""

    period: PeriodKey
    amount_gbp: float = Field(ge=0)
    source: str = Field(min_length=3)
    member: str | None = None  # the member that invested, when it was one


class Programme(_Strict):
    code: ProgrammeCode
    name: str
    lead_member: str
    partners: list[str] = []
    start: date
    end: date
    theme: Theme
    description: str = ""
    # Catalogue measures whose rows may name the programme (the investment measure always may).
    measures: list[str] = []
    # Hires belong to it: recruitment returns may name it.
    recruitment: bool = False
    investment: list[Investment] = []
    # Targets for the programme's whole life, compared with its figures to date: KPI code -> value.
    targets: dict[str, float] = {}

    @property
    def members(self) -> list[str]:
        return [self.lead_member, *self.partners]

    def covers(self, period_key: str) -> bool:
        """The period overlaps the programme's dates."""
        period = Period.parse(period_key)
        return period.start <= self.end and self.start <= period.end


def _known_target_kpis() -> set[str]:
    from transforms.recruitment_kpis import PROGRAMME_TARGET_KPIS as recruitment_targets
    from transforms.sroi import PROGRAMME_TARGET_KPIS as sroi_targets

    return {*recruitment_targets, *sroi_targets}


def programme_problems(cfg: Any) -> list[str]:
    """Everything in ``[[programmes]]`` and the catalogue's SROI settings that contradicts the rest of the config.

    Each message starts with the key it is about (``programmes.0.lead_member: ...``).
    """
    problems: list[str] = []
    member_ids = {m.id for m in cfg.members}
    catalogue = {m.code: (index, m) for index, m in enumerate(cfg.measures)}
    investment_measure = cfg.sroi.investment_measure
    known_targets = _known_target_kpis()
    seen: set[str] = set()
    for i, programme in enumerate(cfg.programmes):
        key = f"programmes.{i}"
        if programme.code in seen:
            problems.append(f"{key}.code: programme code '{programme.code}' appears twice")
        seen.add(programme.code)
        if programme.lead_member not in member_ids:
            problems.append(f"{key}.lead_member: '{programme.lead_member}' is not a member of the network")
        for partner in programme.partners:
            if partner not in member_ids:
                problems.append(f"{key}.partners: '{partner}' is not a member of the network")
        if programme.end < programme.start:
            problems.append(
                f"{key}.end: the programme ends ({programme.end:%d/%m/%Y}) before it starts "
                f"({programme.start:%d/%m/%Y})"
            )
        for code in programme.measures:
            if code == investment_measure:
                problems.append(
                    f"{key}.measures: '{code}' is the investment, not an outcome; rows naming the programme "
                    "may always report it, so leave it out of the list"
                )
            elif code not in catalogue:
                problems.append(
                    f"{key}.measures: '{code}' is not in the measure catalogue; known: {sorted(catalogue)}"
                )
            else:
                index, measure = catalogue[code]
                if measure.proxy_gbp_per_unit is not None and measure.sroi is None:
                    problems.append(
                        f"measures.{index}.sroi: measure '{code}' has a proxy value and belongs to programme "
                        f"'{programme.code}', so it needs its SROI assumptions (deadweight, attribution, "
                        "displacement, drop_off, benefit_years)"
                    )
        for k, investment in enumerate(programme.investment):
            if investment.member is not None and investment.member not in member_ids:
                problems.append(
                    f"{key}.investment.{k}.member: '{investment.member}' is not a member of the network"
                )
            if not programme.end < programme.start and not programme.covers(investment.period):
                problems.append(
                    f"{key}.investment.{k}.period: {investment.period} is outside the programme "
                    f"({programme.start:%d/%m/%Y} to {programme.end:%d/%m/%Y})"
                )
        for kpi in programme.targets:
            if kpi not in known_targets:
                problems.append(
                    f"{key}.targets: '{kpi}' is not a programme KPI; known: {sorted(known_targets)}"
                )
            elif kpi.startswith("recruit_") and not programme.recruitment:
                problems.append(
                    f"{key}.targets: '{kpi}' is a recruitment target but the programme has recruitment = false"
                )
    if investment_measure in catalogue:
        index, measure = catalogue[investment_measure]
        if measure.unit != "GBP" or measure.proxy_gbp_per_unit is not None:
            problems.append(
                f"measures.{index}: the investment measure '{investment_measure}' must be counted in GBP "
                "and have no proxy value (money invested is not social value)"
            )
    return problems


def measure_assumptions(cfg: Any) -> dict[str, MeasureAssumptions]:
    """The catalogue's proxies and SROI settings as the pure SROI module takes them (measures with both)."""
    out = {}
    for m in cfg.measures:
        if m.proxy_gbp_per_unit is None or m.sroi is None:
            continue
        a = m.sroi
        settings = {
            end: Adjustments(
                deadweight=getattr(a.deadweight, end),
                attribution=getattr(a.attribution, end),
                displacement=getattr(a.displacement, end),
                drop_off=getattr(a.drop_off, end),
                benefit_years=getattr(a.benefit_years, end),
            )
            for end in ("low", "central", "high")
        }
        out[m.code] = MeasureAssumptions(
            code=m.code,
            name=m.name,
            unit=m.unit,
            proxy_gbp=m.proxy_gbp_per_unit,
            proxy_source=m.proxy_source or "",
            low=settings["low"],
            central=settings["central"],
            high=settings["high"],
            sources={
                name: getattr(a, name).source
                for name in ("deadweight", "attribution", "displacement", "drop_off", "benefit_years")
            },
        )
    return out


def programme_suite_parameters(cfg: Any, return_type: str) -> dict[str, Any]:
    """What a return's suite needs to know of the programmes: the codes a row may name, and their measures."""
    if return_type == "recruitment":
        return {"recruitment_programmes": sorted(p.code for p in cfg.programmes if p.recruitment)}
    if return_type == "measures":
        investment = cfg.sroi.investment_measure
        return {
            "programme_codes": sorted(p.code for p in cfg.programmes),
            "programme_measures": sorted(
                (p.code, code) for p in cfg.programmes for code in {*p.measures, investment}
            ),
        }
    return {}
