// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ConsentRegistry} from "../src/ConsentRegistry.sol";

/// Shared fixtures: a registry, a patient key, a hospital, signing helpers.
abstract contract Fixture is Test {
    ConsentRegistry internal reg;
    address internal owner = makeAddr("owner");
    address internal anchorer = makeAddr("anchorer");
    address internal relayer = makeAddr("relayer");
    uint256 internal patientKey = 0xA11CE;
    address public patient;
    address internal hospital = makeAddr("hospital");
    bytes32 internal constant SCOPE = keccak256("CAREMGT|DiagnosticReport|2025-01-01..2026-01-01");

    function setUp() public virtual {
        reg = new ConsentRegistry(owner);
        vm.prank(owner);
        reg.setAnchorer(anchorer, true);
        patient = vm.addr(patientKey);
        vm.warp(1_800_000_000);
    }

    function compact(uint256 key, bytes32 digest) internal pure returns (bytes32 r, bytes32 vs) {
        (uint8 v, bytes32 r_, bytes32 s) = vm.sign(key, digest);
        r = r_;
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
    }

    function grantReq(bytes32 id, uint64 from, uint64 until)
        internal
        view
        returns (ConsentRegistry.GrantRequest memory g)
    {
        g = ConsentRegistry.GrantRequest({
            consentId: id,
            patient: patient,
            grantee: hospital,
            scopeHash: SCOPE,
            validFrom: from,
            validUntil: until,
            nonce: reg.nonces(patient),
            deadline: uint64(block.timestamp + 1 hours),
            signatureR: bytes32(0),
            signatureVs: bytes32(0)
        });
    }

    function signGrant(ConsentRegistry.GrantRequest memory g, uint256 key)
        internal
        view
        returns (ConsentRegistry.GrantRequest memory)
    {
        (g.signatureR, g.signatureVs) = compact(key, reg.grantDigest(g));
        return g;
    }

    function signedGrant(bytes32 id) internal view returns (ConsentRegistry.GrantRequest memory) {
        return signGrant(grantReq(id, uint64(block.timestamp), uint64(block.timestamp + 30 days)), patientKey);
    }

    function signedRevoke(bytes32 id, uint256 key) internal view returns (ConsentRegistry.RevokeRequest memory r) {
        r = ConsentRegistry.RevokeRequest({
            consentId: id,
            patient: patient,
            grantee: hospital,
            scopeHash: SCOPE,
            nonce: reg.nonces(patient),
            deadline: uint64(block.timestamp + 1 hours),
            signatureR: bytes32(0),
            signatureVs: bytes32(0)
        });
        (r.signatureR, r.signatureVs) = compact(key, reg.revokeDigest(r));
    }
}

