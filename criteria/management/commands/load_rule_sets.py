from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.loader import LoaderError, default_paths, load_rule_sets


class Command(BaseCommand):
    help = _("Nạp các bộ tiêu chí từ tệp YAML (mặc định: mọi tệp trong criteria/rulesets/).")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help=_("Tệp bộ tiêu chí (.yaml)"))

    def handle(self, *args, files, **options):
        paths = files or default_paths()
        if not paths:
            raise CommandError(_("Không có tệp bộ tiêu chí nào để nạp."))
        try:
            results = load_rule_sets(paths)
        except LoaderError as exc:
            lines = [_("Không nạp được: %(n)s lỗi, cơ sở dữ liệu không thay đổi.") % {"n": len(exc.problems)}]
            lines += [f"  {problem}" for problem in exc.problems]
            raise CommandError("\n".join(lines))
        for result in results:
            self.stdout.write(result.summary())
