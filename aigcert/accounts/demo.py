"""Demo accounts, one per role, for `aigcert demo`. Never used outside demo installs."""

from __future__ import annotations

from django.db import transaction

from aigcert.accounts.data import DemoLogin
from aigcert.accounts.models import Profile, RoleGrant, User
from aigcert.accounts.roles import Role

DEMO_PASSWORD = "aigcert-demo-2026"

# (role, phone, email, display name). The candidate signs in by phone to show both identifier kinds.
DEMO_ACCOUNTS = [
    (Role.CANDIDATE, "13800000001", None, "张三（演示考生）"),
    (Role.ORG_ADMIN, None, "org-admin@demo.aigcert.example", "合作机构管理员"),
    (Role.ITEM_AUTHOR, None, "author@demo.aigcert.example", "命题员"),
    (Role.ITEM_REVIEWER, None, "reviewer@demo.aigcert.example", "审题员"),
    (Role.EXAM_ADMIN, None, "exam-admin@demo.aigcert.example", "考务管理员"),
    (Role.PROCTOR, None, "proctor@demo.aigcert.example", "监考员"),
    (Role.MARKER, None, "marker@demo.aigcert.example", "阅卷员"),
    (Role.CHIEF_MARKER, None, "chief-marker@demo.aigcert.example", "仲裁阅卷员"),
    (Role.CERT_OFFICE, None, "cert-office@demo.aigcert.example", "证书管理员"),
    (Role.FINANCE, None, "finance@demo.aigcert.example", "财务"),
    (Role.EMPLOYER, None, "employer@demo.aigcert.example", "用人单位"),
    (Role.STAFF, None, "staff@demo.aigcert.example", "平台管理员"),
    (Role.COURSE_EDITOR, None, "course-editor@demo.aigcert.example", "课程编辑"),
    (Role.TUTOR, None, "tutor@demo.aigcert.example", "辅导老师"),
]


def _demo_user(phone: str | None, email: str | None) -> User | None:
    return User.objects.filter(phone=phone).first() if phone else User.objects.filter(email=email).first()


def _demo_login(role: Role, phone: str | None, email: str | None) -> DemoLogin:
    return DemoLogin(role=role.value, role_label=str(role.label), login=phone or email, password=DEMO_PASSWORD)


def demo_accounts_ensure() -> list[DemoLogin]:
    """Create (or reset the password of) one demo account per role; safe to run again."""
    logins = []
    with transaction.atomic():
        for role, phone, email, name in DEMO_ACCOUNTS:
            user = _demo_user(phone, email)
            if user is None:
                user = User(phone=phone, email=email)
            user.display_name = name
            user.is_staff = role == Role.STAFF
            user.is_superuser = role == Role.STAFF
            user.set_password(DEMO_PASSWORD)
            user.save()
            RoleGrant.objects.get_or_create(user=user, role=role)
            if role == Role.CANDIDATE:
                Profile.objects.get_or_create(
                    user=user,
                    defaults={
                        "legal_name": "张三",
                        "id_number": "11010519491231002X",
                        "recipient_name": "张三",
                        "recipient_phone": "13800000001",
                        "province": "北京市",
                        "city": "北京市",
                        "district": "海淀区",
                        "address_line": "中关村大街1号",
                        "postal_code": "100080",
                    },
                )
            logins.append(_demo_login(role, phone, email))
    return logins


def demo_logins() -> list[DemoLogin]:
    """The demo accounts that exist and still have the demo password, for the run command to print."""
    logins = []
    for role, phone, email, _name in DEMO_ACCOUNTS:
        user = User.objects.filter(phone=phone).first() if phone else User.objects.filter(email=email).first()
        if user is not None and user.check_password(DEMO_PASSWORD):
            logins.append(_demo_login(role, phone, email))
    return logins


def demo_user(role: str) -> User | None:
    """The demo account of a role, once demo_accounts_ensure has run."""
    for demo_role, phone, email, _name in DEMO_ACCOUNTS:
        if demo_role == role:
            return _demo_user(phone, email)
    return None


# Candidates who sat the demo's marked session (they sign in by phone, with the demo password, like the others).
DEMO_SITTERS = [("13800000011", "陈一"), ("13800000012", "林二"), ("13800000013", "周三"), ("13800000014", "吴四")]


def _demo_candidate(phone: str, display_name: str, profile: dict) -> User:
    """A demo candidate signing in by phone with the demo password, made once (an existing one is left as it is)."""
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User(phone=phone, display_name=display_name)
        user.set_password(DEMO_PASSWORD)
        user.save()
        RoleGrant.objects.get_or_create(user=user, role=Role.CANDIDATE)
        Profile.objects.get_or_create(user=user, defaults=profile)
    return user


def demo_sitters_ensure() -> list[User]:
    """The demo's other candidates, created once (safe to run again)."""
    with transaction.atomic():
        return [_demo_candidate(phone, f"{name}（演示考生）", {"legal_name": name}) for phone, name in DEMO_SITTERS]


# Certified people of the demo: the certificate office's queues and the talent database start with them.
DEMO_HOLDERS = [("13800000021", "郑五", "浙江省", "杭州市"), ("13800000022", "王六", "广东省", "深圳市"),
                ("13800000023", "冯七", "四川省", "成都市")]


def demo_holders_ensure() -> list[User]:
    """Demo candidates with a real-name profile and a mailing address, created once (safe to run again)."""
    with transaction.atomic():
        return [_demo_candidate(phone, f"{name}（演示学员）", {
            "legal_name": name, "recipient_name": name, "recipient_phone": phone, "province": province,
            "city": city, "district": "示范区", "address_line": "演示路1号", "postal_code": "100000"})
            for phone, name, province, city in DEMO_HOLDERS]