contract AnchoringTest is Fixture {
    function test_anchorerAnchors() public {
        bytes32 root = keccak256("root");
        vm.expectEmit(address(reg));
        emit ConsentRegistry.RootAnchored(root, 64);
        vm.prank(anchorer);
        reg.anchor(root, 64);
        (uint64 ts, uint64 bn, uint64 n) = reg.anchoredAt(root);
        assertEq(ts, block.timestamp);
        assertEq(bn, block.number);
        assertEq(n, 64);
    }

    function test_onlyAnchorersAnchor() public {
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.NotAnchorer.selector, relayer));
        vm.prank(relayer);
        reg.anchor(keccak256("root"), 1);
        vm.prank(owner);
        reg.setAnchorer(anchorer, false);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.NotAnchorer.selector, anchorer));
        vm.prank(anchorer);
        reg.anchor(keccak256("root"), 1);
    }

    function testFuzz_strangersCannotAnchor(address who, bytes32 root) public {
        vm.assume(who != anchorer);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.NotAnchorer.selector, who));
        vm.prank(who);
        reg.anchor(root, 1);
    }

    function test_reanchoringRevertsDistinctly() public {
        bytes32 root = keccak256("root");
        vm.startPrank(anchorer);
        reg.anchor(root, 3);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.RootAlreadyAnchored.selector, root));
        reg.anchor(root, 3);
        vm.expectRevert(ConsentRegistry.InvalidRoot.selector);
        reg.anchor(bytes32(0), 3);
        vm.expectRevert(ConsentRegistry.InvalidRoot.selector);
        reg.anchor(keccak256("other"), 0);
        vm.stopPrank();
    }

    function test_onlyOwnerSetsAnchorersAndOwnershipIsTwoStep() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, relayer));
        vm.prank(relayer);
        reg.setAnchorer(relayer, true);
        address next = makeAddr("next");
        vm.prank(owner);
        reg.transferOwnership(next);
        assertEq(reg.owner(), owner, "ownership moves only when accepted");
        vm.prank(next);
        reg.acceptOwnership();
        assertEq(reg.owner(), next);
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function test_verifiesDocumentsInAnOpenZeppelinTree() public {
        // Three leaves in OpenZeppelin's array layout: tree = [root, n1, l2, l1, l0].
        bytes32[3] memory salts = [keccak256("s0"), keccak256("s1"), keccak256("s2")];
        bytes32[3] memory docs = [sha256("doc0"), sha256("doc1"), sha256("doc2")];
        bytes32 l0 = reg.documentLeaf(salts[0], docs[0]);
        bytes32 l1 = reg.documentLeaf(salts[1], docs[1]);
        bytes32 l2 = reg.documentLeaf(salts[2], docs[2]);
        bytes32 n1 = _pair(l1, l0);
        bytes32 root = _pair(n1, l2);
        vm.prank(anchorer);
        reg.anchor(root, 3);

        bytes32[] memory proof0 = new bytes32[](2);
        proof0[0] = l1;
        proof0[1] = l2;
        (bool ok, uint64 ts,) = reg.verifyDocument(root, salts[0], docs[0], proof0);
        assertTrue(ok);
        assertEq(ts, block.timestamp);
        bytes32[] memory proof2 = new bytes32[](1);
        proof2[0] = n1;
        (ok,,) = reg.verifyDocument(root, salts[2], docs[2], proof2);
        assertTrue(ok);
        assertTrue(reg.verifyLeaf(root, l2, proof2));

        (ok,,) = reg.verifyDocument(root, salts[1], docs[0], proof0);
        assertFalse(ok, "wrong document");
        (ok,,) = reg.verifyDocument(root, keccak256("guess"), docs[0], proof0);
        assertFalse(ok, "the salt is needed");
        (ok,,) = reg.verifyDocument(keccak256("unanchored"), salts[0], docs[0], proof0);
        assertFalse(ok, "unanchored root");
    }
}

