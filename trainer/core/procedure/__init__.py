"""The procedure: trocar (``trocar``, ``walls``, ``tissue``), actions and their durations
(``actions``), the state machine (``machine.Procedure``), shots (``imaging``), value types
(``state``), events (``events``), scripted expert plans (``plans``) and the cement model
(``cement``).  Documented in docs/procedure.md and docs/session-format.md.
"""
