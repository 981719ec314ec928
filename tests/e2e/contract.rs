//! The real ConsentRegistry on a real Anvil chain, driven from Rust: Merkle proofs built in Rust
//! verify in Solidity, and EIP-712 signatures made in Rust are accepted only from the patient.

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use pramana_core::chain::ConsentRegistry::{self, ConsentRegistryErrors};
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke, domain};
use pramana_core::merkle::{MerkleTree, document_leaf};
use pramana_tests::{ANVIL_KEY_0, spawn_anvil};
use sha2::{Digest, Sha256};

/// The revert of a failed call, decoded into the contract's errors.
fn revert_of<T: std::fmt::Debug>(r: Result<T, alloy::contract::Error>) -> ConsentRegistryErrors {
    let err = r.expect_err("the call should revert");
    err.as_decoded_interface_error::<ConsentRegistryErrors>().unwrap_or_else(|| panic!("undecodable revert: {err}"))
}

#[tokio::test]
async fn rust_merkle_proofs_verify_in_the_contract() {
    let anvil = spawn_anvil().await.unwrap();
    let operator: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(operator.clone())).connect_http(anvil.url.parse().unwrap());
    let reg = ConsentRegistry::deploy(&provider, operator.address()).await.unwrap();
    reg.setAnchorer(operator.address(), true).send().await.unwrap().get_receipt().await.unwrap();

    let docs: Vec<([u8; 32], [u8; 32])> =
        (0..7u8).map(|i| (rand::random(), Sha256::digest([b'd', i]).into())).collect();
    let leaves: Vec<[u8; 32]> = docs.iter().map(|(salt, sha)| document_leaf(salt, sha)).collect();
    let tree = MerkleTree::new(&leaves).unwrap();
    let root = B256::from(tree.root());
    let receipt = reg.anchor(root, 7).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());

    for (i, (salt, sha)) in docs.iter().enumerate() {
        let proof: Vec<B256> = tree.proof(i).unwrap().into_iter().map(B256::from).collect();
        let leaf = reg.documentLeaf(B256::from(*salt), B256::from(*sha)).call().await.unwrap();
        assert_eq!(leaf, B256::from(leaves[i]), "Rust and Solidity agree on the leaf");
        let out = reg.verifyDocument(root, B256::from(*salt), B256::from(*sha), proof.clone()).call().await.unwrap();
        assert!(out.verified, "leaf {i}");
        assert_eq!(out.blockNumber, receipt.block_number.unwrap());
        let wrong = reg.verifyDocument(root, B256::from(*salt), B256::repeat_byte(9), proof).call().await.unwrap();
        assert!(!wrong.verified);
    }
    // Anchoring the same root again is the distinct error the worker treats as success.
    assert!(matches!(revert_of(reg.anchor(root, 7).call().await), ConsentRegistryErrors::RootAlreadyAnchored(_)));
}

#[tokio::test]
async fn rust_signed_grants_are_accepted_only_from_the_patient() {
    let anvil = spawn_anvil().await.unwrap();
    let relayer: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(relayer.clone())).connect_http(anvil.url.parse().unwrap());
    let reg = ConsentRegistry::deploy(&provider, relayer.address()).await.unwrap();
    let chain_id = provider.get_chain_id().await.unwrap();
    let d = domain(chain_id, *reg.address());

    let patient = ConsentSigner::random();
    let hospital = Address::repeat_byte(0x42);
    let scope = B256::repeat_byte(0x5c);
    let now = provider.get_block_by_number(Default::default()).await.unwrap().unwrap().header.timestamp;
    let grant = Grant {
        consentId: B256::repeat_byte(1),
        patient: patient.address(),
        grantee: hospital,
        scopeHash: scope,
        validFrom: now,
        validUntil: now + 86_400,
        nonce: reg.nonces(patient.address()).call().await.unwrap(),
        deadline: now + 3_600,
    };

    // Signed by someone else in the patient's name: rejected.
    let forged = ConsentSigner::random().sign_grant(grant.clone(), &d).unwrap();
    assert!(matches!(
        revert_of(reg.grantConsent(forged.to_request()).call().await),
        ConsentRegistryErrors::InvalidSignature(_)
    ));

    // The patient's own signature, relayed by the operator: accepted.
    let signed = patient.sign_grant(grant.clone(), &d).unwrap();
    signed.verify(&d).unwrap();
    let receipt = reg.grantConsent(signed.to_request()).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(reg.consentStatus(grant.consentId).call().await.unwrap(), 1, "Active");
    assert!(reg.isConsentActive(grant.consentId, patient.address(), hospital, scope).call().await.unwrap());

    // Replaying the same signed grant: rejected.
    assert!(matches!(
        revert_of(reg.grantConsent(signed.to_request()).call().await),
        ConsentRegistryErrors::ConsentExists(_)
    ));

    // Revocation: only the patient, only once.
    let revoke = Revoke { consentId: grant.consentId, patient: patient.address(), nonce: 0, deadline: now + 3_600 };
    let forged = ConsentSigner::random().sign_revoke(revoke.clone(), &d).unwrap();
    assert!(matches!(
        revert_of(reg.revokeConsent(forged.to_request(hospital, scope)).call().await),
        ConsentRegistryErrors::InvalidSignature(_)
    ));
    let signed = patient.sign_revoke(revoke, &d).unwrap();
    let receipt =
        reg.revokeConsent(signed.to_request(hospital, scope)).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(reg.consentStatus(grant.consentId).call().await.unwrap(), 4, "Revoked");
    assert!(matches!(
        revert_of(reg.revokeConsent(signed.to_request(hospital, scope)).call().await),
        ConsentRegistryErrors::ConsentAlreadyRevoked(_)
    ));
}
