"""Outcomes and lengths (as metrics.json holds them) in words, for summary.txt and the report."""
from __future__ import annotations

from thinkbench.harness.metrics.lengths import PARTS


def describe_outcomes(o: dict) -> str:
    """One line of a point's outcomes (as metrics.json holds them)."""
    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    cut = f"{o['cut_share']:.1%} cut" + (f" at max_tokens={o['max_tokens']}" if o["max_tokens"] else "")
    return (f"{o['samples']} samples, {cut}; accuracy {share(o['accuracy_finished'])} finished, "
            f"{share(o['accuracy_cut'])} cut; no answer: " + ", ".join(f"{k} {v}" for k, v in o["no_answer"].items())
            + "; verdicts: " + ", ".join(f"{k} {v}" for k, v in o["verdicts"].items()))


def describe_lengths(lengths: dict) -> str:
    """Median [p10, p90] generated tokens of thinking and answer, by verdict, with sample counts."""
    cells = []
    for part in PARTS:
        if not any(d["count"] and d["p90"] for d in lengths[part].values()):
            continue  # no sample has any: thinking, in a run without reasoning
        for group, d in lengths[part].items():
            if d["count"]:
                cells.append(f"{part} {group} {d['p50']} [{d['p10']}, {d['p90']}]")
    counts = ", ".join(f"{group} {d['count']}" for group, d in lengths["thinking"].items())
    return "; ".join(cells) + f" ({counts} samples{'' if lengths['exact'] else '; split estimated from characters'})"


def describe_overthinking(o: dict) -> str:
    firsts = ", ".join(f"{b}: {c}" for b, c in o["first_correct"])
    after = "" if o["share_after"] is None else \
        f"; {o['share_after']:.0%} of thinking tokens were spent after the answer was already right"
    return f"{o['solved']} of {o['samples']} samples right at some budget (first right at budget {firsts}){after}"
