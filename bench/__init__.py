"""Scale benchmarks: portfolio generators and converters that feed the real import path."""
