//! Streaming sealing and opening in constant memory: one 64 KiB chunk buffer each way.
//!
//! [`Sealer`] is a `Write` that encrypts what is written to it; [`Opener`] is a `Read` that
//! yields plaintext chunk by chunk, each only after its tag verified. Both also offer a
//! zero-copy path ([`Sealer::copy_from`], [`Opener::next_chunk`]) that `seal` and `open` use.

use std::io::{self, Read, Write};

use aes_gcm::Tag;
use aes_gcm::aead::AeadInOut;
use hpke::rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::header::{CHUNK_CT_SIZE, CHUNK_SIZE, Header, TAG_LEN};
use super::{CryptoError, Identity, Keys, OpenOutput, Recipient, Result, SealOutput, chunk_nonce, read_full};
use crate::commitment::DocumentCommitment;

/// Encrypts a plaintext written to it into `header ‖ payload` on the inner writer.
///
/// The header is written by [`Sealer::new`]. Plaintext is buffered up to one chunk (plus one
/// byte, to know whether a full chunk is the last) and every complete chunk is encrypted and
/// written as soon as the next byte arrives. Call [`Sealer::finish`] to write the final chunk
/// and get the digests: an unfinished envelope does not open. After an error the sealer refuses
/// further use and its output must be discarded.
pub struct Sealer<W: Write> {
    out: W,
    keys: Keys,
    header: Header,
    salt: [u8; 32],
    /// Plaintext waiting to be sealed, then the chunk's ciphertext and tag, in place.
    buf: Zeroizing<Vec<u8>>,
    /// Plaintext bytes held in `buf` (at most `CHUNK_SIZE + 1`).
    held: usize,
    counter: u64,
    pt_hash: Sha256,
    ct_hash: Sha256,
    plaintext_len: u64,
    payload_len: u64,
    failed: bool,
}

