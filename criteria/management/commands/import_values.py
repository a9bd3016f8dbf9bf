from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.cli import check_rule_set_code, period_by_code
from criteria.importers import values_import
from ntm_tracker.tabular import FileRejected


class Command(BaseCommand):
    help = _(
        "Nhập giá trị chỉ tiêu từ tệp CSV/XLSX/ODS (cột unit_code, indicator_code, value hoặc Mã đơn vị, Mã chỉ tiêu, "
        "Giá trị; tùy chọn rule_set, note, reason)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--period", required=True, help="2023, 2023-Q1…2023-Q4, 2023-6M, 2023-9M")
        parser.add_argument("--rule-set", default="", help=_("mã bộ tiêu chí khi mã chỉ tiêu trùng giữa các bộ"))
        parser.add_argument(
            "--reason",
            default="",
            help=_("lý do sửa các giá trị đã duyệt (khi dòng không ghi lý do); các giá trị đó được gửi duyệt lại"),
        )

    def handle(self, *args, file, period, rule_set, reason, **options):
        if rule_set:
            check_rule_set_code(rule_set)
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CommandError(_("Không mở được tệp %(f)s: %(e)s") % {"f": file, "e": exc.strerror})
        reporting_period = period_by_code(period, create=True)
        try:
            result = values_import(
                source=data, filename=file, period=reporting_period, rule_set_code=rule_set, reason=reason
            )
        except FileRejected as exc:
            lines = [_("Tệp bị từ chối, không có giá trị nào được lưu (%(n)s lỗi):") % {"n": len(exc.problems)}]
            lines += [f"  {error}" for error in exc.problems]
            raise CommandError("\n".join(lines))
        self.stdout.write(
            _("Kỳ %(p)s: %(c)s giá trị mới, %(u)s cập nhật, %(s)s không đổi; đã tính lại %(n)s đơn vị.")
            % {
                "p": result.period,
                "c": result.created,
                "u": result.updated,
                "s": result.unchanged,
                "n": len(result.units),
            }
        )
