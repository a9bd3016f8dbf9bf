from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.cli import period_by_code
from criteria.services import attainment_recompute, attainment_recompute_all


class Command(BaseCommand):
    help = _("Tính lại kết quả đạt chuẩn của một kỳ (hoặc mọi kỳ với --all).")

    def add_arguments(self, parser):
        parser.add_argument("--period", help="2023, 2023-Q1…2023-Q4, 2023-6M, 2023-9M")
        parser.add_argument("--all", action="store_true", help=_("mọi kỳ có số liệu"))

    def handle(self, *args, period=None, all=False, **options):
        if not period and not all:
            raise CommandError(_("Cần --period P hoặc --all."))
        results = (
            attainment_recompute_all() if all else [attainment_recompute(period=period_by_code(period, create=False))]
        )
        for stats in results:
            self.stdout.write(
                _("Kỳ %(p)s: %(u)s đơn vị, %(r)s kết quả ghi, %(a)s đạt chuẩn, %(d)s kết quả cũ xóa.")
                % {
                    "p": stats.period,
                    "u": stats.units,
                    "r": stats.rows_written,
                    "a": stats.attained,
                    "d": stats.rows_deleted,
                }
            )
