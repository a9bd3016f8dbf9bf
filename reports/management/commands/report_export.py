from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.cli import unit_by_code
from reports.exports.data import ReportError, progress_report_build
from reports.exports.pdf import progress_report_pdf
from reports.exports.xlsx import progress_report_xlsx

RENDERERS = {"xlsx": progress_report_xlsx, "pdf": progress_report_pdf}


class Command(BaseCommand):
    help = _("Lập báo cáo tiến độ NTM (6 tháng, năm…) của một tỉnh, huyện hoặc xã thành tệp Excel hoặc PDF.")

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help=_("mã GSO: 22, 198, 06844"))
        parser.add_argument("--period", required=True, help=_("kỳ báo cáo: 2023-6M, 2023-9M, 2023…"))
        parser.add_argument("--format", required=True, choices=sorted(RENDERERS), dest="fmt")
        parser.add_argument("--output", required=True, help=_("tệp ghi ra"))

    def handle(self, *args, unit, period, fmt, output, **options):
        target = unit_by_code(unit)
        try:
            report = progress_report_build(unit=target, period_code=period.strip())
        except ReportError as error:
            raise CommandError(str(error)) from error
        content = RENDERERS[fmt](report)
        path = Path(output)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(_("Không ghi được tệp %(path)s: %(error)s") % {"path": path, "error": error}) from error
        self.stdout.write(_("Đã ghi %(path)s (%(size)s byte).") % {"path": path, "size": len(content)})