contract ConsentTest is Fixture {
    bytes32 internal constant ID = keccak256("consent-1");

    function test_patientSignatureGrants() public {
        ConsentRegistry.GrantRequest memory g = signedGrant(ID);
        vm.expectEmit(address(reg));
        emit ConsentRegistry.ConsentGranted(ID, patient, hospital, SCOPE, g.validFrom, g.validUntil);
        vm.prank(relayer);
        reg.grantConsent(g);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Active));
        assertTrue(reg.isConsentActive(patient, ID, hospital, SCOPE));
        assertFalse(reg.isConsentActive(patient, ID, relayer, SCOPE), "another grantee");
        assertFalse(reg.isConsentActive(patient, ID, hospital, keccak256("other scope")), "another scope");
    }

    function testFuzz_onlyThePatientsSignatureGrants(uint256 otherKey) public {
        otherKey = bound(otherKey, 1, 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140);
        vm.assume(otherKey != patientKey);
        ConsentRegistry.GrantRequest memory g =
            signGrant(grantReq(ID, uint64(block.timestamp), uint64(block.timestamp + 1 days)), otherKey);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.grantConsent(g);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Unknown));
    }

    function test_aStrangerCannotSquatAPatientsConsentId() public {
        // The hospital knows the id before the patient decides; a stranger grants it first, signed
        // with its own throwaway key and an endless validity.
        uint256 strangerKey = 0x5EC;
        address stranger = vm.addr(strangerKey);
        ConsentRegistry.GrantRequest memory squat = grantReq(ID, uint64(block.timestamp), type(uint40).max);
        squat.patient = stranger;
        squat.nonce = reg.nonces(stranger);
        squat = signGrant(squat, strangerKey);
        reg.grantConsent(squat);
        assertEq(uint8(reg.consentStatus(stranger, ID)), uint8(ConsentRegistry.Status.Active), "the stranger's own");
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Unknown), "not the patient's");
        assertFalse(reg.isConsentActive(patient, ID, hospital, SCOPE));

        // The patient's own grant still succeeds and is the record read as the patient's.
        ConsentRegistry.GrantRequest memory g = signedGrant(ID);
        vm.prank(relayer);
        reg.grantConsent(g);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Active));
        assertTrue(reg.isConsentActive(patient, ID, hospital, SCOPE));
        (bytes20 parties,, uint40 until,) = reg.consentRecord(patient, ID);
        assertEq(parties, reg.partiesCommitment(patient, hospital, SCOPE));
        assertEq(until, g.validUntil, "the patient's validity, not the stranger's");

        // The patient's revocation ends the patient's consent; the stranger's record is separate.
        reg.revokeConsent(signedRevoke(ID, patientKey));
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Revoked));
        assertEq(uint8(reg.consentStatus(stranger, ID)), uint8(ConsentRegistry.Status.Active));
        assertFalse(reg.isConsentActive(patient, ID, hospital, SCOPE));
        assertEq(reg.consentKey(patient, ID), keccak256(abi.encode(patient, ID)));
    }

    function testFuzz_aStrangersKeyNeverWritesThePatientsRecord(uint256 strangerKey) public {
        strangerKey = bound(strangerKey, 1, 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140);
        vm.assume(strangerKey != patientKey);
        // Naming the patient with another key is refused; naming itself writes only its own record.
        ConsentRegistry.GrantRequest memory g =
            signGrant(grantReq(ID, uint64(block.timestamp), uint64(block.timestamp + 1 days)), strangerKey);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.grantConsent(g);
        g.patient = vm.addr(strangerKey);
        g = signGrant(g, strangerKey);
        reg.grantConsent(g);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Unknown));
    }

    function test_tamperedFieldsBreakTheSignature() public {
        ConsentRegistry.GrantRequest memory g = signedGrant(ID);
        g.grantee = relayer;
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.grantConsent(g);
        g = signedGrant(ID);
        g.validUntil += 1;
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.grantConsent(g);
    }

    function test_replaysAreRejected() public {
        ConsentRegistry.GrantRequest memory g = signedGrant(ID);
        reg.grantConsent(g);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.ConsentExists.selector, ID));
        reg.grantConsent(g);
        ConsentRegistry.RevokeRequest memory r = signedRevoke(ID, patientKey);
        reg.revokeConsent(r);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.ConsentAlreadyRevoked.selector, ID));
        reg.revokeConsent(r);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.ConsentExists.selector, ID));
        reg.grantConsent(g);
    }

    function test_anotherChainOrContractSignatureIsRejected() public {
        ConsentRegistry other = new ConsentRegistry(owner);
        ConsentRegistry.GrantRequest memory g = grantReq(ID, uint64(block.timestamp), uint64(block.timestamp + 1 days));
        (g.signatureR, g.signatureVs) = compact(patientKey, other.grantDigest(g));
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.grantConsent(g);
        // A constant, not block.chainid: the IR pipeline may read that after the switch below.
        uint256 chain = 31_337;
        assertEq(block.chainid, chain);
        g = grantReq(ID, uint64(block.timestamp), uint64(block.timestamp + 1 days));
        vm.chainId(chain + 1);
        (g.signatureR, g.signatureVs) = compact(patientKey, reg.grantDigest(g));
        vm.chainId(chain);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.grantConsent(g);
    }

    function test_incrementNonceCancelsOutstandingSignatures() public {
        ConsentRegistry.GrantRequest memory g = signedGrant(ID);
        vm.expectEmit(address(reg));
        emit ConsentRegistry.NonceIncremented(patient, 1);
        vm.prank(patient);
        reg.incrementNonce(patient);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.StaleNonce.selector, ID));
        reg.grantConsent(g);
        reg.grantConsent(signedGrant(ID));
    }

    function test_deadlineAndValidityAreChecked() public {
        ConsentRegistry.GrantRequest memory g = signedGrant(ID);
        vm.warp(g.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.SignatureExpired.selector, ID));
        reg.grantConsent(g);
        g = signGrant(grantReq(ID, uint64(block.timestamp + 10), uint64(block.timestamp + 10)), patientKey);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidValidity.selector, ID));
        reg.grantConsent(g);
        g = signGrant(grantReq(bytes32(0), uint64(block.timestamp), uint64(block.timestamp + 10)), patientKey);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidConsent.selector, bytes32(0)));
        reg.grantConsent(g);
    }

    function testFuzz_expiryIsHonoured(uint32 startIn, uint32 length, uint32 at) public {
        length = uint32(bound(length, 1, type(uint32).max));
        uint64 from = uint64(block.timestamp) + startIn;
        uint64 until = from + length;
        reg.grantConsent(signGrant(grantReq(ID, from, until), patientKey));
        uint256 t = block.timestamp + at;
        vm.warp(t);
        ConsentRegistry.Status s = reg.consentStatus(patient, ID);
        if (t < from) assertEq(uint8(s), uint8(ConsentRegistry.Status.NotYetValid));
        else if (t >= until) assertEq(uint8(s), uint8(ConsentRegistry.Status.Expired));
        else assertEq(uint8(s), uint8(ConsentRegistry.Status.Active));
    }

    function test_onlyThePatientRevokes() public {
        reg.grantConsent(signedGrant(ID));
        ConsentRegistry.RevokeRequest memory r = signedRevoke(ID, 0xB0B);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.revokeConsent(r);
        r = signedRevoke(ID, patientKey);
        r.grantee = relayer;
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.PartiesMismatch.selector, ID));
        reg.revokeConsent(r);
        r = signedRevoke(ID, patientKey);
        vm.expectEmit(address(reg));
        emit ConsentRegistry.ConsentRevoked(ID, patient, hospital);
        reg.revokeConsent(r);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Revoked));
        ConsentRegistry.RevokeRequest memory unknown = signedRevoke(keccak256("nope"), patientKey);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.ConsentUnknown.selector, keccak256("nope")));
        reg.revokeConsent(unknown);
    }

    function test_revokedStaysRevokedAfterExpiry() public {
        reg.grantConsent(signedGrant(ID));
        reg.revokeConsent(signedRevoke(ID, patientKey));
        vm.warp(block.timestamp + 365 days);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Revoked));
    }

    function test_batchesAreAllOrNothing() public {
        ConsentRegistry.GrantRequest[] memory gs = new ConsentRegistry.GrantRequest[](3);
        for (uint256 i; i < 3; ++i) {
            gs[i] = signedGrant(keccak256(abi.encode("batch", i)));
        }
        gs[2].grantee = relayer; // breaks its signature
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, gs[2].consentId));
        reg.grantConsents(gs);
        assertEq(uint8(reg.consentStatus(patient, gs[0].consentId)), uint8(ConsentRegistry.Status.Unknown));
        gs[2] = signedGrant(gs[2].consentId);
        reg.grantConsents(gs);
        ConsentRegistry.RevokeRequest[] memory rs = new ConsentRegistry.RevokeRequest[](3);
        for (uint256 i; i < 3; ++i) {
            rs[i] = signedRevoke(gs[i].consentId, patientKey);
        }
        reg.revokeConsents(rs);
        for (uint256 i; i < 3; ++i) {
            assertEq(uint8(reg.consentStatus(patient, gs[i].consentId)), uint8(ConsentRegistry.Status.Revoked));
        }
        vm.expectRevert(ConsentRegistry.EmptyBatch.selector);
        reg.grantConsents(new ConsentRegistry.GrantRequest[](0));
    }
}

