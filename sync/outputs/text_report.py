"""Human-readable validation reports (the CLI's text format)."""

from __future__ import annotations

from collections import Counter

from schemas import DATASETS
from sync.check.issues import SEVERITY_WORDS
from sync.check.validate import SheetResult
from sync.terms import NO_REGISTER


def text_report(file: str, results: list[SheetResult]) -> str:
    lines = [f"文件：{file}"]
    for r in results:
        title = DATASETS[r.dataset].title if r.dataset else "未识别"
        counts = Counter(i.severity for i in r.issues)
        lines.append("")
        lines.append(f"工作表“{r.sheet}”（{title}）" + (f"：表头在第{r.header_row}行，" if r.header_row else "：")
                     + f"读取 {r.rows} 行，合格 {r.valid_rows} 行；"
                     + f"错误 {counts['error']} 个，警告 {counts['warning']} 个，提示 {counts['info']} 个")
        for i in r.issues:
            where = f"第{i.row}行 {i.cell}" if i.row is not None else "整表"
            column = f"【{i.column}】" if i.column else ""
            value = f"（当前值：{i.value}）" if i.value not in (None, "") else ""
            lines.append(f"  [{SEVERITY_WORDS[i.severity]}] {where} {column}{i.message}{value}")
    total = Counter(i.severity for r in results for i in r.issues)
    lines.append("")
    if not any(r.dataset for r in results):  # an unrelated file: nothing was checked, so nothing "passed"
        lines.append(f"{NO_REGISTER}：请检查表头，或用 --dataset 指定台账类型。")
        return "\n".join(lines)
    lines.append(f"合计：错误 {total['error']} 个，警告 {total['warning']} 个。"
                 + ("请按上面的单元格位置逐一修改。" if total["error"] else "没有需要修改的错误。"))
    return "\n".join(lines)
