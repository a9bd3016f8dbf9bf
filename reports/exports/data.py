"""The content of a progress report: heading, titled tables and one chart, read from the dashboards' selectors.

Every figure comes from the structures the dashboards render (`dashboards.province_dashboard`,
`dashboards.district_dashboard`, `selectors.unit_page`), so a report and the page of the same unit and period
cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from communes.models import AdminUnit, Kind, Level
from criteria.models import Criterion, Recognition, ReportingPeriod, RuleSet, parse_period_code
from criteria.tiers import recognised_on
from plans.models import Assignment
from plans.selectors import capital_summary

from .. import dashboards, selectors
from ..dashboards import TIER_BUCKETS, UnitRow, tier_label, tier_rank

# The bands official reports count communes in, by criteria met: all, 15–18, 10–14, 5–9, under 5.
CRITERIA_BANDS = ((15, 18), (10, 14), (5, 9), (0, 4))


class ReportError(ValueError):
    """A report that cannot be made (unknown period, a unit level without a report); the message says why."""


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list]
    footer: list | None = None
    note: str = ""
    # columns (0-based) holding text; the others are numbers, right-aligned
    text_columns: tuple[int, ...] = (0,)


@dataclass
class Chart:
    """A horizontal bar chart: one bar per label, its length the share `value / out_of`."""

    title: str
    bars: list[tuple[str, int, int]]  # label, value, out of


@dataclass
class ProgressReport:
    unit: AdminUnit
    period: ReportingPeriod
    authority: str  # "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH"
    title: str
    subtitle: str
    place_date: str
    headlines: list[str]
    tables: list[Table]
    chart: Chart | None
    left_out: list[str] = field(default_factory=list)
    is_demo: bool = False

    @property
    def filename_stem(self) -> str:
        return f"bao-cao-ntm-{self.unit.code}-{self.period.code}"


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _cumulative(buckets: dict[str, int]) -> dict[str, int]:
    """Tier buckets ("at exactly this tier") → units at this tier or above: a nâng cao commune is also NTM."""
    return {
        tier: sum(n for bucket, n in buckets.items() if tier_rank(bucket) >= tier_rank(tier))
        for tier in TIER_BUCKETS
        if tier
    }


def _counts(cell) -> tuple[str, str]:
    if cell is None:
        return "", ""
    if not cell.has_criteria:
        return f"{cell.conditions_met}/{cell.conditions_total}", ""
    return f"{cell.criteria_met}/{cell.criteria_total}", f"{cell.indicators_met}/{cell.indicators_total}"


def _authority(unit: AdminUnit) -> str:
    return _("ỦY BAN NHÂN DÂN %(unit)s") % {"unit": unit.name.upper()}


def _place_date(unit: AdminUnit, ancestors: list[AdminUnit], today: dt.date) -> str:
    province = ancestors[0] if ancestors else unit
    place = province.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    return _("%(place)s, ngày %(d)02d tháng %(m)02d năm %(y)d") % {
        "place": place,
        "d": today.day,
        "m": today.month,
        "y": today.year,
    }


def _tier_table(title: str, noun: str, buckets: dict[str, int], start: dict[str, int] | None, total: int) -> Table:
    now = _cumulative(buckets)
    before = _cumulative(start) if start is not None else None
    rows = []
    for tier in (t for t in TIER_BUCKETS if t):
        row = [tier_label(tier), now[tier], _percent(now[tier], total)]
        if before is not None:
            row += [before[tier], now[tier] - before[tier]]
        rows.append(row)
    columns = [_("Bậc"), _("Số %(noun)s (lũy kế)") % {"noun": noun}, _("Tỷ lệ (%)")]
    if before is not None:
        columns += [_("Đầu năm"), _("Tăng/giảm")]
    return Table(
        title=title,
        columns=columns,
        rows=rows,
        footer=[_("Tổng số %(noun)s") % {"noun": noun}, total, 100.0 if total else 0.0]
        + (["", ""] if before is not None else []),
        note=_("Lũy kế: đơn vị ở bậc cao hơn cũng được tính ở các bậc dưới (xã nâng cao cũng là xã NTM)."),
    )


def _criterion_table(rows: list[UnitRow], primary: RuleSet | None, criteria: list[Criterion], noun: str) -> Table:
    cells = [r.cell(primary) for r in rows]
    cells = [c for c in cells if c is not None]
    out = []
    for criterion in criteria:
        met = sum(1 for c in cells if c.criteria_status.get(criterion.code) == "met")
        out.append([f"{criterion.code}. {criterion.name}", met, len(cells), _percent(met, len(cells))])
    return Table(
        title=_("Số %(noun)s đạt từng tiêu chí (%(set)s)") % {"noun": noun, "set": primary.name if primary else ""},
        columns=[
            _("Tiêu chí"),
            _("Số %(noun)s đạt") % {"noun": noun},
            _("Số %(noun)s có kết quả") % {"noun": noun},
            _("Tỷ lệ (%)"),
        ],
        rows=out,
    )


def _band_table(rows: list[UnitRow], primary: RuleSet | None, noun: str) -> Table:
    cells = [r.cell(primary) for r in rows]
    with_result = [c for c in cells if c is not None and c.criteria_total]
    total = with_result[0].criteria_total if with_result else 0
    every = sum(1 for c in with_result if c.criteria_met == c.criteria_total)
    out = [[_("Đạt đủ %(n)s tiêu chí") % {"n": total}, every, _percent(every, len(rows))]]
    for low, high in CRITERIA_BANDS:
        count = sum(1 for c in with_result if c.criteria_met != c.criteria_total and low <= c.criteria_met <= high)
        label = _("Dưới 5 tiêu chí") if low == 0 else _("Từ %(low)s đến %(high)s tiêu chí") % {"low": low, "high": high}
        out.append([label, count, _percent(count, len(rows))])
    missing = len(rows) - len(with_result)
    out.append([_("Chưa có kết quả"), missing, _percent(missing, len(rows))])
    return Table(
        title=_("Số %(noun)s theo số tiêu chí đạt (%(set)s)") % {"noun": noun, "set": primary.name if primary else ""},
        columns=[_("Nhóm"), _("Số %(noun)s") % {"noun": noun}, _("Tỷ lệ (%)")],
        rows=out,
        footer=[_("Tổng số %(noun)s") % {"noun": noun}, len(rows), 100.0 if rows else 0.0],
    )


def _change(value: int | None):
    return "" if value is None else value


def _commune_table(rows: list[UnitRow], primary: RuleSet | None, with_district: bool, period: ReportingPeriod) -> Table:
    columns = [_("Xã")]
    if with_district:
        columns.append(_("Huyện"))
    columns += [
        _("Tiêu chí đạt"),
        _("Chỉ tiêu đạt"),
        _("Tiêu chí tăng từ đầu năm"),
        _("Chỉ tiêu tăng từ đầu năm"),
        _("Bậc hiện tại"),
        _("Kỳ số liệu"),
    ]
    out = []
    for row in rows:
        cell = row.cell(primary)
        criteria, indicators = _counts(cell)
        line = [row.unit.name]
        if with_district:
            line.append(row.parent.name if row.parent else "")
        line += [
            criteria,
            indicators,
            _change(cell.change_criteria) if cell else "",
            _change(cell.change_indicators) if cell else "",
            tier_label(row.standing.current),
            cell.period.code if cell else "",
        ]
        out.append(line)
    text = (0, 1, 2, 3, 6, 7) if with_district else (0, 1, 2, 5, 6)
    return Table(
        title=_("Kết quả từng xã (%(set)s)") % {"set": primary.name if primary else ""},
        columns=columns,
        rows=out,
        note=_(
            'Kết quả mới nhất của mỗi xã đến hết kỳ báo cáo; "Kỳ số liệu" khác kỳ báo cáo '
            "khi xã chưa báo cáo kỳ này. "
            "Tăng/giảm so với kỳ đầu tiên của năm %(y)s."
        )
        % {"y": period.year},
        text_columns=text,
    )


def _unmet_table(missing, noun: str) -> Table:
    rows = [[m.code, m.text, m.count, ", ".join(u.name for u in m.units)] for m in missing]
    return Table(
        title=_("Chỉ tiêu chưa đạt"),
        columns=[_("Mã"), _("Chỉ tiêu"), _("Số %(noun)s chưa đạt") % {"noun": noun}, _("Các đơn vị")],
        rows=rows,
        text_columns=(0, 1, 3),
    )


def _missing_by_indicator(rows: list[UnitRow], primary: RuleSet | None, texts: dict[str, str]):
    found: dict[str, dashboards.MissingIndicator] = {}
    for row in rows:
        cell = row.cell(primary)
        if cell is None:
            continue
        for code in cell.missing:
            item = found.setdefault(code, dashboards.MissingIndicator(code=code, text=texts.get(code, "")))
            item.count += 1
            item.units.append(row.unit)
    return sorted(found.values(), key=lambda m: (-m.count, _code_key(m.code)))


def _code_key(code: str) -> tuple:
    """ "2.1" before "10": indicator codes in the order of the rule set, not of the alphabet."""
    return tuple(int(part) if part.isdigit() else 0 for part in code.split(".")), code


def _own_table(own: dashboards.OwnResults, unit: AdminUnit) -> Table | None:
    if not own.sets:
        return None
    rows = []
    for cell in own.cells:
        criteria, indicators = _counts(cell)
        rows.append(
            [
                cell.rule_set.name,
                criteria,
                indicators,
                f"{cell.conditions_met}/{cell.conditions_total}" if cell.conditions_total else "",
                _change(cell.change_criteria),
                _change(cell.change_indicators),
                cell.period.code,
            ]
        )
    return Table(
        title=_("Kết quả của %(unit)s") % {"unit": unit.name},
        columns=[
            _("Bộ tiêu chí"),
            _("Tiêu chí đạt"),
            _("Chỉ tiêu đạt"),
            _("Điều kiện đạt"),
            _("Tiêu chí tăng từ đầu năm"),
            _("Chỉ tiêu tăng từ đầu năm"),
            _("Kỳ số liệu"),
        ],
        rows=rows,
        text_columns=(0, 1, 2, 3, 6),
    )


def _targets_table(targets: list[dashboards.TargetProgress], year: int) -> Table | None:
    if not targets:
        return None
    rows = []
    for t in targets:
        noun = _("xã") if t.target.rule_set.level == Level.COMMUNE else _("huyện")
        goal = (_("Thêm %(n)s %(noun)s %(tier)s") if t.target.additional else _("%(n)s %(noun)s %(tier)s")) % {
            "n": t.target.count,
            "noun": noun,
            "tier": tier_label(t.target.rule_set.tier),
        }
        rows.append([goal, t.target.count, t.done, t.percent, _("mẫu") if t.target.is_demo else ""])
    return Table(
        title=_("Mục tiêu năm %(y)s") % {"y": year},
        columns=[_("Mục tiêu"), _("Chỉ tiêu kế hoạch"), _("Đã đạt"), _("Tỷ lệ hoàn thành (%)"), _("Ghi chú")],
        rows=rows,
        text_columns=(0, 4),
    )


def _criteria_chart(table: Table, noun: str) -> Chart:
    return Chart(
        title=_("Số %(noun)s đạt từng tiêu chí") % {"noun": noun},
        bars=[(row[0].split(".", 1)[0], row[1], row[2]) for row in table.rows],
    )


def _recognised_table(rows: list[UnitRow], recognitions: list[Recognition], day: dt.date, noun: str) -> Table:
    """Units recognised by decision at each tier, held on the period's last day, cumulated like the tiers."""
    by_unit: dict[int, str | None] = {}
    ids = {r.unit.pk for r in rows}
    for recognition in recognitions:
        if recognition.unit_id in ids and recognised_on(recognition, day):
            held = by_unit.get(recognition.unit_id)
            if tier_rank(recognition.rule_set.tier) > tier_rank(held):
                by_unit[recognition.unit_id] = recognition.rule_set.tier
    buckets = dict.fromkeys(TIER_BUCKETS, 0)
    for row in rows:
        buckets[TIER_BUCKETS[tier_rank(by_unit.get(row.unit.pk))]] += 1
    table = _tier_table(
        _("Số %(noun)s được công nhận theo bậc (lũy kế)") % {"noun": noun}, noun, buckets, None, len(rows)
    )
    table.note = _(
        "Theo quyết định công nhận còn hiệu lực đến ngày %(day)s; bậc cao hơn được tính cả ở các bậc dưới."
    ) % {"day": day.strftime("%d/%m/%Y")}
    return table


