"""Certificate generation for one exam session (issue #9): issue N certificates (number, verification code, status
list entry, signed Open Badges 3.0 credential) and make their PDFs the way the certificate office does.

The holders are set up in a throwaway database the quick way (users, real-name profiles and enrolments already at
"balance paid", pending certificates: bulk inserts, not timed). Then, timed:

  1. issuing: `certificates_issue` in the office's batches of --chunk (one transaction each, audited, the holder
     notified), every credential signed with eddsa-rdfc-2022;
  2. PDFs: `pdf_batch_run`, the background task the office starts for a session (one font subset for the batch);
  3. a check: every credential verifies (signature + status list) and a sample of PDFs has the holder's name and
     number in its text layer (pdftotext), so speed is not bought with broken output.

    .venv/bin/python bench/certificates.py [--count 5000] [--database-url postgres://…/bench_certs]

Target: ≥ 20 certificates per second, PDF and credential together. Prints a Markdown line for docs/benchmarks.md and
writes bench/results/certificates-*.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import run_in_throwaway  # noqa: E402

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳佳琳晨瑶雪婷倩颖琪"


def names(count: int) -> list[str]:
    rng = random.Random(9)
    return [rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            for _ in range(count)]


def setup(count: int, session_code: str) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from aigcert.accounts.api import Role
    from aigcert.core.api import today

    call_command("migrate", verbosity=0)
    from django.apps import apps
    from django.conf import settings

    call_command("load_catalog", str(settings.CATALOG_FILE), verbosity=0)
    User = get_user_model()
    Profile, RoleGrant = apps.get_model("accounts", "Profile"), apps.get_model("accounts", "RoleGrant")
    Enrolment = apps.get_model("enrolment", "Enrolment")
    Certificate = apps.get_model("credentials", "Certificate")
    people = names(count)
    users = User.objects.bulk_create([User(phone=f"137{n:08d}", display_name=name, language="zh-hans")
                                      for n, name in enumerate(people)], batch_size=1000)
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role=Role.CANDIDATE) for u in users], batch_size=1000)
    Profile.objects.bulk_create([Profile(user=u, legal_name=name, recipient_name=name, recipient_phone=u.phone,
                                         province="北京市", city="北京市", address_line="示范路1号")
                                 for u, name in zip(users, people, strict=True)], batch_size=1000)
    enrolments = Enrolment.objects.bulk_create([
        Enrolment(candidate=u, program_code="aigc-general", state="balance_paid", result_score=60 + n % 41)
        for n, u in enumerate(users)], batch_size=1000)
    pending = Certificate.objects.bulk_create([
        Certificate(candidate=u, enrolment_code=str(e.code), program_code="aigc-general", session_code=session_code,
                    legal_name=name, score=e.result_score, pass_notice_on=today(), mailing_address="北京市示范路1号")
        for u, e, name in zip(users, enrolments, people, strict=True)], batch_size=1000)
    return [str(c.code) for c in pending]


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection

    session_code = "BENCH-2026-11-AM"
    started = time.perf_counter()
    codes = setup(args.count, session_code)
    setup_seconds = time.perf_counter() - started

    from aigcert.accounts.api import Role
    from aigcert.conftest import UserFactory
    from aigcert.credentials import services, verification
    from aigcert.credentials.models import Certificate, PdfBatch
    from aigcert.credentials.printing import pdf_batch_run

    office = UserFactory(roles=[Role.CERT_OFFICE], phone=f"136{uuid.uuid4().int % 10**8:08d}")
    started = time.perf_counter()
    for position in range(0, len(codes), args.chunk):
        services.certificates_issue(codes=codes[position:position + args.chunk], actor=office)
    issue_seconds = time.perf_counter() - started

    batch = PdfBatch.objects.create(session_code=session_code, requested_by=office)
    started = time.perf_counter()
    batch = pdf_batch_run(batch)
    pdf_seconds = time.perf_counter() - started
    total_seconds = issue_seconds + pdf_seconds

    issued = list(Certificate.objects.filter(session_code=session_code).order_by("number"))
    started = time.perf_counter()
    invalid = sum(1 for c in issued if verification.verify_document(c.credential).outcome != "valid")
    verify_seconds = time.perf_counter() - started
    sample = random.Random(3).sample(issued, min(50, len(issued)))
    text_failures = []
    if shutil.which("pdftotext"):
        for c in sample:
            text = subprocess.run(["pdftotext", c.pdf.path, "-"], capture_output=True, check=True).stdout.decode()
            if c.legal_name not in text or c.number not in text:
                text_failures.append(c.number)
    sizes = [Path(c.pdf.path).stat().st_size for c in issued if c.pdf]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "database": connection.vendor,
        "machine": f"{platform.machine()} {platform.python_version()}", "count": len(issued),
        "chunk": args.chunk, "setup_seconds": round(setup_seconds, 1),
        "issue_seconds": round(issue_seconds, 2), "pdf_seconds": round(pdf_seconds, 2),
        "total_seconds": round(total_seconds, 2),
        "per_second": round(len(issued) / total_seconds, 1),
        "issue_per_second": round(len(issued) / issue_seconds, 1),
        "pdf_per_second": round(len(issued) / pdf_seconds, 1),
        "batch": {"status": batch.status, "done": batch.done, "total": batch.total},
        "verify_all_seconds": round(verify_seconds, 2), "credentials_not_valid": invalid,
        "pdf_text_checked": len(sample) if shutil.which("pdftotext") else 0, "pdf_text_failures": text_failures,
        "pdf_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
        "target_per_second": 20,
    }
    out = ROOT / "bench" / "results" / f"certificates-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    met = "met" if result["per_second"] >= 20 and not invalid and not text_failures else "MISSED"
    print(f"| {date.today():%Y-%m-%d} | {connection.vendor} | {len(issued):,} | {issue_seconds:.1f} s "
          f"({result['issue_per_second']}/s) | {pdf_seconds:.1f} s ({result['pdf_per_second']}/s) | "
          f"**{result['per_second']}/s** ({met}) | {invalid} not valid; {len(text_failures)} of "
          f"{result['pdf_text_checked']} PDFs without name+number | {result['pdf_bytes_mean'] / 1024:.0f} kB |")
    print(f"written: {out.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=200, help="certificates per office action (one transaction)")
    parser.add_argument("--database-url", default="", help="postgres://…/NAME: created fresh, dropped at the end")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    run_in_throwaway(parser, args, run)


if __name__ == "__main__":
    main()
