"""The portal's roles (Django groups) and the permissions each one carries."""

from __future__ import annotations

# codename -> description; all live on the StaffProfile model's Meta (app label "staff").
PERMISSIONS = {
    "view_clients": "Can view clients and their trading accounts",
    "change_clients": "Can create, edit and delete clients",
    "view_sensitive_data": "Can view sensitive client data (document number, tax id)",
    "review_kyc": "Can approve or reject KYC",
    "change_accounts": "Can create and edit trading accounts",
    "transfer_money": "Can deposit and withdraw money",
    "approve_money": "Can approve or reject money operations that need a second member",
    "export_money": "Can export money movements as CSV",
    "view_trading": "Can view orders, positions and deals",
    "view_live_board": "Can watch the live supervisor board",
    "manage_groups": "Can edit groups, commissions and symbols",
    "view_audit": "Can view the audit log",
    "export_clients": "Can export client lists as CSV",
    "export_accounts": "Can export trading account lists as CSV",
    "export_trading": "Can export orders, positions, deals and statements as CSV",
    "manage_staff": "Can manage staff: roles, group scope, second factor; see staff audit entries",
}

BACK_OFFICE = "Back office"
COMPLIANCE = "Compliance"
SUPERVISOR = "Supervisor"
ADMINISTRATOR = "Administrator"

ROLES = {
    BACK_OFFICE: [
        "view_clients",
        "change_clients",
        "change_accounts",
        "transfer_money",
        "view_trading",
        "export_clients",
        "export_accounts",
        "export_money",
        "export_trading",
    ],
    COMPLIANCE: ["view_clients", "view_sensitive_data", "review_kyc", "view_trading", "view_audit",
                 "export_clients", "export_accounts", "export_trading"],
    SUPERVISOR: ["view_clients", "view_trading", "view_live_board", "approve_money"],
    ADMINISTRATOR: list(PERMISSIONS),
}

# The short names the command line accepts for each role.
ROLE_SLUGS = {
    "backoffice": BACK_OFFICE,
    "compliance": COMPLIANCE,
    "supervisor": SUPERVISOR,
    "administrator": ADMINISTRATOR,
}


def role_for_slug(slug: str) -> str:
    name = ROLE_SLUGS.get(slug.strip().lower().replace(" ", "").replace("-", "").replace("_", ""))
    if name is None:
        raise ValueError(f"unknown role {slug!r}; choose one of {', '.join(ROLE_SLUGS)}")
    return name
