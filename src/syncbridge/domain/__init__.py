"""The pure core: records, fingerprints, delta, plan, state machines, conflict decisions. No I/O here."""
