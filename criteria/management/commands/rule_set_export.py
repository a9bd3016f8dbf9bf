from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.ruleset_export import RuleSetNotFound, rule_set_export_xlsx, rule_set_export_yaml, rule_set_get


class Command(BaseCommand):
    help = _("Xuất một bộ tiêu chí ra YAML (nạp lại được bằng load_rule_sets) hoặc Excel.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version N` names the rule set's version here, not the program's: the later definition wins.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("code", help=_("Mã bộ tiêu chí, ví dụ xa-ntm-2021-2025"))
        parser.add_argument(
            "--version", dest="rule_set_version", type=int, help=_("Phiên bản (mặc định: bản mới nhất đã ban hành)")
        )
        parser.add_argument("--format", dest="fmt", choices=("yaml", "xlsx"), default="yaml")
        parser.add_argument("--output", help=_("Tệp ghi ra (YAML không có --output thì in ra màn hình)"))

    def handle(self, *args, code, rule_set_version, fmt, output, **options):
        if rule_set_version is not None and rule_set_version < 1:
            raise CommandError(_("Phiên bản phải là số nguyên từ 1 trở lên."))
        try:
            rule_set = rule_set_get(code=code, version=rule_set_version)
        except RuleSetNotFound as exc:
            raise CommandError(str(exc))
        if fmt == "xlsx":
            if not output:
                raise CommandError(_("Tệp Excel cần --output TỆP.xlsx"))
            Path(output).write_bytes(rule_set_export_xlsx(rule_set=rule_set))
        else:
            text = rule_set_export_yaml(rule_set=rule_set)
            if not output:
                self.stdout.write(text, ending="")
                return
            Path(output).write_text(text, encoding="utf-8")
        self.stderr.write(
            _("Đã ghi %(code)s v%(v)s vào %(path)s") % {"code": code, "v": rule_set.version, "path": output}
        )
