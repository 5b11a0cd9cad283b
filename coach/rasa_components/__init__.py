"""Rasa graph components (these modules run inside the Rasa env, .venv-rasa).

Importing this package (the pipeline always loads RedFlagRuleClassifier from it) also installs
the server speed-up in `speedups.py`.
"""

from coach.rasa_components.speedups import install_cached_action_response_validation

install_cached_action_response_validation()
