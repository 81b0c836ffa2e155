//! The backup file: a mark, one clear header line of JSON, then the
//! database compressed with gzip and sealed in parts of 64 KiB with
//! XChaCha20-Poly1305 in the STREAM construction (each part carries its
//! number and whether it is the last, so a file cut short, reordered or
//! altered is refused). Every part is bound to the header: changing a
//! single byte of the header fails the first part.
use chacha20poly1305::{
    aead::{
        stream::{DecryptorBE32, EncryptorBE32},
        Payload,
    },
    XChaCha20Poly1305,
};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// What every backup starts with.
pub const MARK: &[u8] = b"MUSTER-BACKUP\n";
/// The format this Muster writes and reads.
pub const FORMAT: u32 = 1;
/// The plain size of one sealed part.
pub const PART: usize = 64 * 1024;
const TAG: usize = 16;
/// The longest header line read: anything longer is not a backup.
const MAX_HEADER: usize = 8 * 1024;

/// The clear header: enough to tell what a backup is, and to check it,
/// without the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub muster: String,
    /// The newest migration applied to the database.
    pub schema: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The audit log's newest entry when the copy was made: (id, hash).
    pub audit_anchor: Option<(i64, String)>,
    pub audit_entries: u64,
    /// The database file's size and SHA-256 (hex), before compression.
    pub database_bytes: u64,
    pub database_sha256: String,
    pub compression: String,
    pub cipher: String,
    /// The STREAM nonce prefix (19 bytes, hex).
    pub nonce: String,
    /// Names the backup key without revealing it.
    pub key_id: String,
}

/// A backup key: 32 random bytes.
pub struct Key(pub [u8; 32]);

impl Key {
    /// A short public name for the key (the first 8 bytes of a SHA-256
    /// of it, with a label), so a wrong key is told apart from damage.
    pub fn id(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"muster backup key id\n");
        h.update(self.0);
        hex::encode(&h.finalize()[..8])
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The mark and header line as written: also the associated data every
/// sealed part is bound to.
pub fn header_bytes(h: &Header) -> Vec<u8> {
    let mut out = MARK.to_vec();
    out.extend(serde_json::to_vec(h).unwrap_or_default());
    out.push(b'\n');
    out
}

/// Why a file is not a backup this key can open.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("it is not a Muster backup (it does not start with the backup mark)")]
    NotABackup,
    #[error("it is not a Muster backup: its header cannot be read ({0})")]
    BadHeader(String),
    #[error(
        "it was written by a newer Muster (backup format {0}; this Muster reads format {FORMAT})"
    )]
    TooNew(u32),
    #[error(
        "it was sealed with another backup key (key id {found}); the key given has id {given}"
    )]
    WrongKey { found: String, given: String },
    #[error("it is damaged or was altered: part {0} fails its authentication check")]
    Altered(u64),
    #[error("it is cut short: it ends after part {0}, before its last part")]
    CutShort(u64),
}

/// Reads the mark and header from the start of `input`. Returns the
/// header and its bytes as written.
pub fn read_header(input: &mut impl Read) -> Result<(Header, Vec<u8>), Refusal> {
    let mut mark = vec![0; MARK.len()];
    if input.read_exact(&mut mark).is_err() || mark != MARK {
        return Err(Refusal::NotABackup);
    }
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match input.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ => return Err(Refusal::BadHeader("it ends inside the header".into())),
        }
        if line.len() > MAX_HEADER {
            return Err(Refusal::BadHeader("the header is too long".into()));
        }
    }
    #[derive(Deserialize)]
    struct Version {
        format: u32,
    }
    let version: Version =
        serde_json::from_slice(&line).map_err(|e| Refusal::BadHeader(e.to_string()))?;
    if version.format > FORMAT {
        return Err(Refusal::TooNew(version.format));
    }
    let header: Header =
        serde_json::from_slice(&line).map_err(|e| Refusal::BadHeader(e.to_string()))?;
    let mut bytes = MARK.to_vec();
    bytes.extend(&line);
    bytes.push(b'\n');
    Ok((header, bytes))
}

fn cipher(key: &Key) -> XChaCha20Poly1305 {
    use chacha20poly1305::KeyInit;
    XChaCha20Poly1305::new(&key.0.into())
}

/// Seals what is written to it in parts, into `out`. Call
/// [`Sealer::finish`] to seal the last part.
pub struct Sealer<W: Write> {
    out: W,
    stream: Option<EncryptorBE32<XChaCha20Poly1305>>,
    aad: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> Sealer<W> {
    pub fn new(out: W, key: &Key, nonce: &[u8; 19], aad: Vec<u8>) -> Self {
        Self {
            out,
            stream: Some(EncryptorBE32::from_aead(cipher(key), nonce.into())),
            aad,
            buf: Vec::with_capacity(PART),
        }
    }

    fn seal_full(&mut self) -> io::Result<()> {
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::other("sealed already"))?;
        let part = stream
            .encrypt_next(Payload {
                msg: &self.buf,
                aad: &self.aad,
            })
            .map_err(|_| io::Error::other("sealing a part failed"))?;
        self.out.write_all(&part)?;
        self.buf.clear();
        Ok(())
    }

    /// Seals the last part and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let stream = self
            .stream
            .take()
            .ok_or_else(|| io::Error::other("sealed already"))?;
        let part = stream
            .encrypt_last(Payload {
                msg: &self.buf,
                aad: &self.aad,
            })
            .map_err(|_| io::Error::other("sealing the last part failed"))?;
        self.out.write_all(&part)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = PART - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == PART {
            self.seal_full()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Opens the sealed parts that follow a header, as one plain stream. A
/// part that fails, or a stream that ends before its last part, is an
/// error carrying a [`Refusal`].
pub struct Opener<R: Read> {
    input: R,
    stream: Option<DecryptorBE32<XChaCha20Poly1305>>,
    aad: Vec<u8>,
    /// The next sealed part, read ahead to know whether it is the last.
    next: Vec<u8>,
    plain: Vec<u8>,
    at: usize,
    parts: u64,
    done: bool,
}

fn refused(r: Refusal) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, r)
}

