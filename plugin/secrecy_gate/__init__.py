"""secrecy-gate: nothing reaches a government website before its confidentiality review.

Implements the Wuwei 政府信息公开保密审查制度 (武政办发〔2020〕75号) as an MkDocs
plugin and a command-line tool.  Rules: ``rules.py``; the MkDocs glue:
``plugin.py``; git evidence: ``gitaudit.py``.
"""

__version__ = "0.1.0"
