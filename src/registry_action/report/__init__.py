"""What a run tells its user: workflow commands, outputs, the job summary, diffs."""