/// What a failed read was refused for, if it was.
pub fn refusal_of(e: &io::Error) -> Option<Refusal> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Refusal>())
        .cloned()
}

impl<R: Read> Opener<R> {
    /// Checks the key against the header before anything is opened.
    pub fn new(input: R, key: &Key, header: &Header, aad: Vec<u8>) -> Result<Self, Refusal> {
        if header.key_id != key.id() {
            return Err(Refusal::WrongKey {
                found: header.key_id.clone(),
                given: key.id(),
            });
        }
        let nonce: [u8; 19] = unhex(&header.nonce)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| Refusal::BadHeader("its nonce is not 19 bytes of hex".into()))?;
        let mut opener = Self {
            input,
            stream: Some(DecryptorBE32::from_aead(cipher(key), (&nonce).into())),
            aad,
            next: Vec::new(),
            plain: Vec::new(),
            at: 0,
            parts: 0,
            done: false,
        };
        opener.next = opener.read_part().map_err(|_| Refusal::CutShort(0))?;
        Ok(opener)
    }

    fn read_part(&mut self) -> io::Result<Vec<u8>> {
        let mut part = vec![0; PART + TAG];
        let mut filled = 0;
        while filled < part.len() {
            match self.input.read(&mut part[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        part.truncate(filled);
        Ok(part)
    }

    /// Opens the next part into `plain`; false at the end.
    fn open_next(&mut self) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        let current = std::mem::take(&mut self.next);
        if current.is_empty() {
            return Err(refused(Refusal::CutShort(self.parts)));
        }
        self.next = self.read_part()?;
        self.parts += 1;
        let payload = Payload {
            msg: &current,
            aad: &self.aad,
        };
        let opened = if self.next.is_empty() {
            self.done = true;
            let stream = self
                .stream
                .take()
                .ok_or_else(|| io::Error::other("opened already"))?;
            match stream.decrypt_last(payload) {
                Ok(plain) => plain,
                Err(_) => {
                    return Err(refused(if current.len() == PART + TAG {
                        // A whole part that is not the last: the file
                        // stops at a part's edge.
                        Refusal::CutShort(self.parts)
                    } else {
                        Refusal::Altered(self.parts)
                    }));
                }
            }
        } else {
            let stream = self
                .stream
                .as_mut()
                .ok_or_else(|| io::Error::other("opened already"))?;
            stream
                .decrypt_next(payload)
                .map_err(|_| refused(Refusal::Altered(self.parts)))?
        };
        self.plain = opened;
        self.at = 0;
        Ok(true)
    }
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.plain.len() {
            if !self.open_next()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.plain.len() - self.at);
        out[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(key: &Key) -> Header {
        Header {
            format: FORMAT,
            muster: "test".into(),
            schema: 19,
            created_at: "2026-11-29T00:00:00Z".parse().expect("time"),
            audit_anchor: Some((7, "ab".into())),
            audit_entries: 7,
            database_bytes: 0,
            database_sha256: String::new(),
            compression: "gzip".into(),
            cipher: "xchacha20poly1305-stream-be32".into(),
            nonce: hex::encode([9u8; 19]),
            key_id: key.id(),
        }
    }

    fn sealed(key: &Key, plain: &[u8]) -> Vec<u8> {
        let h = header(key);
        let aad = header_bytes(&h);
        let mut s = Sealer::new(aad.clone(), key, &[9u8; 19], aad);
        s.write_all(plain).expect("write");
        s.finish().expect("finish")
    }

    fn opened(key: &Key, file: &[u8]) -> Result<Vec<u8>, Refusal> {
        let mut input = file;
        let (h, aad) = read_header(&mut input)?;
        let mut o = Opener::new(input, key, &h, aad)?;
        let mut out = Vec::new();
        o.read_to_end(&mut out)
            .map_err(|e| refusal_of(&e).expect("a refusal"))?;
        Ok(out)
    }

    #[test]
    fn what_is_sealed_opens_whole_and_nothing_else_does() {
        let key = Key([1; 32]);
        // Two whole parts and a bit: the edges are where mistakes hide.
        let plain: Vec<u8> = (0..(2 * PART + 100)).map(|i| (i % 251) as u8).collect();
        let file = sealed(&key, &plain);
        assert_eq!(opened(&key, &file).as_deref(), Ok(&plain[..]));
        assert_eq!(opened(&key, &sealed(&key, b"")), Ok(Vec::new()));

        let wrong = opened(&Key([2; 32]), &file).unwrap_err();
        assert!(matches!(wrong, Refusal::WrongKey { .. }), "{wrong}");
        let header_len = header_bytes(&header(&key)).len();
        let mut flipped = file.clone();
        flipped[header_len + PART + 40] ^= 1;
        assert_eq!(opened(&key, &flipped), Err(Refusal::Altered(2)));
        let mut in_header = file.clone();
        in_header[header_len - 5] ^= 1;
        assert!(opened(&key, &in_header).is_err(), "the header is bound");
        let at_edge = &file[..header_len + 2 * (PART + TAG)];
        assert_eq!(opened(&key, at_edge), Err(Refusal::CutShort(2)));
        let mid_part = &file[..header_len + PART + 500];
        assert_eq!(opened(&key, mid_part), Err(Refusal::Altered(2)));
        assert_eq!(opened(&key, b"SQLite format 3\0"), Err(Refusal::NotABackup));
    }
}
