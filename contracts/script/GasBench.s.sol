// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Script} from "forge-std/Script.sol";
import {ConsentRegistry} from "../src/ConsentRegistry.sol";

/// Sends one of each ConsentRegistry transaction to a live chain, so scripts/bench/gas.sh can read
/// the real `gasUsed` (base cost and calldata included) from the receipts.
contract GasBench is Script {
    uint256 internal constant PATIENT_KEY = 0xA11CE;
    address internal constant HOSPITAL = address(0x4057);
    bytes32 internal constant SCOPE = keccak256("CAREMGT|DiagnosticReport|2025-01-01..2026-01-01");
    uint256 internal constant BATCH = 10;

    ConsentRegistry internal reg;

    function run() external {
        uint256 key = vm.envUint("BENCH_PRIVATE_KEY");
        vm.startBroadcast(key);
        reg = new ConsentRegistry(vm.addr(key));
        reg.setAnchorer(vm.addr(key), true);
        reg.anchor(keccak256("root-1"), 64);
        reg.anchor(keccak256("root-2"), 1024);

        reg.grantConsent(_grant(keccak256("single")));
        ConsentRegistry.GrantRequest[] memory gs = new ConsentRegistry.GrantRequest[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            gs[i] = _grant(keccak256(abi.encode("batch", i)));
        }
        reg.grantConsents(gs);

        reg.revokeConsent(_revoke(keccak256("single")));
        ConsentRegistry.RevokeRequest[] memory rs = new ConsentRegistry.RevokeRequest[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            rs[i] = _revoke(keccak256(abi.encode("batch", i)));
        }
        reg.revokeConsents(rs);

        address account = vm.addr(PATIENT_KEY);
        uint64 deadline = uint64(block.timestamp + 1 days);
        (bytes32 sigR, bytes32 sigVs) = _compact(reg.rotateSignerDigest(account, HOSPITAL, 0, deadline));
        reg.rotateSigner(account, HOSPITAL, 0, deadline, sigR, sigVs);
        vm.stopBroadcast();
    }

    function _compact(bytes32 digest) internal pure returns (bytes32 r, bytes32 vs) {
        (uint8 v, bytes32 r_, bytes32 s) = vm.sign(PATIENT_KEY, digest);
        return (r_, bytes32(uint256(s) | (uint256(v - 27) << 255)));
    }

    function _grant(bytes32 id) internal view returns (ConsentRegistry.GrantRequest memory g) {
        g = ConsentRegistry.GrantRequest({
            consentId: id,
            patient: vm.addr(PATIENT_KEY),
            grantee: HOSPITAL,
            scopeHash: SCOPE,
            validFrom: uint64(block.timestamp),
            validUntil: uint64(block.timestamp + 180 days),
            nonce: 0,
            deadline: uint64(block.timestamp + 1 days),
            signatureR: bytes32(0),
            signatureVs: bytes32(0)
        });
        (g.signatureR, g.signatureVs) = _compact(reg.grantDigest(g));
    }

    function _revoke(bytes32 id) internal view returns (ConsentRegistry.RevokeRequest memory r) {
        r = ConsentRegistry.RevokeRequest({
            consentId: id,
            patient: vm.addr(PATIENT_KEY),
            grantee: HOSPITAL,
            scopeHash: SCOPE,
            nonce: 0,
            deadline: uint64(block.timestamp + 1 days),
            signatureR: bytes32(0),
            signatureVs: bytes32(0)
        });
        (r.signatureR, r.signatureVs) = _compact(reg.revokeDigest(r));
    }
}
