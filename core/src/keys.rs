//! Public keys a principal registers: an X25519 key that receives wrapped data keys, and an
//! Ethereum address that signs consent grants and revocations.

use std::fmt;

use sha3::{Digest, Keccak256};

use crate::error::{Result, ValidationError};

/// An X25519 public key (32 bytes). Low-order points, which would make every shared secret
/// predictable, are refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct X25519PublicKey(pub [u8; 32]);

/// Encodings of the X25519 points of small order (and their non-canonical twins), which yield
/// an all-zero or predictable shared secret. From the curve25519 "blocklist" used by libsodium.
const LOW_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    },
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09,
        0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44,
        0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
];

impl X25519PublicKey {
    /// Parses 64 hex digits.
    pub fn parse(input: &str) -> Result<Self> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(input.trim(), &mut key).map_err(|_| ValidationError::X25519Key)?;
        // Compare with the top bit cleared, as X25519 ignores it.
        let mut masked = key;
        masked[31] &= 0x7f;
        if LOW_ORDER.iter().any(|bad| {
            let mut b = *bad;
            b[31] &= 0x7f;
            b == masked
        }) {
            return Err(ValidationError::X25519Key);
        }
        Ok(Self(key))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for X25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X25519PublicKey({})", self.to_hex())
    }
}

/// A 20-byte Ethereum address. Mixed-case input must carry a valid EIP-55 checksum.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EthAddress(pub [u8; 20]);

impl EthAddress {
    /// Parses `0x` + 40 hex digits.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        let hex_part = s.strip_prefix("0x").ok_or(ValidationError::EthAddress)?;
        let mut bytes = [0u8; 20];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| ValidationError::EthAddress)?;
        let addr = Self(bytes);
        let mixed =
            hex_part.bytes().any(|b| b.is_ascii_lowercase()) && hex_part.bytes().any(|b| b.is_ascii_uppercase());
        if mixed && addr.to_checksum() != s {
            return Err(ValidationError::EthAddress);
        }
        Ok(addr)
    }

    /// `0x` + 40 lower-case hex digits (the stored form).
    pub fn to_lower_hex(&self) -> String {
        crate::hex0x(self.0)
    }

    /// The EIP-55 mixed-case form.
    pub fn to_checksum(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = Keccak256::digest(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (i, c) in lower.chars().enumerate() {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
            out.push(if nibble >= 8 { c.to_ascii_uppercase() } else { c });
        }
        out
    }
}

impl fmt::Display for EthAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

serde_via_parse!(EthAddress);

impl fmt::Debug for EthAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EthAddress({})", self.to_checksum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_examples() {
        // From EIP-55.
        for a in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let addr = EthAddress::parse(a).unwrap();
            assert_eq!(addr.to_checksum(), a);
            assert!(EthAddress::parse(&a.to_lowercase()).is_ok());
        }
        assert!(EthAddress::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").is_err(), "bad checksum");
        assert!(EthAddress::parse("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").is_err());
        assert!(EthAddress::parse("0x1234").is_err());
    }

    #[test]
    fn x25519_keys() {
        let k = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
        assert_eq!(X25519PublicKey::parse(k).unwrap().to_hex(), k);
        assert!(X25519PublicKey::parse(&"00".repeat(32)).is_err());
        assert!(X25519PublicKey::parse(&format!("01{}", "00".repeat(31))).is_err());
        assert!(X25519PublicKey::parse(&format!("{}ff", "ff".repeat(31))).is_ok());
        assert!(X25519PublicKey::parse("abcd").is_err());
    }
}
