"""The certificate PDF: rendered by poppler (pdftoppm) like a printer would, its text layer read back (pdftotext),
the QR code pointing at the verification page; a session's batch with its progress; the office's print file."""

import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from pypdf import PdfReader

from aigcert.credentials import printing, services
from aigcert.credentials.models import Certificate, PdfBatch

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm, pdftotext) not installed"),
]


def rasterize(pdf: bytes, tmp_path) -> bytes:
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "page")],
                   check=True, timeout=60)
    return (tmp_path / "page.png").read_bytes()


def text_of(pdf: bytes, tmp_path) -> str:
    (tmp_path / "t.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(tmp_path / "t.pdf"), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_certificate_pdf_renders_with_chinese_text(issued, tmp_path):
    certificate = issued("欧阳娜娜")
    pdf = printing.certificate_pdf_bytes(certificate)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape in points
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert any("/FontFile2" in str(f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                                   .get_object()) for f in fonts.values())  # the font is embedded
    width, height = png_size(rasterize(pdf, tmp_path))
    assert width > height  # landscape after rendering
    text = text_of(pdf, tmp_path)
    assert "欧阳娜娜" in text
    assert certificate.number in text
    assert "岗位能力适应评测证书" in text
    assert "工业和信息化部工业文化发展中心" in text
    assert certificate.verification_code in text
    # Made once, then served from storage.
    certificate.refresh_from_db()
    assert certificate.pdf.name.endswith(f"/{certificate.number}.pdf")
    assert printing.certificate_pdf_bytes(certificate) == pdf


def test_the_qr_code_opens_the_verification_page(issued):
    """The QR code is drawn as filled rectangles (one per run of dark modules): read them back from the page's
    drawing operators into a module grid, and it must be exactly the QR code of the verification link."""
    import re

    import segno

    from aigcert.credentials import pdf as certificate_pdf

    certificate = issued()
    url = certificate_pdf.verify_url(certificate)
    assert url.endswith(reverse("credentials:verify_code", args=[certificate.verification_code]))
    expected = [list(row) for row in segno.make(url, error="m").matrix_iter(scale=1, border=0)]
    size = len(expected)
    content = PdfReader(io.BytesIO(printing.certificate_pdf_bytes(certificate))).pages[0].get_contents().get_data()
    module = 34 / size * 72 / 25.4  # the QR code is 34 mm wide; PDF units are points
    left, top = 25 * 72 / 25.4, (210 - 128) * 72 / 25.4
    grid = [[False] * size for _ in range(size)]
    for x, y, w, h in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) (-[\d.]+) re f", content):
        x, y, w = float(x), float(y), float(w)
        if abs(float(h) + module) > 0.02 or not (left - 0.1 <= x < left + 34 * 72 / 25.4):
            continue  # not a QR module row (the frame, the seal)
        row, col = round((top - y) / module), round((x - left) / module)
        for offset in range(round(w / module)):
            grid[row][col + offset] = True
    assert grid == [[bool(v) for v in row] for row in expected]


def test_batch_for_a_session_with_progress(issued, office, client, django_capture_on_commit_callbacks):
    made = [issued(f"批次{i}") for i in range(3)]
    Certificate.objects.filter(pk__in=[c.pk for c in made]).update(session_code="S-2026-11-AM")
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("credentials:office_act"), {"action": "batch", "session": "S-2026-11-AM"})
    assert response.status_code == 302
    batch = PdfBatch.objects.get()
    assert (batch.status, batch.done, batch.total) == ("done", 3, 3)  # tasks run inline in tests
    assert all(c.pdf for c in Certificate.objects.filter(pk__in=[c.pk for c in made]))
    progress = client.get(reverse("credentials:office_batch", args=[batch.code]), HTTP_ACCEPT="application/json")
    assert progress.json() == {"status": "done", "done": 3, "total": 3}
    # A batch PDF (font subset) reads the same as a single one.
    text = subprocess.run(["pdftotext", "-", "-"], input=made[0].__class__.objects.get(pk=made[0].pk).pdf.read(),
                          capture_output=True, check=True).stdout.decode()
    for expected in ("批次0", made[0].number, "兹证明", "特发此证", "证书编号", "盖章处", "扫码验证"):
        assert expected in text  # the subset holds the template's words, not only the holders' names
    refused = client.post(reverse("credentials:office_act"), {"action": "batch", "session": "nothing-here"},
                          follow=True)
    assert PdfBatch.objects.count() == 1
    assert "nothing-here" in refused.content.decode()  # the message names the session


def test_a_subset_missing_a_character_falls_back_to_the_full_font(issued, tmp_path):
    from aigcert.core.api import cjk_font_subset
    from aigcert.credentials import pdf as certificate_pdf

    text = certificate_pdf.certificate_text(issued("罕见姓"))
    narrow = cjk_font_subset("证书", tmp_path / "narrow.ttf")  # lacks nearly everything
    content = certificate_pdf.certificate_pdf(text, font_file=narrow)
    extracted = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
    assert "罕见姓" in extracted.decode() and "兹证明" in extracted.decode()


def test_print_file_holds_every_chosen_certificate(issued, office, client):
    first, second = issued("打印甲"), issued("打印乙")
    client.force_login(office)
    response = client.post(reverse("credentials:office_act"), {
        "action": "print_file", "certificate": [str(first.code), str(second.code)]})
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    assert "打印甲" in reader.pages[0].extract_text() and "打印乙" in reader.pages[1].extract_text()
    # Downloading the print file changes nothing; marking printed is its own step.
    assert set(Certificate.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {"issued"}
    services.certificates_mark_printed(codes=[first.code, second.code], actor=office)