def _assignments_table(unit: AdminUnit, rows_by_unit: dict[int, UnitRow], day: dt.date) -> Table | None:
    """Unmet indicators with the agency answering for each and its deadline, overdue (as of the period's last day)
    first: the list the monthly reviews go through."""
    assignments = list(
        Assignment.objects.filter(unit__path__startswith=unit.path)
        .select_related("unit", "indicator")
        .order_by("deadline", "unit__path", "indicator__position")
    )
    out = []
    for a in assignments:
        row = rows_by_unit.get(a.unit_id)
        cell = row.cells.get(a.indicator.rule_set_id) if row else None
        if cell is not None and a.indicator.code not in cell.missing:
            continue  # met since it was assigned
        overdue = a.deadline < day
        out.append(
            (
                not overdue,
                [
                    a.unit.name,
                    a.indicator.code,
                    a.indicator.text,
                    a.agency,
                    a.deadline.strftime("%d/%m/%Y"),
                    _("Quá hạn") if overdue else _("Trong hạn"),
                ],
            )
        )
    if not out:
        return None
    out.sort(key=lambda item: item[0])  # stable: overdue first, each group by deadline
    return Table(
        title=_("Chỉ tiêu chưa đạt và đơn vị phụ trách"),
        columns=[_("Đơn vị"), _("Mã"), _("Chỉ tiêu"), _("Cơ quan phụ trách"), _("Hạn hoàn thành"), _("Tình trạng")],
        rows=[line for _late, line in out],
        note=_("Quá hạn: hạn hoàn thành trước ngày %(day)s (hết kỳ báo cáo).") % {"day": day.strftime("%d/%m/%Y")},
        text_columns=(0, 1, 2, 3, 4, 5),
    )


