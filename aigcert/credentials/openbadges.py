"""Open Badges 3.0 credentials: building them, signing and verifying them (eddsa-rdfc-2022), and revocation lists.

A certificate is also published as an OpenBadgeCredential (a W3C Verifiable Credential) so that anyone holding the
file can check, without trusting our web pages, that we issued it and that nobody changed it. The signature is a
W3C Data Integrity proof with the ``eddsa-rdfc-2022`` cryptosuite: it signs the RDF *meaning* of the JSON (its
canonical N-Quads), not the JSON bytes, so the JSON-LD contexts are part of what is signed.

That is why contexts never come from the network here: they are bundled in ``contexts/`` and the document loader
refuses any other URL. A context fetched at run time could change (or be made to change) under a signature, and
signing must not depend on a remote server being up.

It is also why canonicalization is strict. Plain JSON-LD silently drops a property that no context defines, and
drops types and identifiers that are not absolute IRIs: a signature would then not cover text that a person reading
the JSON sees. PyLD 3.3 has no "safe mode" (jsonld.js does), so :func:`canonicalize` builds one: any dropped
property, relative ``@id``/``@type``, ``null`` value or inline ``@context`` object is an error, never a silent loss.

Revocation uses a W3C Bitstring Status List v1.0: one bit per certificate in a GZIP-compressed bitstring published
as its own signed credential.

Pure functions and no Django: nothing here touches the database, settings or the network.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

# --- results of proof_verify -----------------------------------------------------------------------------------------

VALID = "valid"
TAMPERED = "tampered"  # the signature does not match the document (or the altered document no longer canonicalizes)
MALFORMED = "malformed"  # not a document with one eddsa-rdfc-2022 DataIntegrityProof we can read
UNKNOWN_KEY = "unknown_key"  # public_key_for() does not know the verification method

# --- vocabulary ------------------------------------------------------------------------------------------------------

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
BUNDLED_CONTEXTS: Mapping[str, Path] = {
    VC_V2_CONTEXT: CONTEXTS_DIR / "credentials-v2.jsonld",
    OB_V3P0_CONTEXT: CONTEXTS_DIR / "ob-v3p0-context-3.0.3.json",
    OB_V3P0_EXTENSIONS_CONTEXT: CONTEXTS_DIR / "ob-v3p0-extensions.json",
}

# Multicodec prefixes, as unsigned varints: ed25519-pub (0xed) and ed25519-priv (0x1300, which encodes as 80 26).
_ED25519_PUB_PREFIX = b"\xed\x01"
_ED25519_PRIV_PREFIX = b"\x80\x26"
_DID_KEY = "did:key:"

# Bitstring Status List v1.0 asks for at least 16 KB (131,072 entries) so that one index reveals little about whom
# a list is for; the upper bound only protects the verifier from a gzip bomb in somebody else's list.
MIN_STATUS_LIST_BITS = 131_072
_MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024

# XML Schema dateTimeStamp (a dateTime with a time zone), which VC 2.0 requires for validFrom and proof.created.
_DATE_TIME_STAMP = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# The test pyld itself uses to decide that an IRI is absolute (anything else it drops when producing RDF).
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")


# --- errors ----------------------------------------------------------------------------------------------------------


class CanonicalizationError(ValueError):
    """The document cannot be turned into canonical RDF without losing or inventing meaning."""


class UnknownContext(CanonicalizationError):
    """A JSON-LD context URL that is not bundled with the application (the loader never fetches)."""

    def __init__(self, url: str):
        super().__init__(f"JSON-LD context {url!r} is not bundled with aigcert (contexts are never fetched)")
        self.url = url


class UndefinedTerm(CanonicalizationError):
    """Something JSON-LD would silently drop: an undefined property, a relative IRI, a null value."""


class TooComplex(CanonicalizationError):
    """A graph whose canonical form would take unbounded work (RDFC-1.0 tries every order of look-alike blank
    nodes: n! for n of them). A credential never has such a graph; a document built to stall a verifier does."""


# Our credentials have a handful of blank nodes (criteria, identifier, result, proof), none alike among siblings.
MAX_BLANK_NODES = 64
MAX_ALIKE_BLANK_NODES = 4  # 4! = 24 orders at most in one step
MAX_N_DEGREE_HASHES = 512


class _BoundedCanonicalizer(URDNA2015):
    """RDFC-1.0 as pyld implements it, refusing the inputs that would make it run for minutes or hours."""

    def main(self, dataset, options):
        self._n_degree = 0
        blank = {term["value"] for graph in dataset.values() for quad in graph
                 for term in (quad["subject"], quad["object"]) if term.get("type") == "blank node"}
        if len(blank) > MAX_BLANK_NODES:
            raise TooComplex(f"{len(blank)} blank nodes (at most {MAX_BLANK_NODES})")
        return super().main(dataset, options)

    def create_hash_to_related(self, id_, issuer):
        related = super().create_hash_to_related(id_, issuer)
        if any(len(nodes) > MAX_ALIKE_BLANK_NODES for nodes in related.values()):
            raise TooComplex(f"more than {MAX_ALIKE_BLANK_NODES} look-alike blank nodes")
        return related

    def hash_n_degree_quads(self, id_, issuer):
        self._n_degree += 1
        if self._n_degree > MAX_N_DEGREE_HASHES:
            raise TooComplex("canonicalization work limit reached")
        return super().hash_n_degree_quads(id_, issuer)


# --- offline JSON-LD document loader ---------------------------------------------------------------------------------


class _SharedContextCache:
    """A bounded, thread-safe LRU map: the two operations pyld's ContextResolver uses on its shared cache."""

    def __init__(self, maxsize: int):
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            return self._entries[key]

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)


