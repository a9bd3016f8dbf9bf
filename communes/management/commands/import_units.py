"""Load the official units, or a province's file of villages or of unit attributes."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communes import importers
from communes.models import Level


class Command(BaseCommand):
    help = _(
        "Nạp 63 tỉnh, 696 huyện, 10.051 xã từ gói vietnam-provinces; với --villages nạp thôn từ tệp CSV/XLSX "
        "(parent_code, code, name); với --attributes đặt thuộc tính đơn vị (code, mountainous, border, island, "
        "ethnic_minority, especially_difficult)."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--villages", metavar="FILE", type=Path, help=_("tệp thôn (.csv hoặc .xlsx)"))
        group.add_argument("--attributes", metavar="FILE", type=Path, help=_("tệp thuộc tính (.csv hoặc .xlsx)"))

    def handle(self, *args, villages=None, attributes=None, **options):
        try:
            if villages:
                self._check_exists(villages)
                self.stdout.write(importers.villages_import(path=villages).line(Level.VILLAGE.label))
            elif attributes:
                self._check_exists(attributes)
                counts = importers.attributes_import(path=attributes)
                self.stdout.write(
                    _("Thuộc tính: %(updated)d cập nhật, %(unchanged)d không đổi")
                    % {"updated": counts.updated, "unchanged": counts.unchanged}
                )
            else:
                for level, counts in importers.units_import_from_package().items():
                    self.stdout.write(counts.line(Level(level).label))
        except importers.FileRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("Tệp có %(count)d lỗi; không ghi gì vào cơ sở dữ liệu.") % {"count": len(rejected.problems)}
            )
        except importers.PackageConflict as conflict:
            raise CommandError(str(conflict))

    def _check_exists(self, path: Path) -> None:
        if not path.is_file():
            raise CommandError(_("Không tìm thấy tệp %(path)s") % {"path": path})
