"""The words printed on documents, per language: data, not code.

:data:`LABELS` maps a language (the language of a Babel locale: ``nl``,
``fr``, ``en``) to the :class:`Labels` of that language; a page takes every
word it prints from there, so adding a language is adding one entry, and
adding a word is adding one field with its text in every language.
Placeholders in braces are filled with :meth:`str.format`.
"""

from __future__ import annotations

from typing import Final

import attrs

from ..documents import VAT_EXEMPTION_REASON

__all__ = ["LABELS", "Labels"]


@attrs.frozen
class Labels:
    """The words printed on a document, in one language."""

    invoice: str
    credit_note: str
    number: str
    date: str
    due_date: str
    reference: str
    enterprise_number: str
    customer: str
    description: str
    amount: str
    period: str
    prorata: str  # {months}, {fee}
    partial_credit: str  # {amount}
    subtotal: str
    vat: str
    total_invoice: str
    total_credit_note: str
    vat_mention: str
    payment: str
    pay_instruction: str  # {amount}, {due}
    beneficiary: str
    communication: str
    qr_caption: str
    credits: str  # {number}, {date}
    reason: str
    page: str  # {page}


#: The labels of each language, by Babel language code.
LABELS: Final[dict[str, Labels]] = {
    "nl": Labels(
        invoice="Factuur",
        credit_note="Creditnota",
        number="Nummer",
        date="Datum",
        due_date="Vervaldatum",
        reference="Referentie",
        enterprise_number="Ondernemingsnummer",
        customer="Klant",
        description="Omschrijving",
        amount="Bedrag",
        period="Periode",
        prorata="Pro rata: {months}/12 van {fee}",
        partial_credit="Gedeeltelijke creditering van {amount}",
        subtotal="Subtotaal",
        vat="BTW",
        total_invoice="Totaal te betalen",
        total_credit_note="Totaal gecrediteerd",
        vat_mention=VAT_EXEMPTION_REASON,  # R10
        payment="Betaling",
        pay_instruction=(
            "Gelieve {amount} uiterlijk op {due} over te schrijven op onderstaande "
            "rekening, met de gestructureerde mededeling."
        ),
        beneficiary="Begunstigde",
        communication="Mededeling",
        qr_caption="Scan met uw bankapp",
        credits="Crediteert factuur {number} van {date}",
        reason="Reden",
        page="Pagina {page}",
    ),
    "fr": Labels(
        invoice="Facture",
        credit_note="Note de crédit",
        number="Numéro",
        date="Date",
        due_date="Échéance",
        reference="Référence",
        enterprise_number="Numéro d'entreprise",
        customer="Client",
        description="Description",
        amount="Montant",
        period="Période",
        prorata="Prorata : {months}/12 de {fee}",
        partial_credit="Crédit partiel de {amount}",
        subtotal="Sous-total",
        vat="TVA",
        total_invoice="Total à payer",
        total_credit_note="Total crédité",
        vat_mention=(
            "Non soumis à la TVA : organisme de droit public non assujetti "
            "(article 6, alinéa 1er, Code de la TVA)"
        ),
        payment="Paiement",
        pay_instruction=(
            "Veuillez virer {amount} au plus tard le {due} sur le compte ci-dessous, "
            "avec la communication structurée."
        ),
        beneficiary="Bénéficiaire",
        communication="Communication",
        qr_caption="Scannez avec votre app bancaire",
        credits="Crédite la facture {number} du {date}",
        reason="Motif",
        page="Page {page}",
    ),
    "en": Labels(
        invoice="Invoice",
        credit_note="Credit note",
        number="Number",
        date="Date",
        due_date="Due date",
        reference="Reference",
        enterprise_number="Enterprise number",
        customer="Customer",
        description="Description",
        amount="Amount",
        period="Period",
        prorata="Pro rata: {months}/12 of {fee}",
        partial_credit="Partial credit of {amount}",
        subtotal="Subtotal",
        vat="VAT",
        total_invoice="Total due",
        total_credit_note="Total credited",
        vat_mention=(
            "Not subject to VAT: non-taxable public body "
            "(article 6, first paragraph, Belgian VAT Code)"
        ),
        payment="Payment",
        pay_instruction=(
            "Please transfer {amount} no later than {due} to the account below, "
            "quoting the structured communication."
        ),
        beneficiary="Beneficiary",
        communication="Communication",
        qr_caption="Scan with your banking app",
        credits="Credits invoice {number} of {date}",
        reason="Reason",
        page="Page {page}",
    ),
}
