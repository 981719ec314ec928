//! Everything the chain needs to agree on: `sol!` bindings generated from the checked-in
//! `abi/ConsentRegistry.json`, and the EIP-712 grant and revoke messages patients sign. With the
//! `rpc` feature the bindings also carry provider-backed call and send methods.

pub mod eip712;
#[cfg(feature = "rpc")]
pub mod history;

#[cfg(feature = "rpc")]
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ConsentRegistry,
    "../abi/ConsentRegistry.json"
);

#[cfg(not(feature = "rpc"))]
alloy::sol!(
    #[derive(Debug)]
    ConsentRegistry,
    "../abi/ConsentRegistry.json"
);

pub use eip712::{ConsentSigner, Grant, Revoke, RotateSigner, SignedGrant, SignedRevoke, SignedRotation, domain};