/// A patient whose signing key changed: the account stays, its signer rotates.
contract SignerRotationTest is Fixture {
    bytes32 internal constant ID = keccak256("consent-1");
    uint256 internal newKey = 0xB0B2;
    address internal newSigner;

    function setUp() public override {
        super.setUp();
        newSigner = vm.addr(newKey);
    }

    function signedRotation(uint256 key, address next)
        internal
        view
        returns (uint64 nonce, uint64 deadline, bytes32 r, bytes32 vs)
    {
        nonce = reg.nonces(patient);
        deadline = uint64(block.timestamp + 1 hours);
        (r, vs) = compact(key, reg.rotateSignerDigest(patient, next, nonce, deadline));
    }

    function rotate(uint256 key, address next) internal {
        (uint64 nonce, uint64 deadline, bytes32 r, bytes32 vs) = signedRotation(key, next);
        vm.prank(relayer);
        reg.rotateSigner(patient, next, nonce, deadline, r, vs);
    }

    function test_theNewKeyRevokesAConsentGrantedUnderTheOldOne() public {
        reg.grantConsent(signedGrant(ID));
        assertEq(reg.signerOf(patient), patient, "an account signs with its own key until rotated");
        (uint64 nonce, uint64 deadline, bytes32 r, bytes32 vs) = signedRotation(patientKey, newSigner);
        vm.expectEmit(address(reg));
        emit ConsentRegistry.SignerRotated(patient, newSigner, nonce + 1);
        reg.rotateSigner(patient, newSigner, nonce, deadline, r, vs);
        assertEq(reg.signerOf(patient), newSigner);
        assertEq(reg.nonces(patient), nonce + 1, "a rotation consumes the nonce");

        ConsentRegistry.RevokeRequest memory byOldKey = signedRevoke(ID, patientKey);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, ID));
        reg.revokeConsent(byOldKey);
        ConsentRegistry.RevokeRequest memory byNewKey = signedRevoke(ID, newKey);
        vm.expectEmit(address(reg));
        emit ConsentRegistry.ConsentRevoked(ID, patient, hospital);
        reg.revokeConsent(byNewKey);
        assertEq(uint8(reg.consentStatus(patient, ID)), uint8(ConsentRegistry.Status.Revoked));

        // Grants for the account are now signed by the new key only.
        bytes32 next = keccak256("consent-2");
        ConsentRegistry.GrantRequest memory old = signedGrant(next);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, next));
        reg.grantConsent(old);
        reg.grantConsent(signGrant(grantReq(next, uint64(block.timestamp), uint64(block.timestamp + 1 days)), newKey));
        assertEq(uint8(reg.consentStatus(patient, next)), uint8(ConsentRegistry.Status.Active));
    }

    function test_onlyTheCurrentSignerRotates() public {
        uint256 strangerKey = 0x5EC;
        (uint64 nonce, uint64 deadline, bytes32 r, bytes32 vs) = signedRotation(strangerKey, vm.addr(strangerKey));
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.RotationInvalidSignature.selector, patient));
        reg.rotateSigner(patient, vm.addr(strangerKey), nonce, deadline, r, vs);
        assertEq(reg.signerOf(patient), patient);

        rotate(patientKey, newSigner);
        // The old key has no say any more, and the used rotation cannot be replayed.
        (nonce, deadline, r, vs) = signedRotation(patientKey, patient);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.RotationInvalidSignature.selector, patient));
        reg.rotateSigner(patient, patient, nonce, deadline, r, vs);
        (uint64 n0, uint64 d0, bytes32 r0, bytes32 vs0) = (nonce - 1, deadline, bytes32(0), bytes32(0));
        (r0, vs0) = compact(patientKey, reg.rotateSignerDigest(patient, newSigner, n0, d0));
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.RotationStaleNonce.selector, patient));
        reg.rotateSigner(patient, newSigner, n0, d0, r0, vs0);

        (nonce, deadline, r, vs) = signedRotation(newKey, newSigner);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.RotationExpired.selector, patient));
        reg.rotateSigner(patient, newSigner, nonce, deadline, r, vs);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSigner.selector, patient));
        reg.rotateSigner(patient, address(0), nonce, deadline, r, vs);
    }

    function test_onlyTheCurrentSignerBumpsTheNonce() public {
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.NotSigner.selector, patient, relayer));
        vm.prank(relayer);
        reg.incrementNonce(patient);
        rotate(patientKey, newSigner);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.NotSigner.selector, patient, patient));
        vm.prank(patient);
        reg.incrementNonce(patient);
        uint64 n = reg.nonces(patient);
        vm.prank(newSigner);
        reg.incrementNonce(patient);
        assertEq(reg.nonces(patient), n + 1);
    }
}