def _capital_tables(unit: AdminUnit, period: ReportingPeriod) -> list[Table]:
    """Capital planned and disbursed in the period's year by source over the unit's area (million VND), as the
    dashboards sum it (plans.selectors.capital_summary), and the works behind schedule at the period's end."""
    summary = capital_summary(unit=unit, year=period.year, today=period.end)
    tables = []
    if summary.rows:
        rows = [
            [str(label), float(money.planned), float(money.disbursed), money.rate if money.rate is not None else ""]
            for _source, label, money in summary.by_source
            if money.planned or money.disbursed
        ]
        total = summary.total
        tables.append(
            Table(
                title=_("Vốn đầu tư năm %(y)s: kế hoạch và giải ngân (triệu đồng)") % {"y": period.year},
                columns=[_("Nguồn vốn"), _("Kế hoạch"), _("Đã giải ngân"), _("Tỷ lệ giải ngân (%)")],
                rows=rows,
                footer=[
                    _("Tổng cộng"),
                    float(total.planned),
                    float(total.disbursed),
                    total.rate if total.rate is not None else "",
                ],
                note=_("Tổng của mọi đơn vị trong địa bàn có số liệu vốn năm %(y)s.") % {"y": period.year},
            )
        )
    if summary.behind:
        tables.append(
            Table(
                title=_("Công trình chậm tiến độ"),
                columns=[_("Đơn vị"), _("Công trình"), _("Tiêu chí"), _("Tiến độ (%)"), _("Hạn hoàn thành")],
                rows=[
                    [
                        w.unit.name,
                        w.name,
                        f"{w.criterion.code}. {w.criterion.name}" if w.criterion else "",
                        w.progress,
                        w.planned_end.strftime("%d/%m/%Y"),
                    ]
                    for w in summary.behind
                ],
                note=_("Chậm tiến độ: chưa hoàn thành khi đã quá hạn, tính đến ngày %(day)s.")
                % {"day": period.end.strftime("%d/%m/%Y")},
                text_columns=(0, 1, 2, 4),
            )
        )
    return tables


