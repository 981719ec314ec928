//! ABHA (Ayushman Bharat Health Account) identifiers: the 14-digit number and the `name@abdm`
//! address. Both can only be built through `parse`, so a value of these types is always valid.

use std::fmt;
use std::str::FromStr;

use crate::error::{Result, ValidationError};

/// A 14-digit ABHA number whose last digit is a Luhn check digit. Stored as the 14 digits;
/// displayed as `XX-XXXX-XXXX-XXXX`. No prefix is required (older numbers start 43 or 25, newer
/// ones 91).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbhaNumber([u8; 14]);

impl AbhaNumber {
    /// Parses `12345678901234` or `12-3456-7890-1234`. Hyphens are accepted only in the display
    /// positions, so `1-2345…` is rejected rather than silently accepted.
    pub fn parse(input: &str) -> Result<Self> {
        let bytes = input.trim().as_bytes();
        let digits: Vec<u8> = match bytes.len() {
            14 => bytes.to_vec(),
            17 if [2, 7, 12].iter().all(|&i| bytes[i] == b'-') => {
                bytes.iter().enumerate().filter(|(i, _)| ![2, 7, 12].contains(i)).map(|(_, b)| *b).collect()
            }
            _ => return Err(ValidationError::AbhaNumberFormat),
        };
        let mut out = [0u8; 14];
        for (slot, b) in out.iter_mut().zip(&digits) {
            if !b.is_ascii_digit() {
                return Err(ValidationError::AbhaNumberFormat);
            }
            *slot = *b;
        }
        if !luhn_valid(&out) {
            return Err(ValidationError::AbhaNumberCheckDigit);
        }
        Ok(Self(out))
    }

    /// Completes 13 digits with their Luhn check digit (used to make test and demo numbers).
    pub fn from_body(body: &[u8; 13]) -> Result<Self> {
        let mut out = [0u8; 14];
        out[..13].copy_from_slice(body);
        if !out[..13].iter().all(u8::is_ascii_digit) {
            return Err(ValidationError::AbhaNumberFormat);
        }
        out[13] = b'0' + luhn_check_digit(&out[..13]);
        Ok(Self(out))
    }

    /// The normalised form: 14 digits, no separators. This is what is stored.
    pub fn as_digits(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ABHA number holds ASCII digits only")
    }

    /// The display form `XX-XXXX-XXXX-XXXX`.
    pub fn hyphenated(&self) -> String {
        let d = self.as_digits();
        format!("{}-{}-{}-{}", &d[0..2], &d[2..6], &d[6..10], &d[10..14])
    }
}

/// Luhn check over ASCII digits, the last of which is the check digit.
fn luhn_valid(digits: &[u8]) -> bool {
    let (body, check) = digits.split_at(digits.len() - 1);
    luhn_check_digit(body) == check[0] - b'0'
}

/// The Luhn check digit for a body of ASCII digits.
fn luhn_check_digit(body: &[u8]) -> u8 {
    // Walk from the right; the digit next to the (future) check digit is doubled.
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl fmt::Display for AbhaNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hyphenated())
    }
}

serde_via_parse!(AbhaNumber);

impl fmt::Debug for AbhaNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An ABHA number is personal data: logs see only its last four digits.
        write!(f, "AbhaNumber(**-****-****-{})", &self.as_digits()[10..])
    }
}

impl FromStr for AbhaNumber {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// An ABHA address such as `asha.rao@abdm` (production) or `asha_rao@sbx` (sandbox). Stored in
/// lower case. Validated no more strictly than ABDM: letters, digits, `.` and `_`, not starting
/// with `.`, 1 to 64 characters before the `@`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbhaAddress(String);

/// The ABHA address domains: production and sandbox.
pub const ABHA_ADDRESS_DOMAINS: [&str; 2] = ["abdm", "sbx"];

impl AbhaAddress {
    /// Parses and lower-cases an ABHA address.
    pub fn parse(input: &str) -> Result<Self> {
        let lower = input.trim().to_ascii_lowercase();
        let (name, domain) = lower.split_once('@').ok_or(ValidationError::AbhaAddress)?;
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
        if !name_ok || !ABHA_ADDRESS_DOMAINS.contains(&domain) {
            return Err(ValidationError::AbhaAddress);
        }
        Ok(Self(lower))
    }