class OfflineDocumentLoader:
    """A pyld document loader that serves JSON-LD contexts from files and refuses every other URL.

    Each file is read once. The loader also owns the cache of *processed* contexts that pyld keeps between calls
    (keyed by URL): each loader gets its own, so two loaders mapping one URL to different files cannot mix.
    """

    def __init__(self, files: Mapping[str, Path]):
        self._files = dict(files)
        self._documents: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.resolved_contexts = _SharedContextCache(maxsize=64)

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._files)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict:
        path = self._files.get(url)
        if path is None:
            raise UnknownContext(url)
        with self._lock:
            if url not in self._documents:
                self._documents[url] = json.loads(path.read_text(encoding="utf-8"))
            document = self._documents[url]
        # pyld rewrites relative context URLs in place: hand out a copy. The "static" tag lets pyld keep the
        # processed context between calls, so the file is processed once, not once per signature.
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document), "tag": "static"}


# A missing context file would make every verification fail as "tampered": refuse to start instead.
_missing = [str(path) for path in BUNDLED_CONTEXTS.values() if not path.is_file()]
if _missing:
    raise RuntimeError(f"bundled JSON-LD contexts are missing (packaging?): {', '.join(_missing)}")

document_loader = OfflineDocumentLoader(BUNDLED_CONTEXTS)


# --- canonicalization ------------------------------------------------------------------------------------------------


class _StrictProcessor(jsonld.JsonLdProcessor):
    """pyld with a safe mode: what expansion would drop becomes an error (pyld 3.3 has no such option)."""

    def __init__(self) -> None:
        super().__init__(on_property_dropped=self._dropped)

    @staticmethod
    def _dropped(expanded_property: str | None) -> None:
        raise UndefinedTerm(f"property {expanded_property!r} is not defined by the document's contexts")

    def expand(self, input_, options):
        expanded = super().expand(input_, options)
        _require_absolute_iris(expanded)
        return expanded

    def normalize(self, input_, options):
        # pyld's normalize with its URDNA2015 swapped for the bounded one (its other paths are not used here).
        options = {**options, "extractAllScripts": True, "processingMode": "json-ld-1.1"}
        options.pop("identifierIssuer", None)
        rdf_options = {key: value for key, value in options.items() if key != "format"}
        rdf_options["produceGeneralizedRdf"] = False
        try:
            dataset = self.to_rdf(input_, rdf_options)
        except jsonld.JsonLdError as cause:
            raise jsonld.JsonLdError("Could not convert input to RDF dataset before normalization.",
                                     "jsonld.NormalizeError") from cause
        return _BoundedCanonicalizer().main(dataset, options)