def _left_out(*, capital: bool, assignments: bool, new_map: bool = False) -> list[str]:
    notes = []
    if not capital:
        notes.append(_("Vốn đầu tư đã giải ngân so với kế hoạch: chưa có số liệu vốn của năm trong hệ thống."))
    if not assignments:
        notes.append(_("Cơ quan phụ trách và thời hạn của từng chỉ tiêu chưa đạt: chưa được giao trong hệ thống."))
    if not new_map:
        notes.append(_("Bảng theo nhóm xã (bản đồ hành chính mới): chưa có dữ liệu nhóm xã."))
    return notes


def _period_for(unit: AdminUnit, period_code: str, periods: list[ReportingPeriod]) -> ReportingPeriod:
    try:
        parse_period_code(period_code)
    except ValueError as error:
        raise ReportError(str(error)) from error
    period = next((p for p in periods if p.code == period_code), None)
    if period is None:
        raise ReportError(
            _("Chưa có kết quả nào của %(unit)s trong kỳ %(period)s.") % {"unit": unit.name, "period": period_code}
        )
    return period


def _title(period: ReportingPeriod) -> tuple[str, str]:
    return (
        _("BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA XÂY DỰNG NÔNG THÔN MỚI"),
        period.label,
    )


def _headline(noun_all: str, buckets: dict[str, int], total: int) -> str:
    cumulative = _cumulative(buckets)
    return _("%(ntm)s/%(total)s %(noun)s đạt chuẩn NTM (%(pct)s%%), trong đó %(nc)s nâng cao, %(km)s kiểu mẫu") % {
        "ntm": cumulative["ntm"],
        "total": total,
        "noun": noun_all,
        "pct": number_format(_percent(cumulative["ntm"], total), 1),
        "nc": cumulative["nang_cao"],
        "km": cumulative["kieu_mau"],
    }


