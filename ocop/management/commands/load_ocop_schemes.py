from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from ocop.services import schemes_load


class Command(BaseCommand):
    help = _("Nạp các bộ tiêu chí chấm điểm OCOP (điểm tối đa từng phần, mức sao) từ ocop/data/scoring.yaml.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=_("tệp YAML (mặc định: ocop/data/scoring.yaml)"))

    def handle(self, *args, file=None, **options):
        for scheme in schemes_load(path=file):
            parts = " / ".join(f"{p.code} {p.max_points}" for p in scheme.parts.all())
            marks = _("mức sao đã xác minh") if scheme.bands_verified else _("mức sao CHƯA xác minh")
            self.stdout.write(f"{scheme.code} v{scheme.version}: {parts}; {marks}")
