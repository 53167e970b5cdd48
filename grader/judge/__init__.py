"""The trusted side: compares plain results with the reference and explains the difference."""