def _require_absolute_iris(node: Any) -> None:
    # toRdf skips relative @id and @type values without a word; after expansion they are the only ones left.
    if isinstance(node, list):
        for item in node:
            _require_absolute_iris(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@id":
            _require_absolute(value, "@id")
        elif key == "@type":
            for one in value if isinstance(value, list) else [value]:
                if one != "@json":
                    _require_absolute(one, "@type")
        elif key != "@value":
            _require_absolute_iris(value)


def _require_absolute(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _ABSOLUTE_IRI.match(value):
        raise UndefinedTerm(f"{what} {value!r} is not an absolute IRI (undefined term or relative identifier)")


def _require_plain_json(value: Any, path: str = "$") -> None:
    # A null is dropped by JSON-LD; an inline @context object could quietly remap terms a reader relies on.
    if value is None:
        raise UndefinedTerm(f"{path} is null (JSON-LD drops null values)")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _require_plain_json(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                contexts = item if isinstance(item, list) else [item]
                if not all(isinstance(c, str) for c in contexts):
                    raise CanonicalizationError(f"{path}.@context must list context URLs (no inline contexts)")
            else:
                _require_plain_json(item, f"{path}.{key}")


def _cause(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def canonicalize(document: Mapping[str, Any], *, loader: OfflineDocumentLoader | None = None) -> str:
    """The document's canonical N-Quads (RDF Dataset Canonicalization, URDNA2015 = RDFC-1.0), offline and strict.

    Raises :class:`UnknownContext` for a context URL that is not bundled, :class:`UndefinedTerm` when JSON-LD would
    silently drop part of the document, and :class:`CanonicalizationError` for any other JSON-LD error.
    """
    loader = loader or document_loader
    if not isinstance(document, Mapping):
        raise CanonicalizationError("a JSON-LD document must be a JSON object")
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        # No base IRI: pyld would otherwise resolve a relative IRI against http://example.org/base/, inventing an
        # identifier; left relative, _require_absolute_iris rejects it.
        "base": None,
        # A resolver per call (its per-call cache grows with what it sees) over the loader's shared, bounded cache.
        "contextResolver": ContextResolver(loader.resolved_contexts, loader),
    }
    try:
        _require_plain_json(document)
        return _StrictProcessor().normalize(dict(document), options)
    except CanonicalizationError:
        raise
    except jsonld.JsonLdError as error:
        ours = _cause(error, CanonicalizationError)  # raised by our loader or checks inside pyld, then wrapped
        if isinstance(ours, UnknownContext):
            raise UnknownContext(ours.url) from error
        if ours is not None:
            raise type(ours)(str(ours)) from error
        raise CanonicalizationError(f"JSON-LD processing failed: {_jsonld_reason(error)}") from error
    except RecursionError as error:
        raise CanonicalizationError("the document is nested too deeply") from error
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        # pyld lets a few of these escape on odd input (e.g. "@context": ""); for a verifier they mean the same.
        raise CanonicalizationError(f"JSON-LD processing failed: {type(error).__name__}: {error}") from error


def _jsonld_reason(error: BaseException) -> str:
    # The outermost pyld message is generic ("could not convert to RDF"); the innermost one says what went wrong.
    innermost = error
    while innermost.__cause__ is not None:
        innermost = innermost.__cause__
    code = getattr(innermost, "code", None)
    message = str(innermost.args[0]) if innermost.args else type(innermost).__name__
    return f"{message} ({code})" if code else message


# --- eddsa-rdfc-2022 -------------------------------------------------------------------------------------------------


def _hash_data(
    document: Mapping[str, Any], proof_options: Mapping[str, Any], loader: OfflineDocumentLoader | None
) -> bytes:
    # Data Integrity EdDSA, "Transformation", "Hashing" and "Proof Configuration": the proof configuration is the
    # proof without proofValue, in the document's @context; the signed bytes are its hash followed by the document's.
    proof_config = {"@context": document.get("@context"), **proof_options}
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_hash = hashlib.sha256(canonicalize(proof_config, loader=loader).encode()).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured, loader=loader).encode()).digest()
    return proof_hash + document_hash


def proof_add(
    document: Mapping[str, Any],
    *,
    secret_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
    loader: OfflineDocumentLoader | None = None,
) -> dict:
    """A copy of ``document`` with an eddsa-rdfc-2022 ``DataIntegrityProof`` added (Ed25519 is deterministic).

    Raises :class:`CanonicalizationError` (or a subclass) if the document is not strictly canonicalizable, and
    ValueError if it already has a proof or ``created`` is not an XML Schema dateTimeStamp.
    """
    if "proof" in document:
        raise ValueError("the document already has a proof")
    if not _DATE_TIME_STAMP.match(created):
        raise ValueError(f"created {created!r} is not a dateTime with a time zone")
    # Field order of the 1EdTech test vector; the order does not change the signature, only how the JSON reads.
    proof = {
        "type": PROOF_TYPE,
        "created": created,
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": proof_purpose,
    }
    signature = secret_key.sign(_hash_data(document, proof, loader))
    proof["proofValue"] = "z" + base58btc_encode(signature)
    return {**document, "proof": proof}


def proof_verify(
    document: Any,
    *,
    public_key_for: Callable[[str], Ed25519PublicKey | None],
    expected_proof_purpose: str = "assertionMethod",
    loader: OfflineDocumentLoader | None = None,
) -> str:
    """VALID, TAMPERED, MALFORMED or UNKNOWN_KEY for a document carrying one eddsa-rdfc-2022 proof.

    ``public_key_for`` receives the proof's verificationMethod and returns the key to check it with, or None if that
    method is not trusted. It decides whom to trust: :func:`public_key_from_did_key` alone would trust any did:key.
    """
    if not isinstance(document, Mapping):
        return MALFORMED
    proof = document.get("proof")
    if not isinstance(proof, Mapping):  # absent, or a set of proofs, which we never issue
        return MALFORMED
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return MALFORMED
    if proof.get("proofPurpose") != expected_proof_purpose:
        return MALFORMED
    verification_method = proof.get("verificationMethod")
    proof_value = proof.get("proofValue")
    if not isinstance(verification_method, str) or not isinstance(proof_value, str) or proof_value[:1] != "z":
        return MALFORMED
    try:
        signature = base58btc_decode(proof_value[1:])
    except ValueError:
        return MALFORMED
    if len(signature) != 64:
        return MALFORMED
    proof_options = {key: value for key, value in proof.items() if key != "proofValue"}
    if "@context" in proof_options:
        # Data Integrity: a proof's own @context must be where the document's begins; the document's is used.
        own = proof_options.pop("@context")
        own = own if isinstance(own, list) else [own]
        outer = document.get("@context")
        outer = outer if isinstance(outer, list) else [outer]
        if outer[: len(own)] != own:
            return MALFORMED
    public_key = public_key_for(verification_method)
    if public_key is None:
        return UNKNOWN_KEY
    try:
        signed = _hash_data(document, proof_options, loader)
    except CanonicalizationError:
        return TAMPERED
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        return TAMPERED
    return VALID


# --- keys: did:key and Multikey --------------------------------------------------------------------------------------


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase``: base58btc of the ed25519-pub multicodec prefix and the 32 raw bytes."""
    return "z" + base58btc_encode(_ED25519_PUB_PREFIX + public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def did_key_of(public_key: Ed25519PublicKey) -> str:
    """``did:key:z6Mk…`` for an Ed25519 public key."""
    return _DID_KEY + public_key_multibase(public_key)


def verification_method_of(did: str) -> str:
    """The did:key's one verification method: the DID, ``#``, and its multibase key again."""
    if public_key_from_did_key(did) is None or "#" in did:
        raise ValueError(f"{did!r} is not an Ed25519 did:key")
    return f"{did}#{did[len(_DID_KEY):]}"


def public_key_from_did_key(did_or_verification_method: str) -> Ed25519PublicKey | None:
    """The Ed25519 key a ``did:key`` (or its verification method) names; None if it is not one."""
    if not isinstance(did_or_verification_method, str) or not did_or_verification_method.startswith(_DID_KEY):
        return None
    did, _, fragment = did_or_verification_method.partition("#")
    encoded = did[len(_DID_KEY):]
    if fragment and fragment != encoded:
        return None  # a did:key has exactly one verification method, named after the key
    if not encoded.startswith("z"):
        return None
    try:
        raw = base58btc_decode(encoded[1:])
    except ValueError:
        return None
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB_PREFIX):
        return None
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def secret_key_multibase(secret_key: Ed25519PrivateKey, *, include_public_key: bool = False) -> str:
    """The Multikey ``secretKeyMultibase``: ed25519-priv multicodec prefix (0x1300, bytes 80 26) and the 32-byte seed.

    With ``include_public_key`` the seed is followed by the public key (64 bytes, ``zrv…``), the form older
    Digital Bazaar libraries export and the 1EdTech test vector uses.
    """
    raw = secret_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    if include_public_key:
        raw += secret_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58btc_encode(_ED25519_PRIV_PREFIX + raw)


