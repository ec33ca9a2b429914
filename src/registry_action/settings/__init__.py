"""Settings: the inputs, the runner's environment, their checks, how a setting is spelled."""