def _subtree_report(unit: AdminUnit, period: ReportingPeriod, today: dt.date) -> ProgressReport:
    commune = _("xã")
    if unit.level == Level.PROVINCE:
        board = dashboards.province_dashboard(unit=unit, period_code=period.code)
        communes = board.communes
        primary = board.commune_primary
        start_tiers = board.start_tiers
        tiers = board.tiers
        targets = board.targets
        own = board.own
        state = board.state
    else:
        board = dashboards.district_dashboard(unit=unit, period_code=period.code)
        communes = [r for r in board.communes if r.unit.kind == Kind.XA]
        primary = board.primary
        state = board.state
        start = dashboards._start_of_year(state)
        start_tiers = dashboards._as_of(state, communes, start) if start else None
        tiers = board.tiers
        targets = []
        own = board.own
    criteria = list(Criterion.objects.filter(rule_set=primary).order_by("position", "id")) if primary else []
    texts = dict(primary.indicators.values_list("code", "text")) if primary else {}
    total = len(communes)
    headlines = [_headline(commune, tiers, total)]
    for cell in own.cells:
        criteria_text, indicators_text = _counts(cell)
        names = {"unit": unit.name, "set": cell.rule_set.name, "c": criteria_text, "i": indicators_text}
        if cell.has_criteria:
            headlines.append(_("%(unit)s: %(set)s đạt %(c)s tiêu chí, %(i)s chỉ tiêu") % names)
        else:
            headlines.append(_("%(unit)s: %(set)s đạt %(c)s điều kiện") % names)
    tables: list[Table] = [
        _tier_table(_("Số xã theo bậc (lũy kế)"), commune, tiers, start_tiers, total),
        _recognised_table(communes, state.recognitions, period.end, commune),
    ]
    if unit.level == Level.PROVINCE:
        tables.append(
            _tier_table(
                _("Số huyện, thị xã, thành phố theo bậc (lũy kế)"),
                _("huyện"),
                board.district_tiers,
                board.start_district_tiers,
                len(board.districts),
            )
        )
        district_rows = []
        for d in board.districts:
            cumulative = _cumulative(d.tiers)
            cell = d.row.cell(board.district_primary) or next(iter(d.row.cells.values()), None)
            criteria_text, indicators_text = _counts(cell)
            district_rows.append(
                [
                    d.row.unit.name,
                    d.rural,
                    cumulative["ntm"],
                    cumulative["nang_cao"],
                    cumulative["kieu_mau"],
                    criteria_text,
                    indicators_text,
                    tier_label(d.row.standing.current),
                ]
            )
        footer_cumulative = _cumulative(board.tiers)
        tables.append(
            Table(
                title=_("Số xã theo bậc của từng huyện (lũy kế)"),
                columns=[
                    _("Huyện, thị xã, thành phố"),
                    _("Số xã"),
                    _("NTM"),
                    _("NTM nâng cao"),
                    _("NTM kiểu mẫu"),
                    _("Tiêu chí đạt của huyện"),
                    _("Chỉ tiêu đạt của huyện"),
                    _("Bậc của huyện"),
                ],
                rows=district_rows,
                footer=[
                    _("Toàn tỉnh"),
                    total,
                    footer_cumulative["ntm"],
                    footer_cumulative["nang_cao"],
                    footer_cumulative["kieu_mau"],
                    "",
                    "",
                    "",
                ],
                text_columns=(0, 5, 6, 7),
            )
        )
    own_table = _own_table(own, unit)
    if own_table:
        tables.append(own_table)
    targets_table = _targets_table(targets, period.year)
    if targets_table:
        tables.append(targets_table)
    criterion_table = _criterion_table(communes, primary, criteria, commune)
    tables += [
        criterion_table,
        _band_table(communes, primary, commune),
        _commune_table(communes, primary, unit.level == Level.PROVINCE, period),
        _unmet_table(_missing_by_indicator(communes, primary, texts), commune),
    ]
    assignments = _assignments_table(unit, state.rows, period.end)
    capital = _capital_tables(unit, period)
    tables += [t for t in (assignments,) if t is not None] + capital
    is_demo = (
        unit.is_demo or any(r.unit.is_demo for r in state.rows.values()) or any(r.is_demo for r in state.recognitions)
    )
    title, subtitle = _title(period)
    return ProgressReport(
        unit=unit,
        period=period,
        authority=_authority(unit),
        title=title,
        subtitle=subtitle,
        place_date=_place_date(unit, state.ancestors, today),
        headlines=headlines,
        tables=tables,
        chart=_criteria_chart(criterion_table, commune) if criterion_table.rows else None,
        left_out=_left_out(capital=bool(capital), assignments=assignments is not None),
        is_demo=is_demo,
    )


