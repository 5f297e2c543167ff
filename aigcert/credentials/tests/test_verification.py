"""Verification: sign → verify → tamper → revoke, the status list the platform serves, public lookups (what they
show and how often), the JSON API and the command line."""

import copy
import json
import subprocess
import sys

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from aigcert.core.api import audit_events
from aigcert.credentials import keys, openbadges, rules, services, verification
from aigcert.credentials.models import Certificate, IssuerKey, StatusList

pytestmark = pytest.mark.django_db


def served_list(client, certificate) -> dict:
    response = client.get(certificate.credential["credentialStatus"]["statusListCredential"].split("8000", 1)[-1])
    assert response.status_code == 200 and response["Content-Type"] == "application/vc+ld+json"
    return json.loads(response.content)


def test_sign_verify_tamper_revoke(issued, office, client):
    certificate = issued("张小三")
    document = certificate.credential
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"]["id"].startswith("did:key:z6Mk") and document["issuer"]["name"]
    assert document["credentialSubject"]["achievement"]["name"] == "AIGC技能（通用级）"
    assert document["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert document["validFrom"].startswith(certificate.issued_on.isoformat())
    assert document["proof"]["verificationMethod"].split("#")[0] == document["issuer"]["id"]
    assert verification.verify_document(json.dumps(document, ensure_ascii=False)).outcome == "valid"

    # One changed character anywhere the signature covers: tampered.
    text = json.dumps(document, ensure_ascii=False)
    for before, after in (("张小三", "张小四"), (certificate.number, certificate.number[:-1] + "0"),
                          (document["validFrom"][:4], str(int(document["validFrom"][:4]) + 1))):
        assert before in text
        assert verification.verify_document(text.replace(before, after, 1)).outcome == "tampered", before
    forged = copy.deepcopy(document)
    forged["proof"]["proofValue"] = forged["proof"]["proofValue"][:-2] + "zz"
    assert verification.verify_document(forged).outcome == "tampered"
    assert verification.verify_document(b"{not json").outcome == "not_a_credential"
    assert verification.verify_document({k: v for k, v in document.items() if k != "proof"}).outcome == \
        "not_a_credential"

    # Signed by someone else's key (a well-formed credential, just not ours): not found.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    stranger = Ed25519PrivateKey.generate()
    did = openbadges.did_key_of(stranger.public_key())
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": did}
    foreign = openbadges.proof_add(unsigned, secret_key=stranger, verification_method=openbadges.
                                   verification_method_of(did), created=document["proof"]["created"])
    assert verification.verify_document(foreign).outcome == "not_found"

    index = int(document["credentialStatus"]["statusListIndex"])
    listed = served_list(client, certificate)
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert openbadges.proof_verify(listed, public_key_for=keys.issuer_public_key) == openbadges.VALID
    assert not openbadges.status_list_is_set(listed["credentialSubject"]["encodedList"], index)

    services.certificate_revoke(code=certificate.code, reason="证书信息有误", actor=office)
    listed = served_list(client, certificate)
    assert openbadges.status_list_is_set(listed["credentialSubject"]["encodedList"], index)
    assert openbadges.proof_verify(listed, public_key_for=keys.issuer_public_key) == openbadges.VALID
    # The same file, untouched, now verifies as revoked.
    assert verification.verify_document(document).outcome == "revoked"


def test_status_list_holds_exactly_the_revoked(issued, office):
    certificates = [issued(f"名单{i}") for i in range(5)]
    services.certificate_revoke(code=certificates[1].code, reason="撤销测试一", actor=office)
    services.certificate_reissue(code=certificates[3].code, reason="补发测试", actor=office)
    status_list = StatusList.objects.get()
    encoded = status_list.credential["credentialSubject"]["encodedList"]
    set_bits = {i for i in range(status_list.allocated) if openbadges.status_list_is_set(encoded, i)}
    assert set_bits == {certificates[1].status_index, certificates[3].status_index}
    assert status_list.allocated == 6  # five, and the reissued one's new entry
    assert status_list.length == 131072


def test_a_revoked_credential_from_a_retired_key_still_verifies(issued):
    before = issued("旧钥匙")
    keys.issuer_key_rotate(actor=None)
    after = issued("新钥匙")
    assert before.credential["issuer"]["id"] != after.credential["issuer"]["id"]
    assert IssuerKey.objects.filter(active=True).count() == 1
    assert verification.verify_document(before.credential).outcome == "valid"
    assert verification.verify_document(after.credential).outcome == "valid"


def test_revoking_after_a_key_rotation(issued, office):
    """The list is re-signed by the new key; the old key's credential then verifies as revoked."""
    certificate = issued("旧证撤销")
    keys.issuer_key_rotate(actor=None)
    services.certificate_revoke(code=certificate.code, reason="轮换后撤销", actor=office)
    listed = StatusList.objects.get().credential
    assert listed["proof"]["verificationMethod"].split("#")[0] != certificate.credential["issuer"]["id"]
    assert verification.verify_document(certificate.credential).outcome == "revoked"


def forged_with(key: IssuerKey, document: dict, name: str) -> dict:
    """What a thief holding ``key``'s secret can do: sign a credential for someone who never passed."""
    forged = {k: v for k, v in document.items() if k != "proof"}
    forged["credentialSubject"] = {**forged["credentialSubject"], "name": name}
    return openbadges.proof_add(forged, secret_key=keys.signing_key(key), verification_method=document["proof"][
        "verificationMethod"], created=document["proof"]["created"])


def notified(certificate) -> list[str]:
    Notification = apps.get_model("core", "Notification")
    return list(Notification.objects.filter(user_id=certificate.candidate_id, kind="certificate")
                .values_list("subject", flat=True))


def test_withdrawing_a_leaked_signing_key(issued, office, client, tmp_path, capsys):
    """After a leak nothing the key signed verifies, a thief's forgery included; holders' fresh copies and the
    served list are signed again with a new key, and holders are told to download again."""
    kept, ended = issued("泄露甲"), issued("泄露乙")
    services.certificate_revoke(code=ended.code, reason="撤销测试", actor=office)
    leaked = IssuerKey.objects.get(active=True)
    old_copy, old_ended = copy.deepcopy(kept.credential), copy.deepcopy(ended.credential)
    forged = forged_with(leaked, old_copy, "冒名者")
    assert verification.verify_document(forged).outcome == "valid"  # before the withdrawal it would pass
    told_before = len(notified(kept)), len(notified(ended))

    call_command("issuer_key_withdraw", leaked.did, "--reason", "密钥文件可能泄露")
    assert "2 certificate credentials signed again." in capsys.readouterr().out
    leaked.refresh_from_db()
    fresh_key = IssuerKey.objects.get(active=True)
    assert leaked.withdrawn_at is not None and not leaked.active and fresh_key.pk != leaked.pk
    assert leaked.secret_key_sealed == ""  # nothing can sign with it again
    for document in (old_copy, forged, old_ended):
        verdict = verification.verify_document(document)
        assert (verdict.outcome, verdict.certificate) == ("key_withdrawn", None)
    kept.refresh_from_db()
    ended.refresh_from_db()
    assert keys.did_of(kept.credential["proof"]["verificationMethod"]) == fresh_key.did
    assert kept.credential["id"] == old_copy["id"] and kept.credential["issuer"]["id"] == fresh_key.did
    assert verification.verify_document(kept.credential).outcome == "valid"
    assert verification.verify_document(ended.credential).outcome == "revoked"
    # The holder of the certificate that holds is told to download again; the revoked one's holder is not.
    assert (len(notified(kept)), len(notified(ended))) == (told_before[0] + 1, told_before[1])
    assert {"Download your credential again", "请重新下载电子凭证"} & set(notified(kept))
    listed = served_list(client, ended)
    assert keys.did_of(listed["proof"]["verificationMethod"]) == fresh_key.did
    assert openbadges.status_list_is_set(listed["credentialSubject"]["encodedList"], ended.status_index)
    profile = client.get(reverse("credentials:issuer")).json()
    assert [k["id"] for k in profile["keys"]] == [fresh_key.did]
    assert [(k["id"], bool(k["withdrawn"])) for k in profile["withdrawnKeys"]] == [(leaked.did, True)]
    (tmp_path / "old.json").write_text(json.dumps(old_copy, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_credential", str(tmp_path / "old.json"))
    assert exit_info.value.code == 6 and capsys.readouterr().out.startswith("KEY_WITHDRAWN: ")
    [withdrawal] = audit_events(action="credentials.issuer_key_withdrawn")
    assert withdrawal.data == {"did": leaked.did, "reason": "密钥文件可能泄露"}
    assert audit_events(action="credentials.resigned")[0].data == {"did": leaked.did, "certificates": 2,
                                                                   "failed": []}
    api = client.post(reverse("credentials:api_verify"), json.dumps(forged), content_type="application/json")
    assert api.json() == {"outcome": "key_withdrawn", "valid": False}

    # The public page shows the verdict and nothing of the certificate the file copies.
    from django.core.files.uploadedfile import SimpleUploadedFile
    page = client.post(reverse("credentials:verify_file"), {"credential": SimpleUploadedFile(
        "c.json", json.dumps(forged, ensure_ascii=False).encode())}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-outcome="key_withdrawn"' in page and "签名密钥已被发证机构撤回" in page
    assert kept.number not in page and 'id="verdict-number"' not in page


def test_a_cut_off_withdrawal_is_finished_by_running_it_again(issued, capsys):
    certificate = issued("中断")
    leaked = IssuerKey.objects.get(active=True)
    keys.issuer_key_withdraw(did=leaked.did, reason="密钥可能泄露", actor=None)  # the run stops before re-signing
    certificate.refresh_from_db()
    assert verification.verify_document(certificate.credential).outcome == "key_withdrawn"
    fresh_key = IssuerKey.objects.get(active=True)

    # Without a DID the command refuses (by habit one would withdraw the new, healthy key).
    with pytest.raises(CommandError, match="did"):
        call_command("issuer_key_withdraw", "--reason", "再次执行")
    call_command("issuer_key_withdraw", certificate.credential["proof"]["verificationMethod"], "--reason", "再次执行")
    assert "1 certificate credentials signed again." in capsys.readouterr().out
    certificate.refresh_from_db()
    assert verification.verify_document(certificate.credential).outcome == "valid"
    assert IssuerKey.objects.get(active=True).pk == fresh_key.pk
    assert len(audit_events(action="credentials.issuer_key_withdrawn")) == 1
    call_command("issuer_key_withdraw", leaked.did, "--reason", "第三次执行")  # nothing left: nothing done
    assert audit_events(action="credentials.resigned")[0].data["certificates"] == 0


def test_a_status_list_signed_by_a_withdrawn_key_is_not_believed(issued):
    """A list the withdrawn key signed (a thief's, say, saying a good certificate is revoked) is ignored until it
    is signed again: the record decides meanwhile."""
    first = issued("名单旧钥")
    old_key = IssuerKey.objects.get(active=True)
    keys.issuer_key_rotate(actor=None)
    later = issued("名单新钥")  # signed by the new key; its entry sits in the list the old key signed
    status_list = StatusList.objects.get()
    assert keys.did_of(status_list.credential["proof"]["verificationMethod"]) == old_key.did
    document = {k: v for k, v in status_list.credential.items() if k != "proof"}
    encoded = openbadges.status_list_encode([later.status_index], status_list.length)
    document["credentialSubject"] = {**document["credentialSubject"], "encodedList": encoded}
    StatusList.objects.filter(pk=status_list.pk).update(credential=openbadges.proof_add(
        document, secret_key=keys.signing_key(old_key), verification_method=status_list.credential["proof"][
            "verificationMethod"], created=status_list.credential["proof"]["created"]))
    assert verification.verify_document(later.credential).outcome == "revoked"  # believed while the key is trusted
    keys.issuer_key_withdraw(did=old_key.did, reason="旧钥匙泄露", actor=None)
    assert verification.verify_document(later.credential).outcome == "valid"
    assert first.state == "issued"


def test_withdrawing_a_retired_key_keeps_the_signing_key(issued):
    old = issued("旧钥")
    retired = IssuerKey.objects.get(active=True)
    keys.issuer_key_rotate(actor=None)
    signing = IssuerKey.objects.get(active=True)
    new = issued("新钥")
    key, result = services.issuer_key_withdraw(did=retired.did, reason="旧钥匙丢失", actor=None)
    assert (key.pk, result.certificates, result.failed) == (retired.pk, 1, ())
    assert IssuerKey.objects.get(active=True).pk == signing.pk
    old.refresh_from_db()
    assert keys.did_of(old.credential["proof"]["verificationMethod"]) == signing.did
    assert verification.verify_document(old.credential).outcome == "valid"
    assert verification.verify_document(new.credential).outcome == "valid"


def test_one_certificate_that_cannot_be_signed_again_does_not_stop_the_rest(issued, monkeypatch):
    broken, fine = issued("坏证"), issued("好证")
    leaked = IssuerKey.objects.get(active=True)
    real = services._sign

    def sign(certificate, facts=None):
        if certificate.pk == broken.pk:
            raise ValueError("a program the catalog no longer has")
        return real(certificate, facts)

    monkeypatch.setattr(services, "_sign", sign)
    with pytest.raises(CommandError, match=broken.number):
        call_command("issuer_key_withdraw", leaked.did, "--reason", "密钥泄露")
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert verification.verify_document(fine.credential).outcome == "valid"
    assert verification.verify_document(broken.credential).outcome == "key_withdrawn"
    monkeypatch.setattr(services, "_sign", real)
    call_command("issuer_key_withdraw", leaked.did, "--reason", "密钥泄露")  # the cause fixed: run it again
    broken.refresh_from_db()
    assert verification.verify_document(broken.credential).outcome == "valid"


def test_a_withdrawal_needs_a_reason_and_a_known_key(issued):
    issued()
    active = IssuerKey.objects.get(active=True)
    with pytest.raises(CommandError, match="reason"):
        call_command("issuer_key_withdraw", active.did, "--reason", "no")
    with pytest.raises(CommandError, match="no issuer key"):
        call_command("issuer_key_withdraw", "did:key:z6MkNotOurs", "--reason", "密钥泄露")
    assert not IssuerKey.objects.filter(withdrawn_at__isnull=False).exists()
    assert IssuerKey.objects.count() == 1


def test_a_site_that_moved_host_still_verifies_its_files(issued, settings):
    certificate = issued("搬家")
    settings.SITE_URL = "https://cert.example.cn"
    assert verification.verify_document(certificate.credential).outcome == "valid"


def test_ipv6_clients_are_limited_per_64(issued, client):
    certificate = issued()
    url = reverse("credentials:verify_code", args=[certificate.verification_code])
    for n in range(10):
        assert client.get(url, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}").status_code == 200
    assert client.get(url, REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert client.get(url, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_lookup_by_number_and_name(issued):
    certificate = issued("欧阳小明")
    verdict = verification.verify_number(certificate.number, "欧阳小明")
    assert verdict.outcome == "valid"
    assert verdict.certificate.name == "欧**明"  # masked unless the holder chooses otherwise
    assert verification.verify_number(certificate.number.lower(), " 欧阳 小明").outcome == "valid"
    # A wrong name and an unknown number look the same.
    assert verification.verify_number(certificate.number, "欧阳大明") == verification.Verdict("not_found")
    other = rules.certificate_number("GA", certificate.issued_on.year, 999_999, 6)
    assert verification.verify_number(other, "欧阳小明") == verification.Verdict("not_found")
    assert verification.verify_number(certificate.number, "").outcome == "not_found"


def test_lookup_by_code_and_holder_choices(issued):
    certificate = issued("王五", program="aigc-professional", score=80)
    verdict = verification.verify_code(certificate.verification_code.lower())
    assert verdict.outcome == "valid" and verdict.certificate.name == "王*"
    assert verdict.certificate.score_band == ""  # not shown unless the holder agrees
    services.certificate_public_settings_set(code=certificate.code, holder=certificate.candidate,
                                             public_name="full", public_score_band=True)
    verdict = verification.verify_code(certificate.verification_code)
    assert verdict.certificate.name == "王五" and verdict.certificate.score_band == "Good"  # in the reader's language
    assert verification.verify_code("ZZZZZZZZZZZZ").outcome == "not_found"
    assert verification.verify_code("0OIL").outcome == "not_found"


def test_pending_certificates_are_not_found(passed):
    """Even a pending row that somehow carried a number and a code (a half-finished issue) never verifies."""
    _holder, code = passed("待发证")
    pending = Certificate.objects.get(enrolment_code=code)
    number = rules.certificate_number("GA", 2026, 77, 6)
    Certificate.objects.filter(pk=pending.pk).update(number=number, verification_code="ABCDEFGHJKMN")
    assert verification.verify_number(number, "待发证").outcome == "not_found"
    assert verification.verify_code("ABCDEFGHJKMN").outcome == "not_found"


def test_public_page_by_number_by_link_and_revoked(issued, office, client):
    certificate = issued("赵六")
    page = client.post(reverse("credentials:verify"), {"number": certificate.number, "name": "赵六"})
    assert page.status_code == 200
    body = page.content.decode()
    verdict = body.split('id="verdict"')[1].split("</section>")[0]
    # The answer shows the masked name (the form above it keeps what the visitor typed).
    assert 'data-outcome="valid"' in verdict and "赵*" in verdict and "赵六" not in verdict
    link = client.get(reverse("credentials:verify_code", args=[certificate.verification_code]))
    assert 'data-outcome="valid"' in link.content.decode()
    services.certificate_revoke(code=certificate.code, reason="撤销测试", actor=office)
    link = client.get(reverse("credentials:verify_code", args=[certificate.verification_code]))
    assert 'data-outcome="revoked"' in link.content.decode()
    # The reason stays with the office.
    assert "撤销测试" not in link.content.decode()


def test_upload_a_credential_file(issued, client):
    certificate = issued()
    text = json.dumps(certificate.credential, ensure_ascii=False).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile
    ok = client.post(reverse("credentials:verify_file"), {"credential": SimpleUploadedFile("c.json", text)})
    assert 'data-outcome="valid"' in ok.content.decode()
    bad = client.post(reverse("credentials:verify_file"), {
        "credential": SimpleUploadedFile("c.json", text.replace("张小三".encode(), "张小四".encode()))})
    assert 'data-outcome="tampered"' in bad.content.decode()


def test_lookups_are_rate_limited(issued, client, settings):
    certificate = issued()
    for _ in range(10):
        assert client.post(reverse("credentials:verify"), {"number": "GA20260000011", "name": "某人"}).status_code \
            == 200
    blocked = client.post(reverse("credentials:verify"), {"number": certificate.number, "name": "张小三"})
    assert blocked.status_code == 429 and 'data-outcome' not in blocked.content.decode()
    assert client.get(reverse("credentials:verify_code", args=[certificate.verification_code])).status_code == 429
    assert client.get(reverse("credentials:api_verify"), {"code": certificate.verification_code}).status_code == 429
    # Another address has its own allowance.
    other = client.post(reverse("credentials:verify"), {"number": certificate.number, "name": "张小三"},
                        REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_json_api(issued, client):
    certificate = issued("钱七")
    by_code = client.get(reverse("credentials:api_verify"), {"code": certificate.verification_code}).json()
    assert by_code["outcome"] == "valid" and by_code["certificate"]["number"] == certificate.number
    assert by_code["certificate"]["name"] == "钱*"
    by_number = client.post(reverse("credentials:api_verify"), {"number": certificate.number, "name": "钱七"},
                            content_type="application/json").json()
    assert by_number["valid"] is True
    by_file = client.post(reverse("credentials:api_verify"), certificate.credential,
                          content_type="application/json").json()
    assert by_file["outcome"] == "valid"
    tampered = copy.deepcopy(certificate.credential)
    tampered["credentialSubject"]["achievement"]["name"] = "AIGC技能（专家级）"
    assert client.post(reverse("credentials:api_verify"), tampered,
                       content_type="application/json").json()["outcome"] == "tampered"
    assert client.post(reverse("credentials:api_verify"), "[1]", content_type="application/json").status_code == 400
    assert client.post(reverse("credentials:api_verify"), "nope", content_type="application/json").status_code == 400


def test_issuer_profile_lists_every_key(issued, client):
    issued()
    keys.issuer_key_rotate(actor=None)
    profile = client.get(reverse("credentials:issuer")).json()
    assert [k["active"] for k in profile["keys"]] == [False, True]
    assert all(k["id"].startswith("did:key:z6Mk") for k in profile["keys"])


def test_verify_credential_command(issued, office, tmp_path, capsys):
    certificate = issued("孙八")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(certificate.credential, ensure_ascii=False), encoding="utf-8")
    call_command("verify_credential", str(good))
    assert capsys.readouterr().out.startswith("VALID: ")
    bad = tmp_path / "bad.json"
    bad.write_text(good.read_text(encoding="utf-8").replace("孙八", "孙九"), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_credential", str(bad))
    assert exit_info.value.code == 4 and capsys.readouterr().out.startswith("TAMPERED: ")
    services.certificate_revoke(code=certificate.code, reason="撤销测试", actor=office)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_credential", str(good))
    assert exit_info.value.code == 2 and capsys.readouterr().out.startswith("REVOKED: ")
    with pytest.raises(CommandError, match="Cannot read"):  # the console command exits 1
        call_command("verify_credential", str(tmp_path / "missing.json"))


def test_the_console_command_exits_non_zero_unless_valid(tmp_path):
    """The installed `aigcert` command, as an operator runs it (a file that isn't a credential: exit 5)."""
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": "world"}', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "aigcert", "verify_credential", str(junk)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 5, result.stderr
    assert result.stdout.startswith("NOT_A_CREDENTIAL: ")
