"""Every client field once: its label, kind and section. Pages, forms, exports and the audit
log read this table, so a field is shown, masked and exported the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from crmportal.omtrader.enums import table

MASK = "••••••••"
SENSITIVE = frozenset({"document_number", "tax_id"})


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, long, email, date, datetime, money, int, enum, group, manager
    enum: str = ""  # the enums.json table of an "enum" field

    @property
    def sensitive(self) -> bool:
        return self.name in SENSITIVE


def _enum(name: str, label: str, kind: str) -> Field:
    return Field(name, label, "enum", kind)


SECTIONS: tuple[tuple[str, str, tuple[Field, ...]], ...] = (
    ("identity", "Identity", (
        Field("title", "Title"),
        Field("first_name", "First name"),
        Field("middle_name", "Middle name"),
        Field("family_name", "Family name"),
        Field("gender", "Gender"),
        Field("birth_date", "Birth date", "date"),
        Field("national", "Nationality"),
        Field("tax_id", "Tax id"),
    )),
    ("contact", "Contact", (
        Field("email", "E-mail", "email"),
        Field("mobile", "Mobile"),
        Field("local_number", "Local number"),
        _enum("preferred_method", "Preferred contact", "ModelClientPreferredMethod"),
        Field("language", "Language"),
        Field("messengers", "Messengers"),
        Field("social_networks", "Social networks"),
    )),
    ("address", "Address", (
        Field("country", "Country"),
        Field("state", "State"),
        Field("city", "City"),
        Field("zip_code", "Zip code"),
        Field("address", "Address"),
    )),
    ("documents", "Documents", (
        _enum("document_type", "Document type", "ModelDocumentType"),
        Field("document_number", "Document number"),
        Field("issue_date", "Issue date", "date"),
        Field("expiry_date", "Expiry date", "date"),
    )),
    ("wealth", "Employment and wealth", (
        _enum("employment_status", "Employment status", "ModelEmploymentStatus"),
        _enum("employment_industry", "Industry", "ModelEmploymentIndustry"),
        _enum("education_level", "Education", "ModelEducationLevel"),
        _enum("source_of_wealth", "Source of wealth", "ModelSourceOfWealth"),
        Field("net_worth", "Net worth", "money"),
        Field("annual_income", "Annual income", "money"),
        Field("annual_deposit", "Expected yearly deposit", "money"),
    )),
    ("experience", "Trading experience", (
        _enum("forex_experience", "Forex", "ModelTradingExperience"),
        _enum("stocks_experience", "Stocks", "ModelTradingExperience"),
        _enum("cfd_experience", "CFD", "ModelTradingExperience"),
        _enum("futures_experience", "Futures", "ModelTradingExperience"),
    )),
    ("marketing", "Marketing", (
        Field("lead_source", "Lead source"),
        Field("lead_campaign", "Campaign"),
        Field("introducer", "Introducer"),
        Field("external_id", "External id"),
        Field("last_contact_date", "Last contact", "date"),
        Field("comment", "Comment", "long"),
    )),
    ("relationship", "Relationship", (
        _enum("type", "Type", "ModelClientType"),
        _enum("status", "Status", "ModelClientStatus"),
        Field("manager_id", "Manager", "manager"),
        Field("preferred_group", "Preferred group", "group"),
        Field("close_date", "Close date", "date"),
        Field("user_id", "Platform user", "int"),
        Field("approved_by", "KYC approved by", "int"),
        Field("approval_date", "KYC approval date", "date"),
        Field("created_at", "Created", "datetime"),
        Field("updated_at", "Updated", "datetime"),
        Field("created_by", "Created by", "int"),
        Field("updated_by", "Updated by", "int"),
    )),
)

FIELDS: dict[str, Field] = {f.name: f for _, _, fields in SECTIONS for f in fields}

# Written only by the KYC review (four eyes), or by OMTrader itself: never by the edit form.
READ_ONLY = frozenset({
    "user_id", "approved_by", "approval_date", "created_at", "updated_at", "created_by",
    "updated_by",
})
EDITABLE = tuple(name for name in FIELDS if name not in READ_ONLY)

# The fields whose last editor may not approve the client's KYC (the four-eyes rule).
FOUR_EYES = frozenset(
    f.name for key, _, fields in SECTIONS if key in ("identity", "documents") for f in fields
)


# Client status code -> badge: active relationships green, refusals red, dormant grey.
STATUS_BADGES = {0: "info", 1: "info", 2: "muted", 3: "warn", 4: "info", 5: "warn", 6: "danger",
                 7: "ok", 8: "ok", 9: "ok", 10: "muted", 11: "danger", 12: "muted",
                 13: "danger"}


def mask(value: object) -> str:
    return MASK if value not in (None, "") else ""


def redact(values: dict | None) -> dict | None:
    """A copy fit for the audit log: sensitive values are replaced, never stored."""
    if values is None:
        return None
    return {k: ("[hidden]" if k in SENSITIVE and v not in (None, "") else v)
            for k, v in values.items()}


def enum_label(field: Field, code: int | None) -> str:
    if code is None:
        return ""
    return table(field.enum).get(code, f"Unknown ({code})")
