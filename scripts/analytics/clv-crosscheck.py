"""Cross-check of the rollup's lifetime-value inputs against the Python `lifetimes` package.

Generates a seeded set of transactions (customers with one purchase, several on one day, long gaps, refunds left
aside), runs lifetimes' `summary_data_from_transaction_data` on them, and writes transactions and its answers to
packages/analytics/test/fixtures/clv-lifetimes.json, which a test loads into ClickHouse to compare with
`lead_clv_inputs`. Run once when the definition changes:

    python3 -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes && /tmp/lt/bin/python scripts/analytics/clv-crosscheck.py
"""
import json
import random
from pathlib import Path

import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
import lifetimes

END = "2026-06-30"
rng = random.Random(20261202)
start = pd.Timestamp("2024-07-01")
rows = []
for c in range(40):
    customer = f"c{c:02d}"
    first = start + pd.Timedelta(days=rng.randrange(0, 720))
    purchases = 1 if c % 5 == 0 else rng.randrange(2, 9)
    day = first
    for _ in range(purchases):
        if day > pd.Timestamp(END):
            break
        # Some days carry two or three orders: lifetimes merges them into one purchase period.
        for _ in range(1 if rng.random() < 0.7 else rng.randrange(2, 4)):
            rows.append({"customer": customer, "date": day.strftime("%Y-%m-%d"), "value": round(rng.uniform(5, 900), 2)})
        day = day + pd.Timedelta(days=rng.randrange(1, 120))
frame = pd.DataFrame(rows)
summary = summary_data_from_transaction_data(
    frame, "customer", "date", monetary_value_col="value", observation_period_end=END, freq="D"
)
expected = [
    {
        "customer": customer,
        "x": int(r.frequency),
        "t_x": int(r.recency),
        "T": int(r["T"]),
        "mean_repeat_value": float(r.monetary_value),
    }
    for customer, r in summary.sort_index().iterrows()
]
out = Path(__file__).resolve().parents[2] / "packages/analytics/test/fixtures/clv-lifetimes.json"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(
    json.dumps(
        {
            "generatedBy": f"scripts/analytics/clv-crosscheck.py with lifetimes {lifetimes.__version__}, pandas {pd.__version__}",
            "observationPeriodEnd": END,
            "transactions": rows,
            "expected": expected,
        },
        indent=1,
    )
    + "\n"
)
print(f"{len(rows)} transactions, {len(expected)} customers -> {out}")