def secret_key_from_multibase(text: str) -> Ed25519PrivateKey:
    """The Ed25519 key of a ``secretKeyMultibase`` (32-byte seed, or seed and public key); ValueError otherwise."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("secretKeyMultibase must be base58btc (start with 'z')")
    raw = base58btc_decode(text[1:])
    if not raw.startswith(_ED25519_PRIV_PREFIX) or len(raw) not in (34, 66):
        raise ValueError("not an Ed25519 secretKeyMultibase")
    secret_key = Ed25519PrivateKey.from_private_bytes(raw[2:34])
    if len(raw) == 66 and secret_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) != raw[34:]:
        raise ValueError("the public half of the secretKeyMultibase does not belong to its seed")
    return secret_key


# --- base58btc (the Bitcoin alphabet, as multibase "z" uses) ---------------------------------------------------------

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: value for value, char in enumerate(_B58_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet); each leading zero byte becomes a leading '1'."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_B58_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """The bytes of a base58btc string; ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _B58_INDEX[char]
        except KeyError:
            raise ValueError(f"{char!r} is not a base58btc character") from None
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")


# --- Bitstring Status List v1.0 --------------------------------------------------------------------------------------


def status_list_encode(revoked: Iterable[int], length: int = MIN_STATUS_LIST_BITS) -> str:
    """The ``encodedList`` of a bitstring of ``length`` bits with the ``revoked`` indices set.

    Index 0 is the most significant bit of the first byte. The bitstring is GZIP-compressed (with a fixed header
    time, so equal lists encode equally) and multibase-encoded as base64url without padding (prefix ``u``).
    """
    if isinstance(length, bool) or not isinstance(length, int) or length < MIN_STATUS_LIST_BITS or length % 8:
        raise ValueError(f"a status list has a multiple of 8 bits, at least {MIN_STATUS_LIST_BITS}: not {length!r}")
    bits = bytearray(length // 8)
    for index in revoked:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < length:
            raise ValueError(f"status list index {index!r} is outside 0..{length - 1}")
        bits[index >> 3] |= 0x80 >> (index & 7)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def _status_list_bytes(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not re.fullmatch(r"u[A-Za-z0-9_-]+", encoded):
        raise ValueError("encodedList must be multibase base64url without padding (prefix 'u')")
    body = encoded[1:]
    compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))  # binascii.Error is a ValueError
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip container
    try:
        bits = inflater.decompress(compressed, _MAX_STATUS_LIST_BYTES + 1)
    except zlib.error as error:
        raise ValueError(f"encodedList is not GZIP data: {error}") from None
    if len(bits) > _MAX_STATUS_LIST_BYTES:
        raise ValueError("encodedList is larger than any status list we accept")
    if not inflater.eof or inflater.unused_data:
        raise ValueError("encodedList is truncated or has trailing data")
    return bits


