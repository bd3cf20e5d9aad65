"""Arabic NER + stance toward the US military presence in Syria.

Stages, data flowing one way:
schema → corpus → gold → features → models/training → evaluation → publish (predict, pre-annotate).
"""

__version__ = "0.1.0"
