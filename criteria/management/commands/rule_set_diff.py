from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.ruleset_diff import rule_set_diff
from criteria.ruleset_export import RuleSetNotFound, rule_set_get


def _version(raw: str) -> int:
    text = str(raw).strip().lower().removeprefix("v")
    if not text.isdigit() or int(text) < 1:
        raise CommandError(_("Phiên bản '%(v)s' không hợp lệ: viết một số nguyên từ 1 trở lên, ví dụ 2.") % {"v": raw})
    return int(text)


class Command(BaseCommand):
    help = _("So sánh hai phiên bản của một bộ tiêu chí: tiêu chí, chỉ tiêu và mức đạt thêm, bỏ, đổi.")

    def add_arguments(self, parser):
        parser.add_argument("code", help=_("Mã bộ tiêu chí"))
        parser.add_argument("v1", help=_("Phiên bản cũ"))
        parser.add_argument("v2", help=_("Phiên bản mới"))

    def handle(self, *args, code, v1, v2, **options):
        try:
            old = rule_set_get(code=code, version=_version(v1))
            new = rule_set_get(code=code, version=_version(v2))
        except RuleSetNotFound as exc:
            raise CommandError(str(exc))
        diff = rule_set_diff(old=old, new=new)
        out = [f"{code}: v{old.version} → v{new.version}", diff.summary()]
        if diff.rule_set_changes:
            out.append("")
            out.append(_("Bộ tiêu chí:"))
            out += [f"  ~ {c.label}: {c.old}  →  {c.new}" for c in diff.rule_set_changes]
        if diff.criteria_added or diff.criteria_removed or diff.criteria_changed:
            out.append("")
            out.append(_("Tiêu chí:"))
            out += [f"  + {c.code}  {c.name}" for c in diff.criteria_added]
            out += [f"  - {c.code}  {c.name}" for c in diff.criteria_removed]
            for item in diff.criteria_changed:
                out.append(f"  ~ {item.code}  {item.name}")
                out += [f"      {c.label}: {c.old}  →  {c.new}" for c in item.changes]
        if diff.indicators_added or diff.indicators_removed or diff.indicators_changed:
            out.append("")
            out.append(_("Chỉ tiêu:"))
            out += [f"  + {i.code}  {i.text}  [{i.target_text}]" for i in diff.indicators_added]
            out += [f"  - {i.code}  {i.text}  [{i.target_text}]" for i in diff.indicators_removed]
            for item in diff.indicators_changed:
                out.append(f"  ~ {item.code}  {item.name}")
                for change in item.changes:
                    out.append(f"      {change.label}:")
                    out.append(f"        {_('cũ')}: {change.old}")
                    out.append(f"        {_('mới')}: {change.new}")
        self.stdout.write("\n".join(out))
