from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileSummary:
    """What other contexts may know of a person's real-name profile: never the full ID number."""

    legal_name: str
    id_type_label: str
    id_number_masked: str
    has_mailing_address: bool


@dataclass(frozen=True)
class DemoLogin:
    role: str
    role_label: str
    login: str
    password: str
