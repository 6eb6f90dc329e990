"""What finalize.py adds to a model card: each target met or not, and MODEL_CARD.md, the card for people."""

from __future__ import annotations

import json

from .measure import TEST_SETS


def pct(x):
    return "n/a" if x is None else f"{100 * x:.1f}%"


def targets(card):
    """Issue 13's targets (test splits), plus the budgets kept from issue 3."""
    s = card["metrics"]["summary"]
    b = card.get("bench") or {}
    t = []

    def add(name, value, goal, ok, fmt=pct):
        t.append(
            {
                "target": name,
                "goal": goal,
                "measured": None if value is None else (fmt(value) if fmt else value),
                "met": None if value is None else bool(ok),
            }
        )

    def at_least(name, key, goal):
        add(name, s.get(key), f">= {goal:.0%}", (s.get(key) or 0) >= goal)

    at_least("realworld-extra3 test top-1", "extra3_test_top1", 0.85)
    for label in ("guava", "lime", "coconut"):
        at_least(f"realworld-extra3 test top-1, {label}", f"extra3_test_{label}_top1", 0.75)
    at_least("realworld-extra test top-1", "extra_test_top1", 0.97)
    at_least("Grocery test top-1", "grocery_test_top1", 0.90)
    at_least("Grocery test top-3", "grocery_test_top3", 0.98)
    at_least("Fruits-360 test top-1", "fruits360_test_top1", 0.99)
    at_least("not-fruit test abstain", "not_fruit_test_abstain_rate", 0.95)
    # issue 19: everyday photos that are not fruit, and the labels real photos confused most
    at_least("everyday not-fruit test abstain", "everyday_test_abstain_rate", 0.97)
    for label in ("lime", "apple", "orange"):
        at_least(f"real-photo val top-1, {label}", f"real_val_{label}_top1", 0.85)
    add(
        "fruit test images abstaining",
        s["fruit_test_abstain_rate"],
        "<= 5%",
        (s["fruit_test_abstain_rate"] or 1) <= 0.05,
    )
    if b:
        p50 = b["inference_ms"]["1_thread"]["p50"]
        add("inference p50, 1 thread", p50, "<= 20 ms", p50 <= 20, lambda v: f"{v:.2f} ms")
        cold = b["cold_process"]["cold_total_ms"]
        add("cold import+load+first inference", cold, "<= 300 ms", cold <= 300, lambda v: f"{v:.0f} ms")
        size = b["model_bytes"]
        add("model file", size, "<= 6 MB", size <= 6 * 1024 * 1024, lambda v: f"{v / 1e6:.2f} MB")
        rss = b["cold_process"]["peak_rss_mb"]
        add("classify peak RSS", rss, "<= 150 MB", rss <= 150, lambda v: f"{v:.0f} MB")
    return t


