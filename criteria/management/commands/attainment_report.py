import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from criteria.cli import check_rule_set_code, period_by_code, unit_by_code
from criteria.selectors import attainment_summaries


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


class Command(BaseCommand):
    help = _(
        "In kết quả đạt chuẩn của một đơn vị: số tiêu chí, chỉ tiêu đạt, thay đổi so với đầu năm, chỉ tiêu còn thiếu."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help=_("mã GSO: 22, 198, 06844"))
        parser.add_argument("--rule-set", default="")
        parser.add_argument("--period", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, unit, rule_set, period, json: bool, **options):
        target = unit_by_code(unit)
        if rule_set:
            check_rule_set_code(rule_set)
        reporting_period = period_by_code(period, create=False) if period else None
        summaries = attainment_summaries(target, period=reporting_period, rule_set_code=rule_set or None)
        data = [s.as_dict() for s in summaries]
        if json:
            self.stdout.write(_json_dumps(data))
            return
        self.stdout.write(f"{target.name} ({target.code})")
        if not data:
            self.stdout.write(_("  Không có bộ tiêu chí nào áp dụng cho đơn vị này."))
        for item in data:
            self.stdout.write(f"\n{item['rule_set_name']} [{item['rule_set']}] — {_('kỳ')} {item['period'] or '—'}")
            if not item["has_data"]:
                self.stdout.write("  " + _("chưa có số liệu"))
                continue
            parts = []
            if item["criteria_total"]:
                parts.append(_("%(m)s/%(t)s tiêu chí") % {"m": item["criteria_met"], "t": item["criteria_total"]})
                parts.append(_("%(m)s/%(t)s chỉ tiêu") % {"m": item["indicators_met"], "t": item["indicators_total"]})
            if item["conditions_total"]:
                parts.append(_("%(m)s/%(t)s điều kiện") % {"m": item["conditions_met"], "t": item["conditions_total"]})
            status = _("ĐẠT CHUẨN") if item["attained"] else _("chưa đạt chuẩn")
            self.stdout.write(f"  {', '.join(parts)} — {status}")
            change = item["change_since_start_of_year"]
            if change is None:
                self.stdout.write("  " + _("So với đầu năm: chưa có kỳ trước trong năm"))
            else:
                line = _("So với đầu năm (%(p)s): %(c)s tiêu chí, %(i)s chỉ tiêu") % {
                    "p": change["period"],
                    "c": signed(change["criteria"]),
                    "i": signed(change["indicators"]),
                }
                if item["conditions_total"]:
                    line += ", " + _("%(n)s điều kiện") % {"n": signed(change["conditions"])}
                if change["attained_before"] != item["attained"]:
                    line += "; " + (_("mới đạt chuẩn") if item["attained"] else _("không còn đạt chuẩn"))
                self.stdout.write("  " + line)
            if item["missing"]:
                self.stdout.write("  " + _("Còn thiếu: %(codes)s") % {"codes": ", ".join(item["missing"])})


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
