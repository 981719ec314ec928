//! The real ConsentRegistry on a real Anvil chain, driven from Rust: Merkle proofs built in Rust
//! verify in Solidity, and EIP-712 signatures made in Rust are accepted only from the patient's
//! current key; a patient who rotated their key revokes with the new one.

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use pramana_core::chain::ConsentRegistry::{self, ConsentRegistryErrors};
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke, RotateSigner, domain};
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
    assert_eq!(reg.consentStatus(patient.address(), grant.consentId).call().await.unwrap(), 1, "Active");
    assert!(reg.isConsentActive(patient.address(), grant.consentId, hospital, scope).call().await.unwrap());

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
    assert_eq!(reg.consentStatus(patient.address(), grant.consentId).call().await.unwrap(), 4, "Revoked");
    assert!(matches!(
        revert_of(reg.revokeConsent(signed.to_request(hospital, scope)).call().await),
        ConsentRegistryErrors::ConsentAlreadyRevoked(_)
    ));
}

/// A patient changes signing key: the rotation, signed by the key it replaces, is relayed by
/// anyone; a revocation signed by the new key then ends a consent granted under the old one. A
/// rotation signed by a stranger is refused, and the old key has no say any more.
#[tokio::test]
async fn a_patient_who_rotated_their_key_revokes_with_the_new_one() {
    let anvil = spawn_anvil().await.unwrap();
    let relayer: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(relayer.clone())).connect_http(anvil.url.parse().unwrap());
    let reg = ConsentRegistry::deploy(&provider, relayer.address()).await.unwrap();
    let d = domain(provider.get_chain_id().await.unwrap(), *reg.address());
    let now = provider.get_block_by_number(Default::default()).await.unwrap().unwrap().header.timestamp;
    let (old_key, new_key, stranger) = (ConsentSigner::random(), ConsentSigner::random(), ConsentSigner::random());
    let account = old_key.address();
    let (hospital, scope) = (Address::repeat_byte(0x42), B256::repeat_byte(0x5c));
    let grant = Grant {
        consentId: B256::repeat_byte(1),
        patient: account,
        grantee: hospital,
        scopeHash: scope,
        validFrom: now,
        validUntil: now + 86_400,
        nonce: 0,
        deadline: now + 3_600,
    };
    let signed = old_key.sign_grant(grant, &d).unwrap();
    assert!(reg.grantConsent(signed.to_request()).send().await.unwrap().get_receipt().await.unwrap().status());

    // A stranger's hand-over of the account to itself: refused, nothing changes.
    let to_stranger = RotateSigner { account, newSigner: stranger.address(), nonce: 0, deadline: now + 3_600 };
    let forged = stranger.sign_rotation(to_stranger, &d).unwrap();
    assert!(matches!(
        revert_of(rotate(&reg, &forged.to_call()).call().await),
        ConsentRegistryErrors::RotationInvalidSignature(_)
    ));
    assert_eq!(reg.signerOf(account).call().await.unwrap(), account);

    // The patient's own rotation, relayed by the operator.
    let rotation = RotateSigner { account, newSigner: new_key.address(), nonce: 0, deadline: now + 3_600 };
    let signed = old_key.sign_rotation(rotation, &d).unwrap();
    signed.verify(&d, account).unwrap();
    let receipt = rotate(&reg, &signed.to_call()).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(reg.signerOf(account).call().await.unwrap(), new_key.address());
    assert_eq!(reg.nonces(account).call().await.unwrap(), 1, "the rotation consumed the nonce");

    // The old key can no longer revoke; the new one can, for the consent granted under the old.
    let revoke = Revoke { consentId: B256::repeat_byte(1), patient: account, nonce: 1, deadline: now + 3_600 };
    let by_old = old_key.sign_revoke(revoke.clone(), &d).unwrap();
    assert!(matches!(
        revert_of(reg.revokeConsent(by_old.to_request(hospital, scope)).call().await),
        ConsentRegistryErrors::InvalidSignature(_)
    ));
    let by_new = new_key.sign_revoke(revoke, &d).unwrap();
    let receipt =
        reg.revokeConsent(by_new.to_request(hospital, scope)).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(reg.consentStatus(account, B256::repeat_byte(1)).call().await.unwrap(), 4, "Revoked");
    // The used rotation cannot be replayed.
    assert!(matches!(
        revert_of(rotate(&reg, &signed.to_call()).call().await),
        ConsentRegistryErrors::RotationStaleNonce(_) | ConsentRegistryErrors::RotationInvalidSignature(_)
    ));
}

/// The registry's `rotateSigner` call with `c`'s arguments.
fn rotate<'a, P: Provider>(
    reg: &'a ConsentRegistry::ConsentRegistryInstance<P>,
    c: &ConsentRegistry::rotateSignerCall,
) -> alloy::contract::SolCallBuilder<&'a P, ConsentRegistry::rotateSignerCall> {
    reg.rotateSigner(c.account, c.newSigner, c.nonce, c.deadline, c.signatureR, c.signatureVs)
}
