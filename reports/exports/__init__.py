"""The six-month and yearly progress reports the offices send upward, as an Excel workbook and as a PDF.

`data.progress_report_build` reads the same stored results as the dashboards (never the engine) and lays them
out as titled tables; `xlsx` and `pdf` only render those tables, so both files carry the same numbers.
"""