def markdown(card):
    s = card["metrics"]["summary"]
    lines = [
        f"# Model card: {card['model_id']}",
        "",
        f"Fruit classifier for the Fruit Classification System: {len(card['labels']) - 1} fruit labels plus "
        f"`not_fruit`, shipped as `{card['file']}` ({card['file_bytes'] / 1e6:.2f} MB, {card['quantization']}).",
        "",
        f"Created {card['created']}. Architecture: {card['architecture']}.",
        "",
        "## Input and preprocessing",
        "",
        f"- tensor {card['input']['shape']} {card['input']['dtype']} {card['input']['layout']} {card['input']['color']}, "
        f"normalised {card['input']['normalization']}",
        f"- {card['input']['preprocessing']}",
        f"- output: {card['output']['meaning']}",
        "",
        "## Labels",
        "",
        ", ".join(f"`{name}`" for name in card["labels"]),
        "",
    ]
    if card.get("dropped_labels"):
        lines += [f"Dropped labels: {', '.join(card['dropped_labels'])}.", ""]
    lines += [
        "## Abstaining",
        "",
        f"- rule: {card['abstain_rule']}",
        f"- threshold: **{card['abstain_threshold']:.2f}**; {card['abstain_threshold_selection']}",
        f"- temperature {card['temperature']:.3f} (folded into the model's softmax)",
        "",
        "## Targets (issue 13)",
        "",
    ]
    cmp = card.get("compared_with")
    if cmp:
        other = {t["target"]: t for t in cmp["targets"]}
        lines += [
            f"Measured in the same run as `{cmp['model_id']}` (same splits, same machine).",
            "",
            f"| target | goal | {card['model_id']} | met | {cmp['model_id']} | met |",
            "|---|---|---|---|---|---|",
        ]
        for t in card.get("targets", []):
            o = other.get(t["target"], {})
            lines.append(
                f"| {t['target']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else 'NO'} | "
                f"{o.get('measured')} | {'yes' if o.get('met') else 'NO'} |"
            )
    else:
        lines += ["| target | goal | measured | met |", "|---|---|---|---|"]
        for t in card.get("targets", []):
            lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |")
    lines += [
        "",
        "## Metrics per dataset (test splits, tflite-runtime)",
        "",
        "| set | n | top-1 | top-3 | abstain rate | ECE |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key in TEST_SETS:
        m = card["metrics"].get(key)
        if m:
            e = "n/a" if m["ece"] is None else f"{m['ece']:.3f}"
            lines.append(f"| {key} | {m['n']} | {pct(m['top1'])} | {pct(m['top3'])} | {pct(m['abstain_rate'])} | {e} |")
    lines += [
        "",
        "For fruit folders top-1/top-3 check the label; for `not_fruit` correct means abstained. "
        "Fruit test images abstaining overall: " + pct(s["fruit_test_abstain_rate"]) + f" of {s['fruit_test_n']}.",
        "",
    ]
    for key in ("grocery_test", "extra_test", "extra3_test", "fruits360_test"):
        m = card["metrics"].get(key)
        if not m:
            continue
        lines += [
            f"### Per label: {key}",
            "",
            "| label | n | top-1 | top-3 | abstain | most confused with |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label, v in sorted(m["per_label"].items()):
            conf = ", ".join(f"{k} ({n})" for k, n in v["confused_with"].items())
            lines.append(
                f"| {label} | {v['n']} | {pct(v['top1'])} | {pct(v['top3'])} | {pct(v['abstain_rate'])} | {conf} |"
            )
        lines.append("")
    if card.get("bench"):
        b = card["bench"]
        lines += [
            "## Bench (`python -m fruitclf bench`)",
            "",
            f"- runtime `{b['runtime']}`, {b['cpu_count']} CPUs, model {b['model_bytes']} bytes",
            f"- inference 1 thread p50 {b['inference_ms']['1_thread']['p50']} ms / p95 {b['inference_ms']['1_thread']['p95']} ms; "
            f"2 threads p50 {b['inference_ms']['2_thread']['p50']} ms / p95 {b['inference_ms']['2_thread']['p95']} ms",
            f"- model load {b['model_load_ms']} ms (by thread count)",
            f"- preprocessing a 1024x768 JPEG ({b['image']}): p50 {b['preprocess_1024x768_jpeg_ms']['p50']} ms, "
            f"p95 {b['preprocess_1024x768_jpeg_ms']['p95']} ms",
            f"- cold process (import + load + preprocess + first inference): {b['cold_process']['cold_total_ms']} ms; "
            f"peak RSS {b['cold_process']['peak_rss_mb']} MB",
        ]
        if "best_slice_p50" in b["preprocess_1024x768_jpeg_ms"]:  # cards benched before the field existed lack it
            lines += [
                f"- quietest fifth of the runs (p50): inference 1 thread {b['inference_ms']['1_thread']['best_slice_p50']} ms, "
                f"2 threads {b['inference_ms']['2_thread']['best_slice_p50']} ms, preprocessing "
                f"{b['preprocess_1024x768_jpeg_ms']['best_slice_p50']} ms; load average during the bench "
                f"{b['load_average_1min']}"
            ]
        lines += [""]
    lines += ["## Training data", ""]
    for d in card["training_data"]:
        lines.append(
            f"- **{d['name']}** (`{d['file']}`): {d['source']}; license {d['license']}; cite: {d['citation']}. "
            f"Used: {d['used']}."
        )
    lines += [
        f"- Backbone: {card['backbone']['name']} ({card['backbone']['packages']}; {card['backbone']['license']}).",
        "",
    ]
    tr = card["training"]
    lines += [
        "## Training",
        "",
        f"- command: `{tr['command']}`" + (f" ({tr['seconds']} s on 2 CPU cores)" if "seconds" in tr else ""),
        "- settings: "
        + ", ".join(f"{k} {v}" for k, v in tr.items() if k not in ("command", "note", "views", "seconds")),
    ]
    lines += [f"- views: {json.dumps(tr['views'])}"] if "views" in tr else []
    lines += ([f"- {tr['note']}"] if tr.get("note") else []) + ["", "## Runtime checks before acceptance", ""]
    reference = "numpy (base backbone features -> new head)" if card.get("head") else "fp32 PyTorch"
    for k, v in card.get("runtime_checks", {}).items():
        if isinstance(v, dict):
            lines.append(
                f"- {k}: max |p - p_ref| = {v['max_abs_diff']:.2e} (reference: {reference}), "
                f"top-1 agreement {pct(v['top1_agree'])}"
            )
        else:
            lines.append(f"- {k}: {v:.2e}")
    lines += ["", "## Known weaknesses", ""] + [f"- {w}" for w in card.get("known_weaknesses", [])] + [""]
    return "\n".join(lines)