impl<W: Write> std::fmt::Debug for Sealer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("doc_id", &hex::encode(self.header.doc_id))
            .field("plaintext_len", &self.plaintext_len)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Sealer<W> {
    /// Draws the data key, payload nonce and salt from `rng` (in that order, then one HPKE
    /// ephemeral key per recipient), wraps the data key for every recipient and writes the
    /// header to `out`.
    pub fn new(doc_id: &[u8; 16], recipients: &[Recipient], rng: &mut impl CryptoRng, mut out: W) -> Result<Self> {
        super::check_recipients(recipients)?;
        let mut data_key = Zeroizing::new([0u8; 32]);
        let mut nonce = [0u8; 16];
        let mut salt = [0u8; 32];
        rng.fill_bytes(data_key.as_mut());
        rng.fill_bytes(&mut nonce);
        rng.fill_bytes(&mut salt);
        let stanzas = recipients.iter().map(|r| super::wrap(&data_key, doc_id, r, rng)).collect::<Result<Vec<_>>>()?;
        let keys = Keys::derive(&data_key, &nonce, doc_id);
        let mut header = Header { doc_id: *doc_id, nonce, stanzas, mac: [0; 32] };
        header.mac = keys.header_mac(&header);
        out.write_all(&header.to_bytes())?;
        Ok(Self {
            out,
            keys,
            header,
            salt,
            buf: Zeroizing::new(vec![0u8; CHUNK_CT_SIZE]),
            held: 0,
            counter: 0,
            pt_hash: Sha256::new(),
            ct_hash: Sha256::new(),
            plaintext_len: 0,
            payload_len: 0,
            failed: false,
        })
    }

    /// The header already written.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Reads `input` to its end and seals it, reading straight into the chunk buffer. Returns
    /// the bytes read. More may be written or copied afterwards; then call [`Sealer::finish`].
    pub fn copy_from(&mut self, mut input: impl Read) -> Result<u64> {
        self.check_usable()?;
        let mut total = 0u64;
        loop {
            let n = read_full(&mut input, &mut self.buf[self.held..=CHUNK_SIZE]).inspect_err(|_| self.failed = true)?;
            self.held += n;
            total += n as u64;
            if self.held <= CHUNK_SIZE {
                return Ok(total); // the input ended
            }
            self.seal_full_chunk()?;
        }
    }

    /// Seals the last chunk, flushes the writer and returns the lengths and digests.
    pub fn finish(mut self) -> Result<SealOutput> {
        self.check_usable()?;
        self.seal_chunk(self.held, true)?;
        self.out.flush()?;
        let plaintext_sha256: [u8; 32] = self.pt_hash.finalize().into();
        let digest = DocumentCommitment::new(self.salt, plaintext_sha256);
        Ok(SealOutput {
            header: self.header,
            plaintext_len: self.plaintext_len,
            payload_len: self.payload_len,
            plaintext_sha256,
            payload_sha256: self.ct_hash.finalize().into(),
            salt: digest.salt,
            commitment: digest.commitment,
            leaf: digest.leaf,
        })
    }

    fn check_usable(&self) -> Result<()> {
        if self.failed {
            return Err(CryptoError::Io(io::Error::other("the sealer failed earlier; discard its output")));
        }
        Ok(())
    }

    /// `buf` holds `CHUNK_SIZE + 1` bytes: the first `CHUNK_SIZE` are a chunk that is not the
    /// last. Seals it and keeps the extra byte.
    fn seal_full_chunk(&mut self) -> Result<()> {
        debug_assert_eq!(self.held, CHUNK_SIZE + 1);
        let carry = self.buf[CHUNK_SIZE];
        self.seal_chunk(CHUNK_SIZE, false)?;
        self.buf[0] = carry;
        self.held = 1;
        Ok(())
    }

    fn seal_chunk(&mut self, len: usize, last: bool) -> Result<()> {
        self.pt_hash.update(&self.buf[..len]);
        let tag = self
            .keys
            .payload
            .encrypt_inout_detached(&chunk_nonce(self.counter, last), &[], (&mut self.buf[..len]).into())
            .expect("a 64 KiB chunk is within AES-GCM's length limit");
        self.buf[len..len + TAG_LEN].copy_from_slice(&tag);
        let chunk = &self.buf[..len + TAG_LEN];
        self.ct_hash.update(chunk);
        if let Err(e) = self.out.write_all(chunk) {
            self.failed = true;
            return Err(e.into());
        }
        self.plaintext_len += len as u64;
        self.payload_len += chunk.len() as u64;
        self.counter += 1;
        self.held = 0;
        Ok(())
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check_usable().map_err(into_io)?;
        if data.is_empty() {
            return Ok(0);
        }
        let take = data.len().min(CHUNK_SIZE + 1 - self.held);
        self.buf[self.held..self.held + take].copy_from_slice(&data[..take]);
        self.held += take;
        if self.held == CHUNK_SIZE + 1 {
            self.seal_full_chunk().map_err(into_io)?;
        }
        Ok(take)
    }

    /// Flushes the inner writer. Buffered plaintext (less than a chunk) stays buffered: a chunk
    /// is sealed only once it is known whether it is the last.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Decrypts `header ‖ payload` from the inner reader.
///
/// Plaintext is released chunk by chunk, each after its tag verified; truncation is detected
/// only at the end of the input, so a reader must discard everything it got if any read fails.
/// After an error every further read fails with [`CryptoError::Decrypt`].
pub struct Opener<R: Read> {
    input: R,
    keys: Keys,
    header: Header,
    /// One chunk's ciphertext plus the first byte of the next (which says this one is not the
    /// last); decrypted in place.
    buf: Zeroizing<Vec<u8>>,
    /// The byte read past the previous chunk, if it was not the last.
    carry: Option<u8>,
    /// Plaintext of the current chunk not yet handed out by `Read`: `buf[pos..end]`.
    pos: usize,
    end: usize,
    counter: u64,
    pt_hash: Sha256,
    plaintext_len: u64,
    state: OpenState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenState {
    Reading,
    Done,
    Failed,
}

impl<R: Read> std::fmt::Debug for Opener<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("doc_id", &hex::encode(self.header.doc_id))
            .field("plaintext_len", &self.plaintext_len)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Opener<R> {
    /// Reads the header from `input`, checks it was sealed for `doc_id`, unwraps the data key
    /// with `identity` and verifies the header MAC. Any failure but an I/O error is
    /// [`CryptoError::Decrypt`].
    pub fn new(doc_id: &[u8; 16], identity: &Identity, mut input: R) -> Result<Self> {
        let header = Header::read_from(&mut input).map_err(|e| match e {
            CryptoError::Io(e) => CryptoError::Io(e),
            _ => CryptoError::Decrypt,
        })?;
        Self::with_header(doc_id, header, identity, input)
    }

    /// Like [`Opener::new`] for a header kept apart from its payload (the server stores the
    /// stanzas in its database): `payload` starts at the first chunk.
    pub fn with_header(doc_id: &[u8; 16], header: Header, identity: &Identity, payload: R) -> Result<Self> {
        if &header.doc_id != doc_id {
            return Err(CryptoError::Decrypt);
        }
        let (_, keys) = super::unlock(&header, identity)?;
        Ok(Self {
            input: payload,
            keys,
            header,
            buf: Zeroizing::new(vec![0u8; CHUNK_CT_SIZE + 1]),
            carry: None,
            pos: 0,
            end: 0,
            counter: 0,
            pt_hash: Sha256::new(),
            plaintext_len: 0,
            state: OpenState::Reading,
        })
    }

    /// The verified header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Decrypts the next chunk and returns its plaintext, or `None` after the last chunk.
    /// (Mixing this with `Read` skips what `Read` had not handed out of the current chunk.)
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>> {
        let len = self.decrypt_next()?;
        Ok(len.map(|n| &self.buf[..n]))
    }

    /// Authenticates whatever is left (discarding its plaintext) and returns the totals: the
    /// plaintext SHA-256 covers the whole document only when it was read to the end first.
    pub fn finish(mut self) -> Result<OpenOutput> {
        while self.decrypt_next()?.is_some() {}
        Ok(OpenOutput { plaintext_len: self.plaintext_len, plaintext_sha256: self.pt_hash.finalize().into() })
    }

    /// Reads, checks and decrypts one chunk in place; returns its plaintext length.
    fn decrypt_next(&mut self) -> Result<Option<usize>> {
        match self.state {
            OpenState::Done => return Ok(None),
            OpenState::Failed => return Err(CryptoError::Decrypt),
            OpenState::Reading => {}
        }
        self.pos = 0;
        self.end = 0;
        let result = self.decrypt_chunk();
        if result.is_err() {
            self.state = OpenState::Failed;
        }
        result.map(Some)
    }

    fn decrypt_chunk(&mut self) -> Result<usize> {
        let held = match self.carry.take() {
            Some(b) => {
                self.buf[0] = b;
                1
            }
            None => 0,
        };
        let n = held + read_full(&mut self.input, &mut self.buf[held..])?;
        // More than one chunk's worth: this one is not the last.
        let last = n <= CHUNK_CT_SIZE;
        let len = n.min(CHUNK_CT_SIZE);
        if !last {
            self.carry = Some(self.buf[CHUNK_CT_SIZE]);
        }
        if len < TAG_LEN || (last && self.counter > 0 && len == TAG_LEN) {
            // Too short to hold a tag, or an empty final chunk after full ones (never written).
            return Err(CryptoError::Decrypt);
        }
        let body = len - TAG_LEN;
        let tag = Tag::try_from(&self.buf[body..len]).map_err(|_| CryptoError::Decrypt)?;
        self.keys
            .payload
            .decrypt_inout_detached(&chunk_nonce(self.counter, last), &[], (&mut self.buf[..body]).into(), &tag)
            .map_err(|_| CryptoError::Decrypt)?;
        self.pt_hash.update(&self.buf[..body]);
        self.plaintext_len += body as u64;
        self.counter += 1;
        if last {
            self.state = OpenState::Done;
        }
        Ok(body)
    }
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos == self.end {
            match self.decrypt_next().map_err(into_io)? {
                None => return Ok(0),
                Some(n) => self.end = n,
            }
        }
        let take = out.len().min(self.end - self.pos);
        out[..take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
        self.pos += take;
        Ok(take)
    }
}

/// A `CryptoError` as an `io::Error` (kept inside, so `open` can recover it).
fn into_io(e: CryptoError) -> io::Error {
    match e {
        CryptoError::Io(e) => e,
        CryptoError::Decrypt => io::Error::new(io::ErrorKind::InvalidData, CryptoError::Decrypt),
        other => io::Error::other(other),
    }
}