def status_list_is_set(encoded: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` is set; ValueError if undecodable or the index is out of range."""
    bits = _status_list_bytes(encoded)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(bits) * 8:
        raise ValueError(f"status list index {index!r} is outside 0..{len(bits) * 8 - 1}")
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def status_list_credential(
    *,
    list_url: str,
    issuer: Mapping[str, Any] | str,
    valid_from: str,
    encoded: str,
    purpose: str = "revocation",
    extra_contexts: Sequence[str] = (),
) -> dict:
    """The unsigned ``BitstringStatusListCredential`` published at ``list_url``.

    Only the VC 2.0 context is declared, so an ``issuer`` object may use only its terms (id, name, description);
    pass ``extra_contexts`` (e.g. the Open Badges context) for a Profile. Strict canonicalization enforces this.
    """
    _require_date_time_stamp(valid_from, "valid_from")
    _require_absolute_iri_argument(list_url, "list_url")
    return {
        "@context": [VC_V2_CONTEXT, *extra_contexts],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": copy.deepcopy(dict(issuer)) if isinstance(issuer, Mapping) else issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }


# --- OpenBadgeCredential ---------------------------------------------------------------------------------------------


def open_badge_credential(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    valid_from: str,
    subject_id: str | None,
    subject_name: str,
    achievement: Mapping[str, Any],
    status_entry: Mapping[str, Any] | None,
    extra_contexts: Sequence[str] = (),
) -> dict:
    """An unsigned Open Badges 3.0 ``OpenBadgeCredential`` (VC 2.0 data model, OB context 3.0.3).

    ``issuer`` is a Profile (``id``, ``name``, usually ``url``; ``type`` defaults to ``["Profile"]``).
    ``achievement`` needs ``id``, ``name``, ``description`` and ``criteria.narrative``; ``type`` defaults to
    ``["Achievement"]`` and ``achievementType`` to ``"Certificate"``; other Achievement properties pass through.
    The holder's name goes in ``credentialSubject.identifier`` as an IdentityObject (``identityType`` "name",
    ``hashed`` false): that is where OB 3.0 carries a recipient identity. The credential's ``name`` defaults to
    the achievement's. Inputs are copied, never shared with the result.
    """
    _require_absolute_iri_argument(credential_id, "credential_id")
    _require_date_time_stamp(valid_from, "valid_from")
    if not isinstance(subject_name, str) or not subject_name.strip():
        raise ValueError("subject_name must be a non-empty string")
    if subject_id is not None:
        _require_absolute_iri_argument(subject_id, "subject_id")

    profile = copy.deepcopy(dict(issuer))
    _require_absolute_iri_argument(profile.get("id"), "issuer id")
    if not profile.get("name"):
        raise ValueError("the issuer needs a name")
    profile = {"id": profile.pop("id"), "type": profile.pop("type", ["Profile"]), **profile}

    rest = copy.deepcopy(dict(achievement))
    _require_absolute_iri_argument(rest.get("id"), "achievement id")
    for field in ("name", "description"):
        if not isinstance(rest.get(field), str) or not rest[field]:
            raise ValueError(f"the achievement needs a {field}")
    criteria = rest.get("criteria")
    if not isinstance(criteria, Mapping) or not criteria.get("narrative"):
        raise ValueError("the achievement needs criteria with a narrative")
    achievement_node = {
        "id": rest.pop("id"),
        "type": rest.pop("type", ["Achievement"]),
        "achievementType": rest.pop("achievementType", "Certificate"),
        **rest,
    }

    subject: dict[str, Any] = {} if subject_id is None else {"id": subject_id}
    subject["type"] = ["AchievementSubject"]
    subject["identifier"] = [
        {"type": "IdentityObject", "identityHash": subject_name, "identityType": "name", "hashed": False}
    ]
    subject["achievement"] = achievement_node

    document: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB_V3P0_CONTEXT, *extra_contexts],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile,
        "validFrom": valid_from,
        "name": achievement_node["name"],
        "credentialSubject": subject,
    }
    if status_entry is not None:
        document["credentialStatus"] = copy.deepcopy(dict(status_entry))
    return document


def _require_date_time_stamp(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _DATE_TIME_STAMP.match(value):
        raise ValueError(f"{what} {value!r} is not a dateTime with a time zone, e.g. 2025-01-01T00:00:00Z")


def _require_absolute_iri_argument(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _ABSOLUTE_IRI.match(value) or value.startswith("_:"):
        raise ValueError(f"{what} {value!r} is not an absolute IRI")
