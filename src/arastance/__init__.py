"""Arabic NER + stance toward the US military presence in Syria.

Stages, data flowing one way: the packages import in the order README's Layering paragraph lists
(gold → features → models → … → publish), which tests/test_layering.py checks against the code.
"""

__version__ = "0.1.0"
