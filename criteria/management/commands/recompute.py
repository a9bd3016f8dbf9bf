import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communes.models import AdminUnit
from criteria.cli import period_by_code
from criteria.models import RecomputeRun
from criteria.services import recompute_run_create, recompute_run_execute, recompute_run_fail
from criteria.tasks import queue_run

BAR_WIDTH = 30


class Command(BaseCommand):
    help = _(
        "Tính lại kết quả đạt chuẩn của một kỳ (hoặc mọi kỳ với --all), theo từng phần, "
        "hiện tiến độ; lần chạy được ghi lại và hiện trên trang Tính lại."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="2023, 2023-Q1…2023-Q4, 2023-6M, 2023-9M")
        parser.add_argument("--all", action="store_true", help=_("mọi kỳ có số liệu"))
        parser.add_argument("--unit", help=_("chỉ tính lại địa bàn của đơn vị này (mã GSO), ví dụ 22"))
        parser.add_argument(
            "--queue",
            action="store_true",
            help=_("giao cho Celery worker (hàng đợi bulk) và theo dõi tiến độ thay vì chạy tại chỗ"),
        )

    def handle(self, *args, period=None, all=False, unit=None, queue=False, **options):
        if not period and not all:
            raise CommandError(_("Cần --period P hoặc --all."))
        scope = None
        if unit:
            scope = AdminUnit.objects.filter(code=unit.strip()).first()
            if scope is None:
                raise CommandError(_("Không có đơn vị mã %(code)s.") % {"code": unit})
        run = recompute_run_create(
            period=None if all else period_by_code(period, create=False), unit=scope, trigger="command"
        )
        if queue:
            queue_run(run)
            run = self._follow(run)
        else:
            try:
                run = recompute_run_execute(run_id=run.id, progress=self._show)
            except Exception as exc:
                recompute_run_fail(run_id=run.id, error=f"{type(exc).__name__}: {exc}")
                raise
        self._end_line()
        if run.status != RecomputeRun.Status.DONE:
            raise CommandError(_("Lần tính lại #%(id)s lỗi: %(error)s") % {"id": run.id, "error": run.error})
        seconds = (run.finished_at - run.started_at).total_seconds() if run.started_at else 0
        self.stdout.write(
            _("Lần tính lại #%(id)s: %(done)s đơn vị, %(s).1f giây.")
            % {"id": run.id, "done": f"{run.units_done:,}".replace(",", "."), "s": seconds}
        )

    def _follow(self, run: RecomputeRun) -> RecomputeRun:
        while run.status in (RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING):
            self._show(run)
            time.sleep(1)
            run.refresh_from_db()
        self._show(run)
        return run

    def _show(self, run: RecomputeRun) -> None:
        done = int(BAR_WIDTH * run.units_done / run.units_total) if run.units_total else 0
        bar = "#" * done + "-" * (BAR_WIDTH - done)
        line = f"[{bar}] {run.percent:3d}%  {run.units_done}/{run.units_total}"
        if self.stdout.isatty():
            self.stdout.write("\r" + line, ending="")
            self.stdout.flush()
            self._bar_open = True
        else:
            self.stdout.write(line)

    def _end_line(self) -> None:
        if getattr(self, "_bar_open", False):
            self.stdout.write("")
            self._bar_open = False
