// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title ConsentRegistry
/// @notice Pramana's on-chain record of (1) Merkle roots of document commitments and (2) patient
/// consents to hospitals. Consents are EIP-712 messages signed by the patient's key and relayed by
/// anyone; the platform cannot grant or revoke on a patient's behalf. A consent is stored under
/// `(patient, consentId)`, so only the patient's own key can create the record read as that
/// patient's consent. A patient is an *account* (the address of their first key) whose current
/// signing key can be rotated by a message signed with the key it replaces. Nothing personal is
/// stored: only addresses, hashes, ids and times.
contract ConsentRegistry is Ownable2Step, EIP712 {
    // ---------------------------------------------------------------- types

    /// @notice Consent state at the current block's timestamp.
    enum Status {
        Unknown,
        Active,
        NotYetValid,
        Expired,
        Revoked
    }

    /// @notice A patient-signed grant. `signatureR`/`signatureVs` are the EIP-2098 compact form.
    struct GrantRequest {
        bytes32 consentId;
        address patient;
        address grantee;
        bytes32 scopeHash;
        uint64 validFrom;
        uint64 validUntil;
        uint64 nonce;
        uint64 deadline;
        bytes32 signatureR;
        bytes32 signatureVs;
    }

    /// @notice A patient-signed revocation. `grantee` and `scopeHash` are not signed: they must
    /// match the consent's stored commitment, and let the event index the grantee.
    struct RevokeRequest {
        bytes32 consentId;
        address patient;
        address grantee;
        bytes32 scopeHash;
        uint64 nonce;
        uint64 deadline;
        bytes32 signatureR;
        bytes32 signatureVs;
    }

    /// @dev One storage slot: 160 + 40 + 40 + 8 bits.
    struct Consent {
        bytes20 parties; // bytes20(keccak256(abi.encode(patient, grantee, scopeHash)))
        uint40 validFrom;
        uint40 validUntil;
        bool revoked;
    }

    /// @dev One storage slot: 160 + 64 bits. `signer == 0` means the account's own key signs.
    struct Account {
        address signer;
        uint64 nonce;
    }

    /// @dev One storage slot: 64 + 64 + 64 bits.
    struct Root {
        uint64 timestamp;
        uint64 blockNumber;
        uint64 leafCount;
    }

    // ---------------------------------------------------------------- EIP-712

    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(bytes32 consentId,address patient,address grantee,bytes32 scopeHash,uint64 validFrom,uint64 validUntil,uint64 nonce,uint64 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(bytes32 consentId,address patient,uint64 nonce,uint64 deadline)");
    bytes32 public constant ROTATE_SIGNER_TYPEHASH =
        keccak256("RotateSigner(address account,address newSigner,uint64 nonce,uint64 deadline)");

    // ---------------------------------------------------------------- storage

    mapping(bytes32 root => Root) private _roots;
    mapping(bytes32 key => Consent) private _consents; // key = keccak256(abi.encode(patient, consentId))
    mapping(address account => Account) private _accounts;
    mapping(address account => bool) public isAnchorer;

    // ---------------------------------------------------------------- events

    event RootAnchored(bytes32 indexed root, uint64 leafCount);
    event AnchorerSet(address indexed account, bool allowed);
    event ConsentGranted(
        bytes32 indexed consentId,
        address indexed patient,
        address indexed grantee,
        bytes32 scopeHash,
        uint64 validFrom,
        uint64 validUntil
    );
    event ConsentRevoked(bytes32 indexed consentId, address indexed patient, address indexed grantee);
    event NonceIncremented(address indexed patient, uint64 nonce);
    event SignerRotated(address indexed account, address indexed newSigner, uint64 nonce);

    // ---------------------------------------------------------------- errors

    error NotAnchorer(address caller);
    error InvalidRoot();
    error RootAlreadyAnchored(bytes32 root);
    error EmptyBatch();
    error ConsentExists(bytes32 consentId);
    error ConsentUnknown(bytes32 consentId);
    error ConsentAlreadyRevoked(bytes32 consentId);
    error InvalidValidity(bytes32 consentId);
    error InvalidConsent(bytes32 consentId);
    error SignatureExpired(bytes32 consentId);
    error StaleNonce(bytes32 consentId);
    error InvalidSignature(bytes32 consentId);
    error PartiesMismatch(bytes32 consentId);
    error NotSigner(address account, address caller);
    error InvalidSigner(address account);
    error RotationExpired(address account);
    error RotationStaleNonce(address account);
    error RotationInvalidSignature(address account);

    constructor(address initialOwner) Ownable(initialOwner) EIP712("Pramana ConsentRegistry", "1") {}

    // ---------------------------------------------------------------- roles

    /// @notice Allows or disallows `account` to anchor roots.
    function setAnchorer(address account, bool allowed) external onlyOwner {
        isAnchorer[account] = allowed;
        emit AnchorerSet(account, allowed);
    }

    // ---------------------------------------------------------------- anchoring

    /// @notice Records a Merkle root of `leafCount` document leaves. Reverts with
    /// `RootAlreadyAnchored` if the root is known (the worker treats that as success).
    function anchor(bytes32 root, uint64 leafCount) external {
        if (!isAnchorer[msg.sender]) revert NotAnchorer(msg.sender);
        if (root == bytes32(0) || leafCount == 0) revert InvalidRoot();
        Root storage r = _roots[root];
        if (r.timestamp != 0) revert RootAlreadyAnchored(root);
        r.timestamp = uint64(block.timestamp);
        r.blockNumber = uint64(block.number);
        r.leafCount = leafCount;
        emit RootAnchored(root, leafCount);
    }

    /// @notice When a root was anchored; all zero if it never was.
    function anchoredAt(bytes32 root) external view returns (uint64 timestamp, uint64 blockNumber, uint64 leafCount) {
        Root memory r = _roots[root];
        return (r.timestamp, r.blockNumber, r.leafCount);
    }

    /// @notice The Merkle leaf of a document: OpenZeppelin StandardMerkleTree over
    /// `(bytes32 salt, bytes32 sha256)`, i.e. `keccak256(keccak256(abi.encode(salt, docSha256)))`.
    function documentLeaf(bytes32 salt, bytes32 docSha256) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(salt, docSha256))));
    }

    /// @notice Checks a document against an anchored root. Returns `verified = false` when the
    /// root was never anchored or the proof does not lead to it.
    function verifyDocument(bytes32 root, bytes32 salt, bytes32 docSha256, bytes32[] calldata proof)
        external
        view
        returns (bool verified, uint64 timestamp, uint64 blockNumber)
    {
        Root memory r = _roots[root];
        if (r.timestamp == 0) return (false, 0, 0);
        bool ok = MerkleProof.verifyCalldata(proof, root, documentLeaf(salt, docSha256));
        return ok ? (true, r.timestamp, r.blockNumber) : (false, 0, 0);
    }

    /// @notice Checks a raw (already hashed) leaf against an anchored root.
    function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        return _roots[root].timestamp != 0 && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    // ---------------------------------------------------------------- consents

    /// @notice Records a patient-signed grant.
    function grantConsent(GrantRequest calldata g) external {
        _grant(g);
    }

    /// @notice Records several grants; all or nothing (the error names the failing consent).
    function grantConsents(GrantRequest[] calldata gs) external {
        if (gs.length == 0) revert EmptyBatch();
        for (uint256 i; i < gs.length; ++i) {
            _grant(gs[i]);
        }
    }

    /// @notice Records a patient-signed revocation. A revoked consent never becomes active again.
    function revokeConsent(RevokeRequest calldata r) external {
        _revoke(r);
    }

    /// @notice Records several revocations; all or nothing.
    function revokeConsents(RevokeRequest[] calldata rs) external {
        if (rs.length == 0) revert EmptyBatch();
        for (uint256 i; i < rs.length; ++i) {
            _revoke(rs[i]);
        }
    }

    /// @notice Invalidates every signature made for `account` and not yet relayed. Only the
    /// account's current signer may call it.
    function incrementNonce(address account) external {
        Account storage a = _accounts[account];
        if (msg.sender != _signer(account, a.signer)) revert NotSigner(account, msg.sender);
        uint64 n = a.nonce + 1;
        a.nonce = n;
        emit NonceIncremented(account, n);
    }

    /// @notice Makes `newSigner` the key that signs for `account` from now on; signed by the
    /// account's current signer (EIP-712 `RotateSigner`). Consumes the account's nonce, so every
    /// message signed and not yet relayed (by either key) is void, and a rotation cannot be
    /// replayed. Consents granted under the old key are the account's and stay revocable by the
    /// new one.
    function rotateSigner(
        address account,
        address newSigner,
        uint64 nonce,
        uint64 deadline,
        bytes32 signatureR,
        bytes32 signatureVs
    ) external {
        if (newSigner == address(0)) revert InvalidSigner(account);
        if (block.timestamp > deadline) revert RotationExpired(account);
        Account storage a = _accounts[account];
        if (nonce != a.nonce) revert RotationStaleNonce(account);
        bytes32 digest = rotateSignerDigest(account, newSigner, nonce, deadline);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatureR, signatureVs);
        if (err != ECDSA.RecoverError.NoError || signer != _signer(account, a.signer)) {
            revert RotationInvalidSignature(account);
        }
        a.signer = newSigner;
        a.nonce = nonce + 1;
        emit SignerRotated(account, newSigner, nonce + 1);
    }

    /// @notice The nonce an account's next signature must carry.
    function nonces(address account) external view returns (uint64) {
        return _accounts[account].nonce;
    }

    /// @notice The key that signs for `account` now: the account's own key until it is rotated.
    function signerOf(address account) external view returns (address) {
        return _signer(account, _accounts[account].signer);
    }

    /// @notice The storage key of a patient's consent: `keccak256(abi.encode(patient, consentId))`.
    function consentKey(address patient, bytes32 consentId) public pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0x00, patient)
            mstore(0x20, consentId)
            key := keccak256(0x00, 0x40)
        }
    }

    /// @notice State now of the consent `patient` granted under `consentId`.
    function consentStatus(address patient, bytes32 consentId) public view returns (Status) {
        Consent memory c = _consents[consentKey(patient, consentId)];
        if (c.parties == bytes20(0)) return Status.Unknown;
        if (c.revoked) return Status.Revoked;
        if (block.timestamp < c.validFrom) return Status.NotYetValid;
        if (block.timestamp >= c.validUntil) return Status.Expired;
        return Status.Active;
    }

    /// @notice The stored record of the consent `patient` granted under `consentId`.
    function consentRecord(address patient, bytes32 consentId)
        external
        view
        returns (bytes20 parties, uint40 validFrom, uint40 validUntil, bool revoked)
    {
        Consent memory c = _consents[consentKey(patient, consentId)];
        return (c.parties, c.validFrom, c.validUntil, c.revoked);
    }

    /// @notice True when the consent is active now and was granted by `patient` to `grantee` for
    /// `scopeHash`.
    function isConsentActive(address patient, bytes32 consentId, address grantee, bytes32 scopeHash)
        external
        view
        returns (bool)
    {
        return consentStatus(patient, consentId) == Status.Active
            && _consents[consentKey(patient, consentId)].parties == partiesCommitment(patient, grantee, scopeHash);
    }

    /// @notice `bytes20(keccak256(abi.encode(patient, grantee, scopeHash)))`.
    function partiesCommitment(address patient, address grantee, bytes32 scopeHash) public pure returns (bytes20) {
        return bytes20(keccak256(abi.encode(patient, grantee, scopeHash)));
    }

    /// @notice The EIP-712 digest a patient signs to grant.
    function grantDigest(GrantRequest calldata g) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    GRANT_TYPEHASH,
                    g.consentId,
                    g.patient,
                    g.grantee,
                    g.scopeHash,
                    g.validFrom,
                    g.validUntil,
                    g.nonce,
                    g.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest a patient signs to revoke.
    function revokeDigest(RevokeRequest calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REVOKE_TYPEHASH, r.consentId, r.patient, r.nonce, r.deadline)));
    }

    /// @notice The EIP-712 digest an account's current signer signs to hand over to `newSigner`.
    function rotateSignerDigest(address account, address newSigner, uint64 nonce, uint64 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(ROTATE_SIGNER_TYPEHASH, account, newSigner, nonce, deadline)));
    }

    /// @notice The EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    function _grant(GrantRequest calldata g) private {
        bytes32 id = g.consentId;
        if (id == bytes32(0) || g.patient == address(0) || g.grantee == address(0)) revert InvalidConsent(id);
        if (g.validFrom >= g.validUntil || g.validUntil > type(uint40).max) revert InvalidValidity(id);
        _checkSignature(id, g.patient, g.nonce, g.deadline, grantDigest(g), g.signatureR, g.signatureVs);
        Consent storage c = _consents[consentKey(g.patient, id)];
        if (c.parties != bytes20(0)) revert ConsentExists(id);
        c.parties = partiesCommitment(g.patient, g.grantee, g.scopeHash);
        c.validFrom = uint40(g.validFrom);
        c.validUntil = uint40(g.validUntil);
        emit ConsentGranted(id, g.patient, g.grantee, g.scopeHash, g.validFrom, g.validUntil);
    }

    function _revoke(RevokeRequest calldata r) private {
        bytes32 id = r.consentId;
        _checkSignature(id, r.patient, r.nonce, r.deadline, revokeDigest(r), r.signatureR, r.signatureVs);
        Consent storage c = _consents[consentKey(r.patient, id)];
        bytes20 parties = c.parties;
        if (parties == bytes20(0)) revert ConsentUnknown(id);
        if (parties != partiesCommitment(r.patient, r.grantee, r.scopeHash)) revert PartiesMismatch(id);
        if (c.revoked) revert ConsentAlreadyRevoked(id);
        c.revoked = true;
        emit ConsentRevoked(id, r.patient, r.grantee);
    }

    function _checkSignature(
        bytes32 id,
        address patient,
        uint64 nonce,
        uint64 deadline,
        bytes32 digest,
        bytes32 sigR,
        bytes32 sigVs
    ) private view {
        if (block.timestamp > deadline) revert SignatureExpired(id);
        Account storage a = _accounts[patient];
        (address stored, uint64 current) = (a.signer, a.nonce);
        if (nonce != current) revert StaleNonce(id);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, sigR, sigVs);
        if (err != ECDSA.RecoverError.NoError || signer != _signer(patient, stored)) revert InvalidSignature(id);
    }

    function _signer(address account, address stored) private pure returns (address) {
        return stored == address(0) ? account : stored;
    }
}
