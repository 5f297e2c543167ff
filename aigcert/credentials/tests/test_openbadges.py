"""openbadges.py: signing must reproduce 1EdTech's published eddsa-rdfc-2022 test vector byte for byte, any change
to a signed credential must be caught, nothing may be silently dropped, and status lists must round-trip.

Plain functions: the module is pure, so these tests need no database and no network (a fixture forbids it).
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import socket
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld

from aigcert.credentials import openbadges as ob

VECTORS = Path(__file__).resolve().parent / "vectors"


def vector(name: str):
    text = (VECTORS / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openbadges must never use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- the 1EdTech test vector -----------------------------------------------------------------------------------------


def vector_key() -> Ed25519PrivateKey:
    return ob.secret_key_from_multibase(vector("key.json")["secretKeyMultibase"])


def vector_public_key_for(verification_method: str) -> Ed25519PublicKey | None:
    # The vector's key is a Multikey under https://example.edu/issuers/565049; its fragment is the multibase key,
    # which is exactly what a did:key names.
    if verification_method != vector("key.json")["id"]:
        return None
    return ob.public_key_from_did_key("did:key:" + verification_method.split("#", 1)[1])


def test_vector_document_canonical_form():
    assert ob.canonicalize(vector("credential.json")) == vector("document-canon.txt")


def test_vector_proof_configuration_canonical_form():
    proof_config = {"@context": vector("credential.json")["@context"], **vector("proof-options.json")}
    assert ob.canonicalize(proof_config) == vector("proof-canon.txt")


def test_vector_hashes():
    hashes = vector("hashes.json")
    credential = vector("credential.json")
    proof_config = {"@context": credential["@context"], **vector("proof-options.json")}
    document_hash = hashlib.sha256(ob.canonicalize(credential).encode()).hexdigest()
    proof_hash = hashlib.sha256(ob.canonicalize(proof_config).encode()).hexdigest()
    assert document_hash == hashes["documentHash"]
    assert proof_hash == hashes["proofHash"]
    assert proof_hash + document_hash == hashes["dataToSign"]


def test_vector_signature_and_signed_credential():
    hashes = vector("hashes.json")
    options = vector("proof-options.json")
    secret_key = vector_key()
    assert secret_key.sign(bytes.fromhex(hashes["dataToSign"])).hex() == hashes["signature"]

    signed = ob.proof_add(vector("credential.json"), secret_key=secret_key,
                          verification_method=options["verificationMethod"], created=options["created"])
    expected = vector("signed-credential.json")
    assert signed["proof"]["proofValue"] == hashes["proofValue"]
    assert signed == expected
    assert list(signed["proof"]) == list(expected["proof"])  # same field order as the vector
    assert list(signed) == list(expected)


def test_vector_signed_credential_verifies():
    assert ob.proof_verify(vector("signed-credential.json"), public_key_for=vector_public_key_for) == ob.VALID


def test_vector_proof_value_is_the_signature_in_base58btc():
    hashes = vector("hashes.json")
    assert ob.base58btc_decode(hashes["proofValue"][1:]).hex() == hashes["signature"]
    assert "z" + ob.base58btc_encode(bytes.fromhex(hashes["signature"])) == hashes["proofValue"]


def test_vector_did_key_and_multikey():
    key = vector("key.json")
    public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["publicKeyHex"]))
    did = ob.did_key_of(public_key)
    assert did == "did:key:" + key["publicKeyMultibase"]
    assert did == "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    assert ob.public_key_multibase(public_key) == key["publicKeyMultibase"]
    # The vector's verification method is named by the same multibase key as the did:key's.
    assert ob.verification_method_of(did).split("#", 1)[1] == key["id"].split("#", 1)[1]
    assert raw(ob.public_key_from_did_key(ob.verification_method_of(did))) == raw(public_key)
    assert raw(vector_key().public_key()) == raw(public_key)


def test_vector_secret_key_multibase():
    key = vector("key.json")
    secret_key = vector_key()
    # The vector's secretKeyMultibase is 0x1300 (varint 80 26), then seed and public key: 64 bytes.
    assert ob.base58btc_decode(key["secretKeyMultibase"][1:]).hex() == "8026" + key["secretKeyHex"]
    assert ob.secret_key_multibase(secret_key, include_public_key=True) == key["secretKeyMultibase"]
    seed_only = ob.secret_key_multibase(secret_key)
    assert seed_only.startswith("z3u2")
    assert ob.base58btc_decode(seed_only[1:]).hex() == "8026" + key["secretKeyHex"][:64]
    assert raw(ob.secret_key_from_multibase(seed_only).public_key()) == bytes.fromhex(key["publicKeyHex"])


# --- our own credential ----------------------------------------------------------------------------------------------

# RFC 8032 test 1 seed: a fixed key keeps signatures (and so these tests) deterministic.
OUR_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
LIST_URL = "https://cert.example.cn/credentials/status/1"
CREATED = "2025-06-30T08:00:00Z"


def our_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(OUR_SEED)


def our_did() -> str:
    return ob.did_key_of(our_key().public_key())


def our_public_key_for(verification_method: str) -> Ed25519PublicKey | None:
    # What the application does: trust only its own DIDs, never any did:key it is shown.
    if verification_method != ob.verification_method_of(our_did()):
        return None
    return ob.public_key_from_did_key(verification_method)


def chinese_credential(**changes) -> dict:
    arguments = {
        "credential_id": "urn:uuid:7f1c2d7e-3b1a-4c55-9a53-2f8f0e6d1a01",
        "issuer": {"id": our_did(), "name": "人工智能生成内容技能评价中心", "url": "https://cert.example.cn/issuer"},
        "valid_from": "2025-06-30T00:00:00Z",
        "subject_id": None,
        "subject_name": "张三",
        "achievement": {
            "id": "https://cert.example.cn/programs/AIGC-G1#achievement",
            "name": "AIGC技能（通用级）",
            "description": "能够在工作中安全、有效地使用生成式人工智能工具。",
            "criteria": {"narrative": "参加AIGC技能（通用级）培训并通过评测。评测满分100分，60分及以上为合格。"},
            "humanCode": "AIGC-2025-000123",
        },
        "status_entry": {
            "id": f"{LIST_URL}#42",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "42",
            "statusListCredential": LIST_URL,
        },
    }
    arguments.update(changes)
    return ob.open_badge_credential(**arguments)


def sign(document: dict) -> dict:
    return ob.proof_add(document, secret_key=our_key(), verification_method=ob.verification_method_of(our_did()),
                        created=CREATED)


def test_open_badge_credential_shape():
    credential = chinese_credential()
    assert credential["@context"] == [ob.VC_V2_CONTEXT, ob.OB_V3P0_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["name"] == "AIGC技能（通用级）"
    subject = credential["credentialSubject"]
    assert "id" not in subject
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityHash": "张三", "identityType": "name", "hashed": False}]
    assert subject["achievement"]["type"] == ["Achievement"]
    assert subject["achievement"]["achievementType"] == "Certificate"
    assert subject["achievement"]["humanCode"] == "AIGC-2025-000123"
    assert credential["credentialStatus"]["statusListIndex"] == "42"


def test_every_term_of_our_credential_reaches_the_canonical_form():
    # Strict canonicalization succeeds, so no term was dropped; and the Chinese text is what gets signed.
    canonical = ob.canonicalize(chinese_credential(subject_id="did:example:zhangsan"))
    vocab = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
    assert f'<{vocab}identityHash> "张三" .' in canonical
    assert f'<{vocab}identityType> "name" .' in canonical
    # Context 3.0.3 types "hashed" (and "url") with an https:// XML Schema IRI; the vector's url shows the same.
    assert f'<{vocab}hashed> "false"^^<https://www.w3.org/2001/XMLSchema#boolean> .' in canonical
    assert '<https://schema.org/name> "AIGC技能（通用级）" .' in canonical
    assert f'<{vocab}humanCode> "AIGC-2025-000123" .' in canonical
    assert '<https://www.w3.org/ns/credentials/status#statusListIndex> "42" .' in canonical
    assert "<did:example:zhangsan>" in canonical


def test_builder_copies_its_inputs():
    achievement = {"id": "https://cert.example.cn/a", "name": "名称", "description": "描述",
                   "criteria": {"narrative": "标准"}}
    credential = chinese_credential(achievement=achievement)
    credential["credentialSubject"]["achievement"]["criteria"]["narrative"] = "改了"
    assert achievement["criteria"]["narrative"] == "标准"


@pytest.mark.parametrize("changes", [
    {"valid_from": "2025-06-30"},
    {"credential_id": "not-an-iri"},
    {"subject_name": " "},
    {"issuer": {"id": "relative", "name": "x"}},
    {"achievement": {"id": "https://cert.example.cn/a", "name": "名称", "description": "描述"}},
])
def test_builder_rejects_incomplete_input(changes):
    with pytest.raises(ValueError):
        chinese_credential(**changes)


def test_sign_then_verify_chinese_credential():
    signed = sign(chinese_credential())
    assert signed["proof"]["verificationMethod"] == ob.verification_method_of(our_did())
    assert ob.proof_verify(signed, public_key_for=our_public_key_for) == ob.VALID
    # Stored and read back as JSON text (database, download) it still verifies.
    for text in (json.dumps(signed, ensure_ascii=False), json.dumps(signed)):
        assert ob.proof_verify(json.loads(text), public_key_for=our_public_key_for) == ob.VALID


def test_proof_add_does_not_change_its_input():
    credential = chinese_credential()
    before = copy.deepcopy(credential)
    sign(credential)
    assert credential == before
    with pytest.raises(ValueError):
        sign(sign(credential))
    with pytest.raises(ValueError):
        ob.proof_add(credential, secret_key=our_key(), verification_method="did:key:x", created="yesterday")


def _changed(document, path, new):
    changed = copy.deepcopy(document)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return changed


@pytest.mark.parametrize(("path", "old", "new"), [
    (("credentialSubject", "identifier", 0, "identityHash"), "张三", "张四"),
    (("validFrom",), "2025-06-30T00:00:00Z", "2025-06-30T00:00:01Z"),
    (("credentialSubject", "achievement", "description"), "能够在工作中安全、有效地使用生成式人工智能工具。",
     "能够在工作中安全、有效地使用生成式人工智能工具！"),
    (("credentialSubject", "achievement", "name"), "AIGC技能（通用级）", "AIGC技能（高级）"),
    (("issuer", "name"), "人工智能生成内容技能评价中心", "人工智能生成内容技能评价中必"),
    (("credentialStatus", "statusListIndex"), "42", "43"),
    (("proof", "created"), CREATED, "2025-06-30T08:00:01Z"),
])
def test_one_character_changed_is_tampered(path, old, new):
    signed = sign(chinese_credential())
    node = signed
    for step in path:
        node = node[step]
    assert node == old
    assert ob.proof_verify(_changed(signed, path, new), public_key_for=our_public_key_for) == ob.TAMPERED


def test_changed_proof_value_is_tampered():
    signed = sign(chinese_credential())
    value = signed["proof"]["proofValue"]
    # Change one base58 digit in the middle: still 64 bytes, so it is a wrong signature, not an unreadable one.
    middle = len(value) // 2
    digit = "2" if value[middle] != "2" else "3"
    forged = value[:middle] + digit + value[middle + 1:]
    assert len(ob.base58btc_decode(forged[1:])) == 64
    assert ob.proof_verify(_changed(signed, ("proof", "proofValue"), forged), public_key_for=our_public_key_for) == (
        ob.TAMPERED)


def _strings(node, path=()):
    # Every string, number and boolean of the document and every key, with its path.
    if isinstance(node, dict):
        for key, value in node.items():
            yield ("key", (*path, key), key)
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, (*path, i))
    else:
        yield ("value", path, node)


def _with_key_renamed(document, path, new_key):
    changed = copy.deepcopy(document)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[new_key] = node.pop(path[-1])
    return changed


def _one_character_off(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return value[:-1] + chr(ord(value[-1]) + 1)


def test_any_single_character_change_anywhere_is_caught():
    signed = sign(chinese_credential())
    checked = 0
    for kind, path, value in _strings(signed):
        if kind == "key":
            changed = _with_key_renamed(signed, path, _one_character_off(value))
        else:
            changed = _changed(signed, path, _one_character_off(value))
        verdict = ob.proof_verify(changed, public_key_for=our_public_key_for)
        assert verdict != ob.VALID, (kind, path)
        checked += 1
    assert checked > 50


def test_odd_json_anywhere_gets_a_verdict_not_an_exception():
    # A verifier is shown arbitrary files: whatever JSON replaces a value, the answer is a verdict (never VALID).
    signed = sign(chinese_credential())
    odd_values = ({}, [], 0, True, "", "@id", {"@id": 5}, {"@context": ""}, {"@value": "x", "@language": 5})
    for kind, path, _value in _strings(signed):
        if kind != "key":
            continue
        for odd in odd_values:
            assert ob.proof_verify(_changed(signed, path, odd), public_key_for=our_public_key_for) != ob.VALID
    nested: list = []
    deepest = nested
    for _ in range(5000):
        deepest.append([])
        deepest = deepest[0]
    assert ob.proof_verify({**signed, "name": nested}, public_key_for=our_public_key_for) == ob.TAMPERED


def test_an_added_undefined_property_is_tampered_not_ignored():
    signed = sign(chinese_credential())
    added = {**signed, "备注": "已撤销"}
    added_deep = _changed(signed, ("credentialSubject", "achievement", "level"), "高级")
    # Plain JSON-LD drops both properties: without strict canonicalization these would still verify.
    for forged in (added, added_deep):
        plain = jsonld.normalize({k: v for k, v in forged.items() if k != "proof"},
                                 {"algorithm": "URDNA2015", "format": "application/n-quads",
                                  "documentLoader": ob.document_loader})
        assert plain == ob.canonicalize(chinese_credential())
        assert ob.proof_verify(forged, public_key_for=our_public_key_for) == ob.TAMPERED


def test_removing_or_breaking_the_proof_is_malformed():
    signed = sign(chinese_credential())
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    assert ob.proof_verify(unsigned, public_key_for=our_public_key_for) == ob.MALFORMED
    proof = signed["proof"]
    for broken in (
        {**proof, "type": "Ed25519Signature2020"},
        {**proof, "cryptosuite": "ecdsa-rdfc-2019"},
        {**proof, "proofPurpose": "authentication"},
        {**proof, "proofValue": "u" + proof["proofValue"][1:]},
        {**proof, "proofValue": proof["proofValue"] + "0"},  # '0' is not base58
        {**proof, "proofValue": "z" + ob.base58btc_encode(b"short")},
        {k: v for k, v in proof.items() if k != "verificationMethod"},
    ):
        assert ob.proof_verify({**signed, "proof": broken}, public_key_for=our_public_key_for) == ob.MALFORMED
    assert ob.proof_verify({**signed, "proof": [proof]}, public_key_for=our_public_key_for) == ob.MALFORMED
    for not_an_object in ([signed], "signed", None, 42):
        assert ob.proof_verify(not_an_object, public_key_for=our_public_key_for) == ob.MALFORMED


def test_other_keys():
    signed = sign(chinese_credential())
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    # The right method name but another key (say a key mix-up): the signature does not match.
    assert ob.proof_verify(signed, public_key_for=lambda vm: stranger.public_key()) == ob.TAMPERED
    # A method nobody vouches for.
    assert ob.proof_verify(signed, public_key_for=lambda vm: None) == ob.UNKNOWN_KEY
    # Someone re-signs our credential with their own did:key: valid for "any did:key", unknown to us.
    their_did = ob.did_key_of(stranger.public_key())
    resigned = ob.proof_add({k: v for k, v in signed.items() if k != "proof"}, secret_key=stranger,
                            verification_method=ob.verification_method_of(their_did), created=CREATED)
    assert ob.proof_verify(resigned, public_key_for=ob.public_key_from_did_key) == ob.VALID
    assert ob.proof_verify(resigned, public_key_for=our_public_key_for) == ob.UNKNOWN_KEY
    # Pointing our signature at their key does not make it theirs.
    moved = _changed(signed, ("proof", "verificationMethod"), ob.verification_method_of(their_did))
    assert ob.proof_verify(moved, public_key_for=ob.public_key_from_did_key) == ob.TAMPERED


# --- strict canonicalization and the offline loader ------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    lambda d: {**d, "foo": "bar"},  # undefined top-level property
    lambda d: _changed(d, ("credentialSubject", "achievement", "等级"), "高级"),  # undefined nested property
    lambda d: {**d, "type": ["VerifiableCredential", "OpenBadgeCredentail"]},  # undefined type
    lambda d: {**d, "id": "credentials/3527"},  # relative IRI
    lambda d: _changed(d, ("credentialStatus", "statusListCredential"), "status/1"),  # relative @id value
    lambda d: {**d, "name": None},  # null
])
def test_what_json_ld_would_drop_is_an_error(change):
    document = change(chinese_credential())
    with pytest.raises(ob.UndefinedTerm):
        ob.canonicalize(document)
    with pytest.raises(ob.CanonicalizationError):
        sign(document)


def test_inline_contexts_are_refused():
    credential = chinese_credential()
    remapped = {**credential, "@context": [*credential["@context"], {"nickname": "https://schema.org/name"}]}
    with pytest.raises(ob.CanonicalizationError, match="inline"):
        ob.canonicalize(remapped)
    nested = _changed(credential, ("credentialSubject", "@context"), {"nickname": "https://schema.org/name"})
    with pytest.raises(ob.CanonicalizationError, match="inline"):
        ob.canonicalize(nested)


def test_a_later_context_cannot_remap_protected_terms(tmp_path):
    # Both bundled contexts protect their terms: a further context that redefines "name" is an error, not a
    # quiet change of what the signed "name" means.
    evil = tmp_path / "evil.jsonld"
    evil.write_text(json.dumps({"@context": {"name": "https://example.com/not-a-name"}}), encoding="utf-8")
    loader = ob.OfflineDocumentLoader({**ob.BUNDLED_CONTEXTS, "https://example.com/evil": evil})
    with pytest.raises(ob.CanonicalizationError, match="protected term redefinition"):
        ob.canonicalize(chinese_credential(extra_contexts=["https://example.com/evil"]), loader=loader)


def test_loader_refuses_unknown_urls_without_network():
    with pytest.raises(ob.UnknownContext) as refused:
        ob.document_loader("https://www.w3.org/2018/credentials/v1")
    assert refused.value.url == "https://www.w3.org/2018/credentials/v1"
    credential = chinese_credential(extra_contexts=["https://example.com/contexts/v1"])
    with pytest.raises(ob.UnknownContext):
        ob.canonicalize(credential)
    assert ob.proof_verify({**sign(chinese_credential()), "@context": credential["@context"]},
                           public_key_for=our_public_key_for) == ob.TAMPERED


def test_loader_serves_bundled_contexts_as_copies():
    first = ob.document_loader(ob.OB_V3P0_CONTEXT)
    assert first["documentUrl"] == ob.OB_V3P0_CONTEXT
    first["document"]["@context"]["name"] = "https://example.com/changed"
    again = ob.document_loader(ob.OB_V3P0_CONTEXT)
    assert again["document"]["@context"]["name"] == {"@id": "https://schema.org/name"}
    assert ob.document_loader.urls == {ob.VC_V2_CONTEXT, ob.OB_V3P0_CONTEXT, ob.OB_V3P0_EXTENSIONS_CONTEXT}


def test_extensions_context_is_usable():
    signed = sign(chinese_credential(extra_contexts=[ob.OB_V3P0_EXTENSIONS_CONTEXT]))
    assert ob.proof_verify(signed, public_key_for=our_public_key_for) == ob.VALID


# --- did:key, Multikey, base58btc ------------------------------------------------------------------------------------


def test_base58btc():
    assert ob.base58btc_encode(b"") == ""
    assert ob.base58btc_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert ob.base58btc_encode(b"\0\0\x01") == "112"
    assert ob.base58btc_decode("112") == b"\0\0\x01"
    assert ob.base58btc_decode("2NEpo7TZRRrLZSi2U") == b"Hello World!"
    for data in (bytes(range(64)), b"\0" * 5, b"\xff" * 33):
        assert ob.base58btc_decode(ob.base58btc_encode(data)) == data
    for bad in ("0", "O", "I", "l", "z+"):
        with pytest.raises(ValueError):
            ob.base58btc_decode(bad)


def test_did_key_round_trip_and_refusals():
    did = our_did()
    assert did.startswith("did:key:z6Mk")
    assert raw(ob.public_key_from_did_key(did)) == raw(our_key().public_key())
    method = ob.verification_method_of(did)
    assert method == f"{did}#{did.removeprefix('did:key:')}"
    other = ob.did_key_of(Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())
    for not_ours in ("did:web:example.com", "did:key:", "did:key:" + did[9:] + "0", f"{did}#{other[8:]}",
                     "did:key:u" + did[9:], "did:key:" + "z" + ob.base58btc_encode(b"\x12\x00" + bytes(32)), 42):
        assert ob.public_key_from_did_key(not_ours) is None
    with pytest.raises(ValueError):
        ob.verification_method_of("did:web:example.com")
    with pytest.raises(ValueError):
        ob.verification_method_of(method)


def test_secret_key_multibase_refusals():
    seed_and_wrong_public = "z" + ob.base58btc_encode(b"\x80\x26" + OUR_SEED + bytes(32))
    for bad in ("", "u123", "z0", seed_and_wrong_public, "z" + ob.base58btc_encode(b"\xed\x01" + bytes(32))):
        with pytest.raises(ValueError):
            ob.secret_key_from_multibase(bad)
    assert raw(ob.secret_key_from_multibase(ob.secret_key_multibase(our_key())).public_key()) == raw(
        our_key().public_key())


# --- Bitstring Status List -------------------------------------------------------------------------------------------


def decoded(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_status_list_round_trip():
    encoded = ob.status_list_encode([0, 7, 8, 131071], 131072)
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    bits = decoded(encoded)
    assert len(bits) == 16384
    assert bits[0] == 0b1000_0001 and bits[1] == 0b1000_0000 and bits[-1] == 0b0000_0001
    assert sum(bin(byte).count("1") for byte in bits) == 4
    for index in (0, 7, 8, 131071):
        assert ob.status_list_is_set(encoded, index) is True
    for index in (1, 6, 9, 15, 16, 65536, 131070):
        assert ob.status_list_is_set(encoded, index) is False


def test_status_list_defaults_and_determinism():
    empty = ob.status_list_encode([])
    assert len(decoded(empty)) == ob.MIN_STATUS_LIST_BITS // 8
    assert ob.status_list_encode([8, 0, 8]) == ob.status_list_encode([0, 8])
    larger = ob.status_list_encode([200_000], 262_144)
    assert ob.status_list_is_set(larger, 200_000)
    assert not ob.status_list_is_set(larger, 131_071)


def test_status_list_out_of_range():
    encoded = ob.status_list_encode([1])
    for index in (131072, -1, True, "1"):
        with pytest.raises(ValueError):
            ob.status_list_is_set(encoded, index)
    for revoked, length in (([131072], 131072), ([-1], 131072), ([], 1000), ([], 131073), ([], 131072.0)):
        with pytest.raises(ValueError):
            ob.status_list_encode(revoked, length)


def _u(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize("bad", [
    "", "u", "z123", "u!!!", "uAAAAA", None,
    _u(b"not gzip at all"),
    _u(gzip.compress(bytes(16384), mtime=0)[:40]),  # truncated
    _u(gzip.compress(bytes(16384), mtime=0) + b"junk"),  # trailing data
    "u+" + ob.status_list_encode([])[1:],  # '+' is base64, not base64url
    "u" + ob.status_list_encode([])[1:] + "==",  # padding
])
def test_status_list_undecodable(bad):
    with pytest.raises(ValueError):
        ob.status_list_is_set(bad, 0)


def test_status_list_refuses_a_gzip_bomb():
    bomb = _u(gzip.compress(bytes(17 * 1024 * 1024), compresslevel=9, mtime=0))
    with pytest.raises(ValueError, match="larger"):
        ob.status_list_is_set(bomb, 0)


def test_status_list_credential_signs_and_verifies():
    encoded = ob.status_list_encode([42], 131072)
    document = ob.status_list_credential(list_url=LIST_URL, issuer=our_did(), valid_from=CREATED, encoded=encoded)
    assert document == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": our_did(),
        "validFrom": CREATED,
        "credentialSubject": {"id": LIST_URL + "#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded},
    }
    canonical = ob.canonicalize(document)
    assert f'"{encoded}"^^<https://w3id.org/security#multibase>' in canonical
    signed = sign(document)
    assert ob.proof_verify(signed, public_key_for=our_public_key_for) == ob.VALID
    assert ob.status_list_is_set(signed["credentialSubject"]["encodedList"], 42)
    # Un-revoking by swapping in another list breaks the signature.
    swapped = _changed(signed, ("credentialSubject", "encodedList"), ob.status_list_encode([], 131072))
    assert ob.proof_verify(swapped, public_key_for=our_public_key_for) == ob.TAMPERED


def test_status_list_credential_issuer_object():
    encoded = ob.status_list_encode([])
    named = ob.status_list_credential(list_url=LIST_URL, issuer={"id": our_did(), "name": "评价中心"},
                                      valid_from=CREATED, encoded=encoded, purpose="suspension")
    assert named["credentialSubject"]["statusPurpose"] == "suspension"
    assert ob.proof_verify(sign(named), public_key_for=our_public_key_for) == ob.VALID
    profile = {"id": our_did(), "type": ["Profile"], "name": "评价中心", "url": "https://cert.example.cn/issuer"}
    # "Profile" and "url" are Open Badges terms: without that context they would vanish, so signing refuses.
    bare = ob.status_list_credential(list_url=LIST_URL, issuer=profile, valid_from=CREATED, encoded=encoded)
    with pytest.raises(ob.UndefinedTerm):
        sign(bare)
    with_ob = ob.status_list_credential(list_url=LIST_URL, issuer=profile, valid_from=CREATED, encoded=encoded,
                                        extra_contexts=[ob.OB_V3P0_CONTEXT])
    assert ob.proof_verify(sign(with_ob), public_key_for=our_public_key_for) == ob.VALID


def test_linked_data_proof_ob_html_values():
    """The page the issue names (ob_v3p0/impl/linked-data-proof-ob.html, its VC 1.1 form): its document hash is the
    SHA-256 of the canonical form it includes, and our Ed25519 signing of its "data to sign" with its key gives its
    signature and proof value exactly (see vectors/README.txt for what that version does not publish)."""
    folder = VECTORS / "linked-data-proof-ob-html"
    values = json.loads((folder / "values.json").read_text(encoding="utf-8"))
    canon = (folder / "document-canon.txt").read_bytes()
    assert hashlib.sha256(canon).hexdigest() == values["document_hash_hex"]
    assert values["data_to_sign_hex"] == values["proof_hash_hex"] + values["document_hash_hex"]
    secret = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(values["private_key_hex"])[:32])
    assert secret.public_key().public_bytes_raw().hex() == values["public_key_hex"]
    assert ob.public_key_multibase(secret.public_key()) == values["public_key_multibase"]
    signature = secret.sign(bytes.fromhex(values["data_to_sign_hex"]))
    assert signature.hex() == values["signature_hex"]
    assert "z" + ob.base58btc_encode(signature) == values["proof_value"]


def _signed_with_related(secret, related: list) -> dict:
    document = ob.open_badge_credential(
        credential_id="urn:uuid:6a1f0f5e-0000-4000-8000-000000000001",
        issuer={"id": ob.did_key_of(secret.public_key()), "name": "发证机构", "url": "https://cert.example.cn/"},
        valid_from=CREATED, subject_id=None, subject_name="张三",
        achievement={"id": "https://cert.example.cn/a", "name": "AIGC技能", "description": "d",
                     "criteria": {"narrative": "n"}},
        status_entry=None)
    signed = ob.proof_add(document, secret_key=secret, verification_method=ob.verification_method_of(
        ob.did_key_of(secret.public_key())), created=CREATED)
    signed["credentialSubject"]["achievement"]["related"] = related
    return signed


def test_graphs_built_to_stall_canonicalization_are_refused():
    """RDFC-1.0 tries every order of look-alike blank nodes linked to each other (n! of them): a 2 kB file of ten
    such nodes would keep a verifier busy for hours. The bounded canonicalizer refuses it at once: tampered."""
    secret = Ed25519PrivateKey.from_private_bytes(OUR_SEED)
    ids = [f"_:n{i}" for i in range(10)]
    related = [{"id": node, "type": ["Achievement"], "related": [{"id": other} for other in ids if other != node]}
               for node in ids]
    attacked = _signed_with_related(secret, related)
    with pytest.raises(ob.TooComplex):
        ob.canonicalize(attacked)
    assert ob.proof_verify(attacked, public_key_for=lambda _vm: secret.public_key()) == ob.TAMPERED


def test_look_alike_siblings_under_a_named_node_still_canonicalize():
    """The limits refuse only the factorial shape: a dozen identical anonymous objects under one IRI node are
    ordered without trying permutations, and stay a normal (here: altered, so tampered) document."""
    secret = Ed25519PrivateKey.from_private_bytes(OUR_SEED)
    altered = _signed_with_related(secret, [{"type": ["Related"], "inLanguage": "zh"} for _ in range(12)])
    assert ob.canonicalize(altered).count("Related") == 12
    assert ob.proof_verify(altered, public_key_for=lambda _vm: secret.public_key()) == ob.TAMPERED


def test_deeply_nested_documents_get_a_verdict():
    secret = Ed25519PrivateKey.from_private_bytes(OUR_SEED)
    nested: object = "x"
    for _ in range(5000):
        nested = [nested]
    attacked = _signed_with_related(secret, [])
    attacked["credentialSubject"]["achievement"]["related"] = nested
    assert ob.proof_verify(attacked, public_key_for=lambda _vm: secret.public_key()) in (ob.TAMPERED, ob.MALFORMED)
