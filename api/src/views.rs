//! Stored rows as the API shows them: the one place a consent or a document becomes its wire
//! view, shared by the handlers and the export (which puts the same views in its archive).

use alloy::primitives::Address;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use pramana_core::consent::chain_consent_id;
use pramana_core::envelope::{self, Header};
use pramana_core::{EthAddress, hex0x};
use pramana_server::store::consents::ConsentRow;
use pramana_server::store::documents::{DocumentRow, HeaderVersionRow};
use pramana_server::store::relay::{ChainEventState, EventKind};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use pramana_wire::{
    ChainView, ConsentView, DateRange, DocumentView, Frequency, GrantSignatureView, HeaderVersionView, RelayView,
};

/// The view of consent `c` with its chain state (`chain` may hold other consents' states too).
pub fn consent_view(c: ConsentRow, chain: &[ChainEventState], now: DateTime<Utc>) -> ConsentView {
    ConsentView {
        chain_consent_id: chain_id_hex(c.id),
        scope_hash: hex0x(c.scope().hash()),
        status: c.status_at(now).code().to_owned(),
        chain: chain_view(c.id, chain),
        id: c.id,
        patient_id: c.patient_id,
        hospital_id: c.hospital_id,
        purpose: c.purpose.code().to_owned(),
        hi_types: c.hi_types.iter().map(|t| t.code().to_owned()).collect(),
        access_mode: c.access_mode.code().to_owned(),
        date_range: DateRange { from: c.date_from, to: c.date_to },
        data_erase_at: c.data_erase_at,
        // Both fit: the store reads them from `integer` columns.
        frequency: Frequency {
            unit: c.frequency_unit,
            value: i32::try_from(c.frequency_value).unwrap_or(i32::MAX),
            repeats: i32::try_from(c.frequency_repeats).unwrap_or(i32::MAX),
        },
        expires_at: c.request_expires_at,
        created_at: c.created_at,
        decided_at: c.decided_at,
        patient_address: c.patient_address.map(checksum),
        grantee_address: c.grantee_address.map(checksum),
        valid_from: c.valid_from,
        grant_signature: c.grant.map(|g| GrantSignatureView {
            nonce: g.nonce,
            deadline: g.deadline,
            signature: hex0x(g.signature),
        }),
    }
}

/// The relay state of consent `id`'s grant and revocation.
pub fn chain_view(id: Uuid, states: &[ChainEventState]) -> ChainView {
    let relay = |kind: EventKind| {
        states.iter().find(|e| e.consent_id == id && e.kind == kind.code()).map(|e| RelayView {
            state: e.state.clone(),
            tx_hash: e.tx_hash.as_deref().map(hex0x),
            block_number: e.block_number,
            failure: e.failure.clone(),
            set_aside: e.set_aside_reason.clone(),
            retry_at: e.next_attempt_at,
        })
    };
    ChainView { grant: relay(EventKind::Grant), revoke: relay(EventKind::Revoke) }
}

/// The consent's id on chain, `0x`-hex.
pub fn chain_id_hex(id: Uuid) -> String {
    hex0x(chain_consent_id(&id))
}

/// An address as EIP-55 text.
pub fn checksum(a: EthAddress) -> String {
    Address::from(a.0).to_checksum(None)
}

/// Bytes of the envelope as downloaded (header and payload); 0 payload once deleted.
pub fn envelope_size(d: &DocumentRow) -> i64 {
    d.header.as_ref().map_or(0, Vec::len) as i64 + if d.deleted_at.is_some() { 0 } else { d.payload_size }
}

/// The view of document `d` for a caller holding the X25519 keys `my_key_ids`: with the
/// caller's own stanza, if the header has one.
pub fn document_view(d: DocumentRow, my_key_ids: &[[u8; 16]]) -> DocumentView {
    let envelope_size = envelope_size(&d);
    let my_stanza = d
        .header
        .as_deref()
        .and_then(|h| Header::parse(h).ok())
        .and_then(|(h, _)| h.stanzas.into_iter().find(|s| my_key_ids.contains(&s.key_id)))
        .map(|s| {
            let mut raw = Vec::with_capacity(envelope::STANZA_LEN);
            raw.push(1);
            raw.extend_from_slice(&s.key_id);
            raw.extend_from_slice(&s.enc);
            raw.extend_from_slice(&s.wrapped);
            B64.encode(raw)
        });
    DocumentView {
        id: d.id,
        owner_patient_id: d.owner_patient_id,
        uploaded_by_role: d.uploaded_by_role.as_str().to_owned(),
        uploaded_by_id: d.uploaded_by_id,
        hi_type: d.hi_type.code().to_owned(),
        care_date: d.care_date,
        plaintext_size: d.plaintext_size,
        envelope_size,
        plaintext_sha256: hex::encode(d.plaintext_sha256),
        payload_sha256: hex::encode(d.payload_sha256),
        salt: hex::encode(d.salt),
        leaf: hex::encode(d.leaf),
        created_at: d.created_at,
        deleted_at: d.deleted_at,
        header: d.header.map(|h| B64.encode(h)),
        my_stanza,
        anchor_state: d.anchor_state.unwrap_or_else(|| "pending".to_owned()),
    }
}

/// The view of a header version; `current` when it is the newest (the document's header is
/// always its newest version).
pub fn header_version_view(v: HeaderVersionRow, current: bool) -> HeaderVersionView {
    HeaderVersionView {
        version: u32::try_from(v.version).unwrap_or(0),
        created_at: v.created_at,
        reason: v.reason.as_str().to_owned(),
        actor_role: v.actor_role,
        actor_id: v.actor_id,
        header_sha256: hex::encode(Sha256::digest(&v.header)),
        current,
        header: B64.encode(&v.header),
    }
}
