import os

from hypothesis import HealthCheck, settings

# CI runs a modest number of generated cases per property; `--hypothesis-profile=full` or
# SHAPELENS_HYPOTHESIS=full runs many more (see README).
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("full", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SHAPELENS_HYPOTHESIS", "ci"))
