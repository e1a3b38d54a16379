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

__all__ = ["LABELS", "REMINDER_LABELS", "Labels", "ReminderLabels"]


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



# == Reminder letters (issue 8, part 3) ==========================================


@attrs.frozen
class ReminderLabels:
    """The words of a reminder letter, in one language (besides :class:`Labels`).

    ``{invoices}`` is filled with ``invoices[0]`` for one invoice and
    ``invoices[1]`` for more, so that the sentences need no grammar of their own.
    """

    titles: tuple[str, str]  # level 1 (herinnering), level 2 (aanmaning)
    pay_by: str
    invoice: str
    open: str
    total_open: str
    invoices: tuple[str, str]  # one, more
    reminder_text: str  # {invoices}, {date}, {amount}, {pay_by}
    notice_after: str  # {previous}, {invoices}, {date}, {amount}
    notice_open: str  # {invoices}, {date}, {amount}
    notice_text: str  # {pay_by}, {seller}: the written notice of Art. 10 §3
    pay_each: str  # {amount}, {due}


#: The reminder words of each language, by Babel language code.
REMINDER_LABELS: Final[dict[str, ReminderLabels]] = {
    "nl": ReminderLabels(
        titles=("Herinnering", "Aanmaning"),
        pay_by="Betaaldatum",
        invoice="Factuur",
        open="Openstaand",
        total_open="Totaal openstaand",
        invoices=("factuur", "facturen"),
        reminder_text=(
            "Volgens onze boekhouding is van onderstaande {invoices} op {date} nog {amount} "
            "niet betaald, hoewel de vervaldatum verstreken is. Wellicht is dit aan uw aandacht "
            "ontsnapt. Wij vragen u dit bedrag uiterlijk op {pay_by} over te schrijven. Heeft u "
            "intussen betaald, dan mag u deze herinnering als zonder voorwerp beschouwen."
        ),
        notice_after=("Ondanks onze herinnering van {previous} is van onderstaande {invoices} "
                      "op {date} nog altijd {amount} niet betaald."),
        notice_open="Van onderstaande {invoices} is op {date} nog altijd {amount} niet betaald.",
        notice_text=(
            "Deze brief is de schriftelijke aanmaning bedoeld in artikel 10, §3, van de "
            "samenwerkingsovereenkomst. Wij vragen u dit bedrag uiterlijk op {pay_by} te "
            "betalen. Blijft de betaling tien dagen na deze aanmaning uit, dan heeft {seller} "
            "het recht de samenwerkingsovereenkomst geheel of gedeeltelijk met onmiddellijke "
            "ingang en zonder rechterlijke tussenkomst te ontbinden, onverminderd het recht op "
            "schadevergoeding."
        ),
        pay_each=(
            "Gelieve {amount} uiterlijk op {due} over te schrijven op onderstaande rekening, "
            "per factuur met haar eigen gestructureerde mededeling (zie de tabel)."
        ),
    ),
    "fr": ReminderLabels(
        titles=("Rappel", "Mise en demeure"),
        pay_by="Date limite",
        invoice="Facture",
        open="Montant ouvert",
        total_open="Total ouvert",
        invoices=("la facture", "les factures"),
        reminder_text=(
            "Selon notre comptabilité, un montant de {amount} reste impayé au {date} sur "
            "{invoices} ci-dessous, bien que l'échéance soit dépassée. Cela vous a peut-être "
            "échappé. Nous vous prions de virer ce montant au plus tard le {pay_by}. Si vous "
            "avez payé entre-temps, veuillez considérer ce rappel comme sans objet."
        ),
        notice_after=("Malgré notre rappel du {previous}, un montant de {amount} reste impayé "
                      "au {date} sur {invoices} ci-dessous."),
        notice_open="Un montant de {amount} reste impayé au {date} sur {invoices} ci-dessous.",
        notice_text=(
            "La présente lettre constitue la mise en demeure écrite visée à l'article 10, §3, "
            "de la convention de coopération. Nous vous prions de payer ce montant au plus "
            "tard le {pay_by}. À défaut de paiement dans les dix jours suivant la présente "
            "mise en demeure, {seller} a le droit de résilier la convention en tout ou en "
            "partie avec effet immédiat et sans intervention judiciaire, sans préjudice du "
            "droit à des dommages et intérêts."
        ),
        pay_each=(
            "Veuillez virer {amount} au plus tard le {due} sur le compte ci-dessous, avec pour "
            "chaque facture sa propre communication structurée (voir le tableau)."
        ),
    ),
    "en": ReminderLabels(
        titles=("Reminder", "Formal notice"),
        pay_by="Pay by",
        invoice="Invoice",
        open="Open",
        total_open="Total open",
        invoices=("invoice", "invoices"),
        reminder_text=(
            "According to our books, {amount} of the {invoices} below is still unpaid on "
            "{date}, although the due date has passed. This may have escaped your attention. "
            "Please transfer this amount no later than {pay_by}. If you have paid in the "
            "meantime, please disregard this reminder."
        ),
        notice_after=("Despite our reminder of {previous}, {amount} of the {invoices} below is "
                      "still unpaid on {date}."),
        notice_open="{amount} of the {invoices} below is still unpaid on {date}.",
        notice_text=(
            "This letter is the written notice referred to in article 10, §3, of the "
            "cooperation agreement. Please pay this amount no later than {pay_by}. If payment "
            "has not been made ten days after this notice, {seller} is entitled to dissolve "
            "the agreement in whole or in part with immediate effect and without recourse to "
            "the courts, without prejudice to its right to damages."
        ),
        pay_each=(
            "Please transfer {amount} no later than {due} to the account below, quoting each "
            "invoice's own structured communication (see the table)."
        ),
    ),
}
