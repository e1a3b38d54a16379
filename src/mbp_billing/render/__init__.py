"""The PDF of an invoice or credit note, for people (R10, R11, R12).

The renderer is a package; its parts are split out of
:mod:`mbp_billing.render.layout` in the commits that follow this move.
"""

from .layout import DEFAULT_LOCALE, epc_qr_payload, render_pdf

__all__ = ["DEFAULT_LOCALE", "epc_qr_payload", "render_pdf"]
