from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.demo import DemoError, demo_load


class Command(BaseCommand):
    help = _("Dựng dữ liệu mẫu Quảng Ninh (đơn vị thật, giá trị mẫu) và người dùng mẫu cho từng vai trò.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=None, help=_("mật khẩu cho mọi người dùng mẫu (mặc định: ngẫu nhiên)")
        )

    def handle(self, *args, password=None, **options):
        try:
            result = demo_load(password=password)
        except DemoError as exc:
            raise CommandError(str(exc))
        self.stdout.write(
            _("Dữ liệu mẫu: %(v)s giá trị, kỳ %(p)s.") % {"v": result["values"], "p": ", ".join(result["periods"])}
        )
        self.stdout.write(_("Người dùng mẫu (DỮ LIỆU MẪU — không dùng cho số liệu thật):"))
        for username, chosen in result["logins"].items():
            self.stdout.write(f"  {username:24} {chosen}")