    /// The normalised (lower-case) address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `@sbx` (ABDM sandbox) addresses.
    pub fn is_sandbox(&self) -> bool {
        self.0.ends_with("@sbx")
    }
}

impl fmt::Display for AbhaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serde_via_parse!(AbhaAddress);

impl fmt::Debug for AbhaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AbhaAddress(<redacted>)")
    }
}

impl FromStr for AbhaAddress {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers_round_trip() {
        // 9123456789012 + Luhn digit.
        let n = AbhaNumber::from_body(b"9123456789012").unwrap();
        let digits = n.as_digits().to_owned();
        assert_eq!(AbhaNumber::parse(&digits).unwrap(), n);
        assert_eq!(AbhaNumber::parse(&n.hyphenated()).unwrap(), n);
        assert_eq!(n.hyphenated().len(), 17);
        assert_eq!(&n.hyphenated()[..8], "91-2345-");
    }

    #[test]
    fn luhn_matches_the_textbook_example() {
        // The classic Luhn example: 7992739871 has check digit 3.
        assert_eq!(luhn_check_digit(b"7992739871"), 3);
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
    }

    #[test]
    fn rejects_bad_numbers() {
        let good = AbhaNumber::from_body(b"4312345678901").unwrap();
        let d = good.as_digits();
        let wrong_check = format!("{}{}", &d[..13], (d.as_bytes()[13] - b'0' + 1) % 10);
        assert_eq!(AbhaNumber::parse(&wrong_check), Err(ValidationError::AbhaNumberCheckDigit));
        for bad in [
            "",
            "1234",
            &d[..13],
            "4312345678901a",
            "43-1234-5678-901",
            "4-31234-5678-9012",
            "43 1234 5678 9012",
            "٤٣١٢٣٤٥٦٧٨٩٠١٢",
        ] {
            assert_eq!(AbhaNumber::parse(bad), Err(ValidationError::AbhaNumberFormat), "{bad}");
        }
    }

    #[test]
    fn serde_uses_the_display_form_and_validates() {
        let n = AbhaNumber::from_body(b"9123456789012").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, format!("\"{}\"", n.hyphenated()));
        assert_eq!(serde_json::from_str::<AbhaNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<AbhaNumber>("\"91-2345-6789-0120\"").is_err());
        assert!(serde_json::from_str::<AbhaAddress>("\"x@gmail.com\"").is_err());
    }

    #[test]
    fn debug_hides_the_number() {
        let n = AbhaNumber::from_body(b"2512345678901").unwrap();
        assert!(!format!("{n:?}").contains(&n.as_digits()[..10]));
    }

    #[test]
    fn abha_addresses() {
        for ok in ["asha.rao@abdm", "Asha_Rao@SBX", "a@abdm", "a1.b_2@sbx"] {
            assert!(AbhaAddress::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(AbhaAddress::parse("Asha@ABDM").unwrap().as_str(), "asha@abdm");
        for bad in
            ["", "@abdm", ".asha@abdm", "asha@gmail.com", "asha", "as ha@abdm", "asha-rao@abdm", "asha@abdm@abdm"]
        {
            assert_eq!(AbhaAddress::parse(bad), Err(ValidationError::AbhaAddress), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_body_gets_a_valid_number(body in "[0-9]{13}") {
            let body: [u8; 13] = body.as_bytes().try_into().unwrap();
            let n = AbhaNumber::from_body(&body).unwrap();
            prop_assert_eq!(AbhaNumber::parse(n.as_digits()).unwrap(), n);
            prop_assert_eq!(AbhaNumber::parse(&n.to_string()).unwrap(), n);
        }

        #[test]
        fn any_single_digit_change_is_caught(body in "[0-9]{13}", pos in 0usize..14, delta in 1u8..10) {
            let body: [u8; 13] = body.as_bytes().try_into().unwrap();
            let n = AbhaNumber::from_body(&body).unwrap();
            let mut digits = n.as_digits().as_bytes().to_vec();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert_eq!(AbhaNumber::parse(&changed), Err(ValidationError::AbhaNumberCheckDigit));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = AbhaNumber::parse(&s);
            let _ = AbhaAddress::parse(&s);
        }
    }
}