/// Drives random grants, revocations, re-grants and time jumps for the invariant test.
contract ConsentHandler is Fixture {
    bytes32[] public revoked;
    bytes32[] public granted;

    constructor(ConsentRegistry r) {
        reg = r;
        patient = vm.addr(patientKey);
    }

    function grant(uint256 seed) external {
        bytes32 id = keccak256(abi.encode(seed % 16));
        if (reg.consentStatus(patient, id) != ConsentRegistry.Status.Unknown) return;
        reg.grantConsent(signedGrant(id));
        granted.push(id);
    }

    function revoke(uint256 seed) external {
        if (granted.length == 0) return;
        bytes32 id = granted[seed % granted.length];
        if (reg.consentStatus(patient, id) == ConsentRegistry.Status.Revoked) return;
        reg.revokeConsent(signedRevoke(id, patientKey));
        revoked.push(id);
    }

    function regrant(uint256 seed) external {
        if (revoked.length == 0) return;
        bytes32 id = revoked[seed % revoked.length];
        try reg.grantConsent(signedGrant(id)) {} catch {}
    }

    function warp(uint32 secs) external {
        vm.warp(block.timestamp + secs);
    }

    function revokedCount() external view returns (uint256) {
        return revoked.length;
    }
}

contract ConsentInvariantTest is Test {
    ConsentRegistry internal reg;
    ConsentHandler internal handler;

    function setUp() public {
        reg = new ConsentRegistry(address(this));
        handler = new ConsentHandler(reg);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](4);
        selectors[0] = ConsentHandler.grant.selector;
        selectors[1] = ConsentHandler.revoke.selector;
        selectors[2] = ConsentHandler.regrant.selector;
        selectors[3] = ConsentHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_revokedStaysRevoked() public view {
        uint256 n = handler.revokedCount();
        for (uint256 i; i < n; ++i) {
            assertEq(
                uint8(reg.consentStatus(handler.patient(), handler.revoked(i))), uint8(ConsentRegistry.Status.Revoked)
            );
        }
    }
}
