"""KPI snapshot tables (the nightly rollup stores its figures here)."""