def _commune_report(unit: AdminUnit, period: ReportingPeriod, today: dt.date) -> ProgressReport:
    page = selectors.unit_page(unit=unit, period_code=period.code)
    headlines = []
    own_rows = []
    tables: list[Table] = []
    chart = None
    for report in page.reports:
        a = report.attainment
        counts = (
            _("%(c)s/%(ct)s tiêu chí, %(i)s/%(it)s chỉ tiêu")
            % {"c": a.criteria_met, "ct": a.criteria_total, "i": a.indicators_met, "it": a.indicators_total}
            if a.criteria_total
            else _("%(c)s/%(ct)s điều kiện") % {"c": a.conditions_met, "ct": a.conditions_total}
        )
        headlines.append(_("%(set)s: đạt %(counts)s") % {"set": a.rule_set.name, "counts": counts})
        own_rows.append(
            [
                a.rule_set.name,
                f"{a.criteria_met}/{a.criteria_total}" if a.criteria_total else "",
                f"{a.indicators_met}/{a.indicators_total}" if a.criteria_total else "",
                f"{a.conditions_met}/{a.conditions_total}" if a.conditions_total else "",
                _change(report.change_criteria),
                _change(report.change_indicators),
                _("Đạt") if a.attained else _("Chưa đạt"),
            ]
        )
    if page.standing is not None:
        headlines.append(
            _("Bậc hiện tại: %(tier)s; được công nhận: %(rec)s")
            % {"tier": tier_label(page.standing.current), "rec": tier_label(page.standing.recognised)}
        )
    tables.append(
        Table(
            title=_("Kết quả theo bộ tiêu chí"),
            columns=[
                _("Bộ tiêu chí"),
                _("Tiêu chí đạt"),
                _("Chỉ tiêu đạt"),
                _("Điều kiện đạt"),
                _("Tiêu chí tăng từ đầu năm"),
                _("Chỉ tiêu tăng từ đầu năm"),
                _("Kết quả"),
            ],
            rows=own_rows,
            text_columns=(0, 1, 2, 3, 6),
        )
    )
    for report in page.reports:
        if not report.criteria:
            continue
        # in the order of the rule set, as the printed report lists them (the page puts the missing first)
        blocks = sorted(report.criteria, key=lambda b: (b.criterion.position, b.criterion.pk))
        rows = [
            [
                f"{block.criterion.code}. {block.criterion.name}",
                block.met_count,
                len(block.rows),
                _("Đạt") if block.status == selectors.MET else _("Chưa đạt"),
            ]
            for block in blocks
        ]
        tables.append(
            Table(
                title=_("Từng tiêu chí (%(set)s)") % {"set": report.rule_set.name},
                columns=[_("Tiêu chí"), _("Chỉ tiêu đạt"), _("Số chỉ tiêu"), _("Kết quả")],
                rows=rows,
                text_columns=(0, 3),
            )
        )
        if chart is None:
            chart = Chart(
                title=_("Chỉ tiêu đạt theo tiêu chí (%(set)s)") % {"set": report.rule_set.name},
                bars=[(block.criterion.code, block.met_count, len(block.rows)) for block in blocks],
            )
    assigned = {a.indicator_id: a for a in Assignment.objects.filter(unit=unit)}
    unmet = []
    for report in page.reports:
        for block in report.criteria + ([report.conditions] if report.conditions else []):
            for row in block.rows:
                if row.status != selectors.MET:
                    assignment = assigned.get(row.indicator.pk)
                    unmet.append(
                        [
                            report.rule_set.short_name or report.rule_set.code,
                            row.indicator.code,
                            row.indicator.text,
                            row.target,
                            _("Chưa có số liệu") if row.status == selectors.NO_DATA else _("Chưa đạt"),
                            assignment.agency if assignment else "",
                            assignment.deadline.strftime("%d/%m/%Y") if assignment else "",
                        ]
                    )
    tables.append(
        Table(
            title=_("Chỉ tiêu chưa đạt"),
            columns=[
                _("Bộ tiêu chí"),
                _("Mã"),
                _("Chỉ tiêu"),
                _("Mức đạt"),
                _("Tình trạng"),
                _("Cơ quan phụ trách"),
                _("Hạn hoàn thành"),
            ],
            rows=unmet,
            text_columns=(0, 1, 2, 3, 4, 5, 6),
        )
    )
    decisions = [
        [
            tier_label(r.rule_set.tier),
            r.get_kind_display(),
            r.decision_number,
            r.decision_date.strftime("%d/%m/%Y"),
            r.authority,
            r.revoked_on.strftime("%d/%m/%Y") if r.revoked_on else "",
        ]
        for r in Recognition.objects.filter(unit=unit, decision_date__lte=period.end)
        .select_related("rule_set")
        .order_by("decision_date", "id")
    ]
    if decisions:
        tables.append(
            Table(
                title=_("Quyết định công nhận"),
                columns=[_("Bậc"), _("Loại"), _("Số quyết định"), _("Ngày"), _("Cấp công nhận"), _("Thu hồi ngày")],
                rows=decisions,
                text_columns=(0, 1, 2, 3, 4, 5),
            )
        )
    capital = _capital_tables(unit, period)
    tables += capital
    title, subtitle = _title(period)
    return ProgressReport(
        unit=unit,
        period=period,
        authority=_authority(unit),
        title=title,
        subtitle=subtitle,
        place_date=_place_date(unit, page.ancestors, today),
        headlines=headlines,
        tables=tables,
        chart=chart,
        left_out=_left_out(capital=bool(capital), assignments=bool(assigned)),
        is_demo=page.is_demo,
    )


def progress_report_build(*, unit: AdminUnit, period_code: str, today: dt.date | None = None) -> ProgressReport:
    """The progress report of a province, district or commune for a period with stored results."""
    today = today or timezone.localdate()
    if unit.level == Level.VILLAGE:
        raise ReportError(_("Báo cáo tiến độ chỉ lập cho xã, huyện và tỉnh."))
    if unit.level == Level.COMMUNE:
        periods = selectors.unit_periods(unit=unit)
        period = _period_for(unit, period_code, periods)
        return _commune_report(unit, period, today)
    period = _period_for(unit, period_code, dashboards.subtree_periods(unit))
    return _subtree_report(unit, period, today)
