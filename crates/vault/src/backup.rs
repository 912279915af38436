//! Encrypted backups of a vault into a folder the user chooses (a USB drive, a NAS, a folder a
//! cloud client syncs), restorable on another computer with the passphrase or the recovery
//! key.
//!
//! A backup folder holds one vault's snapshots:
//!
//! ```text
//! courtside-backup.json        which vault it belongs to: a keyed fingerprint, nothing else
//! chunks/<2 hex>/<64 hex>      one piece (at most 1 MiB) of a vault file: nonce ‖ AES-256-GCM(piece),
//!                              named by HMAC-SHA256 of the piece under a key of the vault
//! snapshots/<time>-<hex>.json  one snapshot: a copy of the key file (without the device slot,
//!                              which stays with its device) and the sealed manifest (every file
//!                              of the vault, its size and the names of its pieces, in order)
//! ```
//!
//! Pieces are content-addressed, so a piece already in the folder is not written again: the
//! next backup after a new 1 MB exhibit writes that exhibit and the database pages that
//! changed. A blob whose size, modification time and inode equal the previous snapshot's is
//! not even read. Every piece is sealed with the piece's name as associated data: a flipped
//! byte, a truncated piece, or a piece from another backup (another key, or another name)
//! fails to open and is named. A snapshot becomes visible only when its manifest is written,
//! after every piece it names is on disk (fsync, rename, fsync of the directory): a backup
//! killed at any instant leaves the snapshots before it as they were, plus pieces the next
//! backup reuses.
//!
//! A restore writes into a hidden folder beside the target, checks every piece as it goes,
//! opens the result and verifies it like `vault verify`, and only then renames it into place:
//! nothing is ever half-restored.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::hmac;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keyfile::KeyFile;
use crate::keys::{DataKey, KEY_LEN, RecoveryKey, random_bytes};
use crate::owner::Owner;
use crate::records::{derive, open, seal};
use crate::{BLOB_DIR, DB_FILE, KEY_FILE, Vault, VaultError};

/// The file that marks a folder as a Courtside backup.
pub const BACKUP_MARKER: &str = "courtside-backup.json";
const CHUNK_DIR: &str = "chunks";
const SNAPSHOT_DIR: &str = "snapshots";
const FORMAT: u32 = 1;
/// Piece size: small enough that a change costs little to back up again.
const PIECE: usize = 1 << 20;
const NONCE_LEN: usize = 12;
const CHUNK_AAD: &[u8] = b"courtside/v1/backup-chunk|";
const MANIFEST_AAD: &[u8] = b"courtside/v1/backup-manifest|";
/// How old a piece must be before a prune may remove it.
const PRUNE_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Largest snapshot file read (a manifest of a very large vault is a few MiB).
const MAX_SNAPSHOT_BYTES: u64 = 256 << 20;

/// How a backup is opened: with the passphrase the vault had when the backup was made, or
/// with the recovery key.
#[derive(Clone, Copy)]
pub enum BackupSecret<'a> {
    /// The vault's passphrase (as of the snapshot).
    Passphrase(&'a str),
    /// The recovery key, as printed.
    RecoveryKey(&'a str),
}

impl std::fmt::Debug for BackupSecret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Passphrase(_) => "Passphrase(..)",
            Self::RecoveryKey(_) => "RecoveryKey(..)",
        })
    }
}

/// What one backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The snapshot's name (`20261201T225147.250Z-1a2b3c4d`).
    pub snapshot: String,
    /// Files of the vault in the snapshot.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Pieces written (the others were in the folder already).
    pub pieces_written: u64,
    /// Bytes written to the folder.
    pub bytes_written: u64,
}

/// A snapshot found in a backup folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSummary {
    /// Its name (sorts by time).
    pub name: String,
    /// When it was taken, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Files of the vault in it.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// One snapshot's name and what [`verify_backup`] found: its summary when whole, else the
/// first damage.
pub type SnapshotCheck = (String, Result<SnapshotSummary, VaultError>);

/// What a restore put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The snapshot restored.
    pub snapshot: SnapshotSummary,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Marker {
    format: u32,
    vault: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SnapshotFile {
    format: u32,
    key_file: KeyFile,
    #[serde(with = "crate::keyfile::b64")]
    nonce: Vec<u8>,
    #[serde(with = "crate::keyfile::b64")]
    manifest: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Manifest {
    format: u32,
    snapshot: String,
    created_at_ms: i64,
    files: Vec<FileEntry>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileEntry {
    /// `vault.sqlite3` or `blobs/<id>`.
    path: String,
    size: u64,
    /// What the file was when read (to skip reading it next time when unchanged).
    modified_ns: u128,
    inode: u64,
    pieces: Vec<String>,
}

impl Manifest {
    fn summary(&self) -> SnapshotSummary {
        SnapshotSummary {
            name: self.snapshot.clone(),
            created_at_ms: self.created_at_ms,
            files: self.files.len() as u64,
            bytes: self.files.iter().map(|f| f.size).sum(),
        }
    }
}

/// The keys of a vault's backups, derived from its data key.
struct BackupKeys {
    piece_name: hmac::Key,
    piece: Zeroizing<[u8; KEY_LEN]>,
    manifest: Zeroizing<[u8; KEY_LEN]>,
    fingerprint: String,
}

impl BackupKeys {
    fn new(data_key: &DataKey) -> Self {
        let name_key = derive(data_key, &[b"courtside/v1/backup-piece-name"]);
        let fingerprint_key = derive(data_key, &[b"courtside/v1/backup-fingerprint"]);
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &*fingerprint_key), b"vault");
        Self {
            piece_name: hmac::Key::new(hmac::HMAC_SHA256, &*name_key),
            piece: derive(data_key, &[b"courtside/v1/backup-piece"]),
            manifest: derive(data_key, &[b"courtside/v1/backup-manifest"]),
            fingerprint: crate::blobs::hex(&tag.as_ref()[..16]),
        }
    }

    fn name_of(&self, piece: &[u8]) -> String {
        crate::blobs::hex(hmac::sign(&self.piece_name, piece).as_ref())
    }

    fn seal_piece(&self, name: &str, piece: &[u8]) -> Result<Vec<u8>, VaultError> {
        let (nonce, mut sealed) = seal(&self.piece, &[CHUNK_AAD, name.as_bytes()].concat(), piece)?;
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Ok(out)
    }

    fn open_piece(&self, name: &str, sealed: Vec<u8>) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let mut sealed = sealed;
        let ciphertext = sealed.split_off(NONCE_LEN);
        open(&self.piece, &[CHUNK_AAD, name.as_bytes()].concat(), &sealed, ciphertext)
    }

    fn seal_manifest(&self, manifest: &Manifest) -> Result<([u8; NONCE_LEN], Vec<u8>), VaultError> {
        let json = Zeroizing::new(serde_json::to_vec(manifest).map_err(|e| damaged("manifest", &e.to_string()))?);
        seal(&self.manifest, &[MANIFEST_AAD, manifest.snapshot.as_bytes()].concat(), &json)
    }

    fn open_manifest(&self, name: &str, file: &SnapshotFile) -> Result<Manifest, VaultError> {
        let item = format!("snapshot {name}");
        let plain = open(&self.manifest, &[MANIFEST_AAD, name.as_bytes()].concat(), &file.nonce, file.manifest.clone())
            .ok_or_else(|| damaged(&item, "its manifest is damaged or belongs to another backup"))?;
        let manifest: Manifest =
            serde_json::from_slice(&plain).map_err(|e| damaged(&item, &format!("its manifest cannot be read: {e}")))?;
        if manifest.snapshot != name || manifest.format != FORMAT {
            return Err(damaged(&item, "its manifest names another snapshot"));
        }
        for f in &manifest.files {
            if !valid_path(&f.path) {
                return Err(damaged(&item, "its manifest names a file outside a vault"));
            }
        }
        Ok(manifest)
    }
}

fn damaged(item: &str, reason: &str) -> VaultError {
    VaultError::BackupDamaged { item: item.to_owned(), reason: reason.to_owned() }
}

/// A file a vault holds: its database or one of its blobs (never a path that leaves it).
fn valid_path(path: &str) -> bool {
    path == DB_FILE
        || path.strip_prefix("blobs/").is_some_and(|id| {
            !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> VaultError + '_ {
    move |source| VaultError::Io { path: path.to_owned(), source }
}

/// A file of the vault opened for the backup, with what it was when opened.
struct Source {
    path: String,
    file: File,
    size: u64,
    modified_ns: u128,
    inode: u64,
}

impl Source {
    fn open(path: String, on_disk: &Path) -> Result<Self, VaultError> {
        let file = File::open(on_disk).map_err(io(on_disk))?;
        let meta = file.metadata().map_err(io(on_disk))?;
        let modified_ns =
            meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(Self { path, file, size: meta.len(), modified_ns, inode })
    }
}

impl Vault {
    /// Backs the vault up into the folder `to` (created when missing): one new snapshot,
    /// writing only the pieces the folder does not hold yet. The database is copied in one
    /// consistent state (writes wait only for that copy, not for the backup); blobs are
    /// written whole before the records that name them, so every blob a copied record names
    /// is in the snapshot.
    ///
    /// # Errors
    /// [`VaultError::BackupOfAnotherVault`] when `to` holds another vault's backups; I/O
    /// errors (a full or unplugged drive): the snapshots already there stay as they were.
    pub fn back_up(&self, to: &Path) -> Result<BackupReport, VaultError> {
        let keys = BackupKeys::new(&self.data_key);
        prepare_folder(to, &keys)?;
        // One writer at a time in a folder (this vault restored on a second computer may
        // back up into it too): pieces found present must stay until the manifest is out.
        let _writing = FolderLock::take(to)?;
        let latest = latest_manifest(to, &keys);
        // Names sort by time, and a snapshot is always newer than the one before it (even
        // within one millisecond, or with the clock set back).
        let created_at_ms = crate::now_millis().max(latest.as_ref().map_or(0, |m| m.created_at_ms + 1));
        let previous: BTreeMap<String, FileEntry> =
            latest.map(|m| m.files.into_iter().map(|f| (f.path.clone(), f)).collect()).unwrap_or_default();

        let unique: [u8; 4] = random_bytes()?;
        let snapshot = format!("{}-{}", utc_stamp(created_at_ms), crate::blobs::hex(&unique));
        let key_file = {
            let _changing = self.owner.key_file();
            let mut file = KeyFile::read(&self.dir.join(KEY_FILE))?;
            // The device slot opens only with a key in this device's keychain.
            file.set_device_key(&self.data_key, None)?;
            file
        };

        // The database in one consistent state, then the blobs as they are now.
        let db_copy = self.dir.join(format!(".backup-{}.tmp", crate::blobs::hex(&unique)));
        let copied = self.store().copy_to(&db_copy);
        let blob_dir = self.dir.join(BLOB_DIR);
        let sources = copied.and_then(|()| {
            let database = Source::open(DB_FILE.to_owned(), &db_copy)?;
            let mut names: Vec<String> = match std::fs::read_dir(&blob_dir) {
                Ok(entries) => entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(io(&blob_dir)(e)),
            };
            names.sort();
            names.retain(|n| valid_path(&format!("blobs/{n}")));
            Ok((database, names))
        });
        // The open copy stays readable; the copy of the database goes at once.
        let _ = std::fs::remove_file(&db_copy);
        let (database, blob_names) = sources?;
        // Blobs are opened one at a time (a vault may hold more than a process may open).
        let blobs = blob_names.into_iter().filter_map(|name| {
            match Source::open(format!("blobs/{name}"), &blob_dir.join(&name)) {
                // Deleted since it was listed: not in this snapshot.
                Err(VaultError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
                other => Some(other),
            }
        });
        let sources = std::iter::once(Ok(database)).chain(blobs);

        let mut writer = PieceWriter { folder: to, keys: &keys, written: 0, bytes_written: 0, dirs: BTreeSet::new() };
        let mut files = Vec::new();
        for source in sources {
            let mut source = source?;
            let unchanged = previous.get(&source.path).filter(|p| {
                p.size == source.size
                    && p.modified_ns == source.modified_ns
                    && p.inode == source.inode
                    && source.path != DB_FILE
                    && p.pieces.iter().all(|n| piece_path(to, n).exists())
            });
            let pieces = match unchanged {
                Some(p) => p.pieces.clone(),
                None => writer.write_file(&mut source)?,
            };
            files.push(FileEntry {
                path: source.path,
                size: source.size,
                modified_ns: source.modified_ns,
                inode: source.inode,
                pieces,
            });
        }
        writer.sync_dirs()?;

        let manifest = Manifest { format: FORMAT, snapshot: snapshot.clone(), created_at_ms, files };
        let (nonce, sealed) = keys.seal_manifest(&manifest)?;
        let file = SnapshotFile { format: FORMAT, key_file, nonce: nonce.to_vec(), manifest: sealed };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| damaged("snapshot", &e.to_string()))?;
        let snapshots = to.join(SNAPSHOT_DIR);
        write_durably(&snapshots, &format!("{snapshot}.json"), &json, true)?;
        let summary = manifest.summary();
        Ok(BackupReport {
            snapshot,
            files: summary.files,
            bytes: summary.bytes,
            pieces_written: writer.written,
            bytes_written: writer.bytes_written + json.len() as u64,
        })
    }

    /// Deletes the snapshots of the backup folder `at` that `keep` does not keep, then every
    /// piece no kept snapshot names and what interrupted backups left. Only this vault's own
    /// snapshots are considered; files it cannot open are left alone.
    ///
    /// # Errors
    /// [`VaultError::BackupOfAnotherVault`], I/O errors (what was deleted before stays
    /// deleted; every snapshot left is whole: pieces go only after the snapshots that named
    /// them).
    pub fn prune_backups(&self, at: &Path, keep: Retention) -> Result<PruneReport, VaultError> {
        let keys = BackupKeys::new(&self.data_key);
        check_marker(at, &keys)?;
        let _writing = FolderLock::take(at)?;
        let mut manifests: Vec<Manifest> = Vec::new();
        for name in snapshot_names(at)? {
            // A snapshot that cannot be read now (a slow NAS, a cloud placeholder, a newer
            // format) may name pieces no other does: nothing is pruned until it reads.
            manifests.push(read_snapshot(at, &name).and_then(|f| keys.open_manifest(&name, &f))?);
        }
        let times: Vec<i64> = manifests.iter().map(|m| m.created_at_ms).collect();
        let kept = keep.select(&times);
        let mut report = PruneReport::default();
        let mut referenced: BTreeSet<String> = BTreeSet::new();
        for (i, m) in manifests.iter().enumerate() {
            if kept.contains(&i) {
                referenced.extend(m.files.iter().flat_map(|f| f.pieces.iter().cloned()));
                report.snapshots_kept += 1;
            } else {
                let path = at.join(SNAPSHOT_DIR).join(format!("{}.json", m.snapshot));
                std::fs::remove_file(&path).map_err(io(&path))?;
                report.snapshots_deleted += 1;
            }
        }
        sync_dir(&at.join(SNAPSHOT_DIR))?;
        remove_temporary(&at.join(SNAPSHOT_DIR));
        let chunks = at.join(CHUNK_DIR);
        // A piece written lately may belong to a snapshot another computer is still writing
        // (or syncing) into this folder: pieces are removed only once a day old.
        let recent = |meta: &std::fs::Metadata| {
            meta.modified().ok().and_then(|m| m.elapsed().ok()).is_none_or(|age| age < PRUNE_GRACE)
        };
        if let Ok(dirs) = std::fs::read_dir(&chunks) {
            for dir in dirs.flatten() {
                // Never through a link: a hostile folder could point it anywhere.
                if !dir.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                remove_temporary(&dir.path());
                let Ok(files) = std::fs::read_dir(dir.path()) else { continue };
                for file in files.flatten() {
                    let name = file.file_name().to_string_lossy().into_owned();
                    let Ok(meta) = file.metadata() else { continue };
                    if !file.file_type().is_ok_and(|t| t.is_file()) || recent(&meta) {
                        continue;
                    }
                    if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) && !referenced.contains(&name) {
                        let len = meta.len();
                        std::fs::remove_file(file.path()).map_err(io(&file.path()))?;
                        report.pieces_deleted += 1;
                        report.bytes_freed += len;
                    }
                }
            }
        }
        Ok(report)
    }

    /// The snapshots in the backup folder `at` that this vault can open, oldest first.
    ///
    /// # Errors
    /// [`VaultError::BackupOfAnotherVault`], or I/O errors reading the folder.
    pub fn backup_snapshots(&self, at: &Path) -> Result<Vec<SnapshotSummary>, VaultError> {
        let keys = BackupKeys::new(&self.data_key);
        check_marker(at, &keys)?;
        let mut out = Vec::new();
        for name in snapshot_names(at)? {
            if let Ok(m) = read_snapshot(at, &name).and_then(|f| keys.open_manifest(&name, &f)) {
                out.push(m.summary());
            }
        }
        Ok(out)
    }
}

/// Which snapshots to keep: the newest `last`, plus the newest of each of the latest
/// `daily` days and `weekly` weeks (UTC) that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The newest snapshots kept whatever their age.
    pub last: usize,
    /// Days for which the day's newest snapshot is kept.
    pub daily: usize,
    /// Weeks (Monday to Sunday) for which the week's newest snapshot is kept.
    pub weekly: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self { last: 10, daily: 7, weekly: 8 }
    }
}

impl Retention {
    /// Indexes into `times` (any order) of the snapshots to keep.
    #[must_use]
    pub fn select(&self, times: &[i64]) -> BTreeSet<usize> {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(times[i]));
        let mut kept: BTreeSet<usize> = order.iter().copied().take(self.last).collect();
        const DAY: i64 = 86_400_000;
        // 1970-01-01 was a Thursday: shifted by three days, weeks start on Monday.
        for (period, count) in [(None, self.daily), (Some(3), self.weekly)] {
            let mut seen: Vec<i64> = Vec::new();
            for &i in &order {
                let day = times[i].div_euclid(DAY);
                let key = period.map_or(day, |shift| (day + shift).div_euclid(7));
                if seen.len() >= count {
                    break;
                }
                if !seen.contains(&key) {
                    seen.push(key);
                    kept.insert(i);
                }
            }
        }
        kept
    }
}

/// What [`Vault::prune_backups`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Snapshots kept.
    pub snapshots_kept: u64,
    /// Snapshots deleted.
    pub snapshots_deleted: u64,
    /// Pieces no kept snapshot named, deleted.
    pub pieces_deleted: u64,
    /// Their bytes.
    pub bytes_freed: u64,
}

/// An exclusive OS lock on `courtside-backup.lock` in a backup folder, held while a backup
/// or a prune writes there; released by the OS however the process ends.
struct FolderLock(File);

const LOCK_FILE: &str = "courtside-backup.lock";

impl FolderLock {
    fn take(at: &Path) -> Result<Self, VaultError> {
        let path = at.join(LOCK_FILE);
        let file =
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
        // A backup of this vault from another computer may be under way: wait for it.
        file.lock().map_err(io(&path))?;
        Ok(Self(file))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Removes what interrupted writes left in `dir` (only called under the folder's lock).
/// Reads a regular file of at most `limit` bytes, never through a link (a hostile folder
/// could point one at a device or a pipe); a larger one is `InvalidData`.
fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, VaultError> {
    let meta = std::fs::symlink_metadata(path).map_err(io(path))?;
    let invalid = |why: &str| VaultError::Io {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned()),
    };
    if !meta.file_type().is_file() {
        return Err(invalid("it is not a plain file"));
    }
    if meta.len() > limit {
        return Err(invalid("it is larger than any Courtside writes"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)).map_err(io(path))?;
    if bytes.len() as u64 > limit {
        return Err(invalid("it is larger than any Courtside writes"));
    }
    Ok(bytes)
}

fn remove_temporary(dir: &Path) {
    crate::blobs::remove_temporary_files(dir, |name| name.starts_with('.') && name.ends_with(".tmp"));
}

struct PieceWriter<'a> {
    folder: &'a Path,
    keys: &'a BackupKeys,
    written: u64,
    bytes_written: u64,
    dirs: BTreeSet<String>,
}

impl PieceWriter<'_> {
    /// Cuts the file into pieces and writes those the folder lacks; returns their names.
    fn write_file(&mut self, source: &mut Source) -> Result<Vec<String>, VaultError> {
        let mut names = Vec::new();
        let mut buf = Zeroizing::new(vec![0u8; PIECE]);
        let mut left = source.size;
        while left > 0 {
            let want = usize::try_from(left.min(PIECE as u64)).unwrap_or(PIECE);
            source
                .file
                .read_exact(&mut buf[..want])
                .map_err(|e| VaultError::Io { path: PathBuf::from(&source.path), source: e })?;
            let piece = &buf[..want];
            let name = self.keys.name_of(piece);
            let path = piece_path(self.folder, &name);
            if !path.exists() {
                let sealed = self.keys.seal_piece(&name, piece)?;
                let dir = &name[..2];
                write_durably(&self.folder.join(CHUNK_DIR).join(dir), &name, &sealed, false)?;
                self.dirs.insert(dir.to_owned());
                self.written += 1;
                self.bytes_written += sealed.len() as u64;
            }
            names.push(name);
            left -= want as u64;
        }
        Ok(names)
    }

    /// The new pieces' directory entries are on disk before the manifest that names them.
    fn sync_dirs(&self) -> Result<(), VaultError> {
        for dir in &self.dirs {
            sync_dir(&self.folder.join(CHUNK_DIR).join(dir))?;
        }
        Ok(())
    }
}

fn piece_path(folder: &Path, name: &str) -> PathBuf {
    folder.join(CHUNK_DIR).join(&name[..2]).join(name)
}

/// Writes `name` in `dir` through a temporary file, fsynced and renamed: a kill leaves the
/// old file or the new one, never a torn one. The directory is synced when `sync` (pieces'
/// directories are synced once, by the caller, before the manifest naming them).
fn write_durably(dir: &Path, name: &str, bytes: &[u8], sync: bool) -> Result<(), VaultError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let unique: [u8; 6] = random_bytes()?;
    let tmp = dir.join(format!(".{name}.{}.tmp", crate::blobs::hex(&unique)));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&tmp)(e));
    }
    let path = dir.join(name);
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    if sync { sync_dir(dir) } else { Ok(()) }
}

fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn prepare_folder(to: &Path, keys: &BackupKeys) -> Result<(), VaultError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    match check_marker(to, keys) {
        Err(VaultError::NotABackup(_)) if is_empty_dir(to)? => {
            let marker = Marker { format: FORMAT, vault: keys.fingerprint.clone() };
            let json = serde_json::to_vec_pretty(&marker).map_err(|e| damaged(BACKUP_MARKER, &e.to_string()))?;
            write_durably(to, BACKUP_MARKER, &json, true)
        }
        other => other,
    }
}

/// Whether `dir` is empty but for what an interrupted first backup left (its marker's
/// temporary file), which is removed.
fn is_empty_dir(dir: &Path) -> Result<bool, VaultError> {
    let left_by_us = |name: &str| name.starts_with(&format!(".{BACKUP_MARKER}.")) && name.ends_with(".tmp");
    let mut empty = true;
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if left_by_us(&name) {
            let _ = std::fs::remove_file(entry.path());
        } else {
            empty = false;
        }
    }
    Ok(empty)
}

fn read_marker(at: &Path) -> Result<Marker, VaultError> {
    let path = at.join(BACKUP_MARKER);
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => VaultError::NotABackup(at.to_owned()),
        _ => io(&path)(e),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| damaged(BACKUP_MARKER, &format!("cannot be read: {e}")))
}

fn check_marker(at: &Path, keys: &BackupKeys) -> Result<(), VaultError> {
    let marker = read_marker(at)?;
    if marker.vault != keys.fingerprint {
        return Err(VaultError::BackupOfAnotherVault(at.to_owned()));
    }
    Ok(())
}

/// The snapshots of the backup folder `at` and when each was made (ms since the Unix epoch),
/// oldest first, read without any secret (the folder shows names and times anyway); which of
/// them are whole only [`verify_backup`] can tell.
///
/// # Errors
/// [`VaultError::NotABackup`] when the folder holds no Courtside backup.
pub fn list_snapshots(at: &Path) -> Result<Vec<(String, i64)>, VaultError> {
    read_marker(at)?;
    Ok(snapshot_names(at)?.into_iter().filter_map(|n| parse_stamp(&n).map(|t| (n, t))).collect())
}

/// The time in a snapshot's name (`20261201T225147.250Z-…`), as written by [`utc_stamp`].
fn parse_stamp(name: &str) -> Option<i64> {
    let b = name.as_bytes();
    if b.len() < 20 || b[8] != b'T' || b[15] != b'.' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| name.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss, ms) = (num(9..11)?, num(11..13)?, num(13..15)?, num(16..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of `utc_stamp`.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms)
}

/// Snapshot names in the folder, oldest first (temporary files of an interrupted write are
/// not snapshots).
fn snapshot_names(at: &Path) -> Result<Vec<String>, VaultError> {
    let dir = at.join(SNAPSHOT_DIR);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with('.') { None } else { n.strip_suffix(".json").map(str::to_owned) }
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(&dir)(e)),
    };
    names.sort();
    Ok(names)
}

fn read_snapshot(at: &Path, name: &str) -> Result<SnapshotFile, VaultError> {
    let path = at.join(SNAPSHOT_DIR).join(format!("{name}.json"));
    let bytes = read_regular(&path, MAX_SNAPSHOT_BYTES).map_err(|e| match e {
        VaultError::Io { source, .. } if source.kind() == std::io::ErrorKind::InvalidData => {
            damaged(&format!("snapshot {name}"), &source.to_string())
        }
        other => other,
    })?;
    let file: SnapshotFile = serde_json::from_slice(&bytes)
        .map_err(|e| damaged(&format!("snapshot {name}"), &format!("it is truncated or damaged ({e})")))?;
    if file.format != FORMAT {
        return Err(damaged(&format!("snapshot {name}"), &format!("unknown format {}", file.format)));
    }
    Ok(file)
}

fn latest_manifest(at: &Path, keys: &BackupKeys) -> Option<Manifest> {
    let names = snapshot_names(at).ok()?;
    names.iter().rev().find_map(|n| read_snapshot(at, n).and_then(|f| keys.open_manifest(n, &f)).ok())
}

/// The data key of the vault a backup folder holds, from the snapshots' key files (newest
/// first: the passphrase may have changed between snapshots).
fn unlock_backup(at: &Path, secret: BackupSecret<'_>) -> Result<(DataKey, BackupKeys), VaultError> {
    let marker = read_marker(at)?;
    let names = snapshot_names(at)?;
    if names.is_empty() {
        return Err(VaultError::NotABackup(at.to_owned()));
    }
    let recovery = match secret {
        BackupSecret::RecoveryKey(text) => Some(RecoveryKey::parse(text)?),
        BackupSecret::Passphrase(_) => None,
    };
    let mut tried: Vec<String> = Vec::new();
    let mut first_error = None;
    for name in names.iter().rev() {
        let Ok(file) = read_snapshot(at, name) else { continue };
        let slot = serde_json::to_string(&file.key_file).unwrap_or_default();
        if tried.contains(&slot) {
            continue;
        }
        tried.push(slot);
        let opened = match (&recovery, secret) {
            (Some(key), _) => file.key_file.open_with_recovery_key(key),
            (None, BackupSecret::Passphrase(p)) => file.key_file.open_with_passphrase(p),
            (None, BackupSecret::RecoveryKey(_)) => Err(VaultError::WrongRecoveryKey),
        };
        match opened {
            Ok(data_key) => {
                let keys = BackupKeys::new(&data_key);
                if keys.fingerprint != marker.vault {
                    // A stray snapshot of another vault with the same passphrase.
                    first_error.get_or_insert(VaultError::BackupOfAnotherVault(at.to_owned()));
                    continue;
                }
                return Ok((data_key, keys));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| damaged(&format!("{}", at.display()), "no snapshot in it can be read")))
}

/// Checks every snapshot of the backup folder `at`: each manifest opens and every piece it
/// names is present, whole and of this backup. Returns the snapshots and, for each, what is
/// wrong with it (empty when it restores as it was).
///
/// # Errors
/// [`VaultError::NotABackup`], [`VaultError::WrongPassphrase`] or
/// [`VaultError::WrongRecoveryKey`], or I/O errors reading the folder.
pub fn verify_backup(at: &Path, secret: BackupSecret<'_>) -> Result<Vec<SnapshotCheck>, VaultError> {
    let (_data_key, keys) = unlock_backup(at, secret)?;
    let mut checked: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for name in snapshot_names(at)? {
        let result = read_snapshot(at, &name).and_then(|f| keys.open_manifest(&name, &f)).and_then(|manifest| {
            for file in &manifest.files {
                let mut size = 0u64;
                for (i, piece) in file.pieces.iter().enumerate() {
                    let outcome = checked
                        .entry(piece.clone())
                        .or_insert_with(|| read_piece(at, &keys, piece).err().map(|e| e.to_string()));
                    if let Some(reason) = outcome {
                        return Err(damaged(&format!("snapshot {name}: {} (piece {})", file.path, i + 1), reason));
                    }
                    size += piece_len(at, piece);
                }
                if size != file.size {
                    return Err(damaged(
                        &format!("snapshot {name}: {}", file.path),
                        "its pieces do not add up to the file",
                    ));
                }
            }
            Ok(manifest.summary())
        });
        out.push((name, result));
    }
    Ok(out)
}

/// Plaintext length of a piece (its file less nonce and tag), from its size on disk.
fn piece_len(at: &Path, name: &str) -> u64 {
    std::fs::metadata(piece_path(at, name)).map_or(0, |m| m.len().saturating_sub((NONCE_LEN + 16) as u64))
}

fn read_piece(at: &Path, keys: &BackupKeys, name: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(damaged(&format!("piece {name}"), "the manifest names no piece"));
    }
    let path = piece_path(at, name);
    let sealed = read_regular(&path, (PIECE + NONCE_LEN + 16) as u64).map_err(|e| match e {
        VaultError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    });
    let sealed = sealed.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => VaultError::BackupDamaged {
            item: format!("piece {}", &name[..16]),
            reason: "it is missing (the backup was copied or moved incompletely)".to_owned(),
        },
        _ => io(&path)(e),
    })?;
    keys.open_piece(name, sealed).ok_or_else(|| VaultError::BackupDamaged {
        item: format!("piece {}", &name[..16]),
        reason: "it is damaged, truncated or from another backup".to_owned(),
    })
}

/// Restores the snapshot `snapshot` (the newest when `None`) of the backup folder `from` as
/// the vault directory `to`, which must not hold a vault. Everything is written and checked
/// in a hidden folder beside `to` and renamed into place only when the restored vault opens
/// and verifies clean; on any error nothing is left behind.
///
/// The restored vault opens with the secret given (and the recovery key); unlocking with the
/// device is off until the user turns it on again on the new computer.
///
/// # Errors
/// [`VaultError::AlreadyExists`] when `to` holds a vault; [`VaultError::BackupDamaged`]
/// naming the damage; [`VaultError::WrongPassphrase`] / [`VaultError::WrongRecoveryKey`];
/// I/O errors (a full disk).
pub fn restore_backup(
    from: &Path,
    snapshot: Option<&str>,
    secret: BackupSecret<'_>,
    to: &Path,
) -> Result<RestoreReport, VaultError> {
    if Vault::state(to)? == crate::VaultState::Present {
        return Err(VaultError::AlreadyExists(to.join(KEY_FILE)));
    }
    let (data_key, keys) = unlock_backup(from, secret)?;
    let names = snapshot_names(from)?;
    let name = match snapshot {
        Some(s) if names.iter().any(|n| n == s) => s.to_owned(),
        Some(s) => return Err(damaged(&format!("snapshot {s}"), "it is not in this backup")),
        None => names
            .iter()
            .rev()
            .find(|n| read_snapshot(from, n).and_then(|f| keys.open_manifest(n, &f)).is_ok())
            .cloned()
            .ok_or_else(|| damaged(&format!("{}", from.display()), "no snapshot in it can be read"))?,
    };
    let mut file = read_snapshot(from, &name)?;
    let manifest = keys.open_manifest(&name, &file)?;
    // The snapshot's key file may predate a passphrase change (or the secret opened a newer
    // snapshot's): the restored vault must open with what the user typed.
    if let BackupSecret::Passphrase(p) = secret
        && file.key_file.open_with_passphrase(p).is_err()
    {
        let kdf = file.key_file.kdf();
        file.key_file.rewrap_passphrase(&data_key, p, kdf)?;
    }

    let parent = to.parent().unwrap_or(Path::new("."));
    let base = to.file_name().map_or_else(|| "vault".to_owned(), |n| n.to_string_lossy().into_owned());
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    remove_stale_restores(parent, &base);
    let unique: [u8; 6] = random_bytes()?;
    let staging = parent.join(format!(".{base}.restoring-{}", crate::blobs::hex(&unique)));
    let result = restore_into(from, &keys, &data_key, &file, &manifest, &staging).and_then(|()| {
        if to.exists() {
            // An empty folder (the first-run screen may have made it) gives way; anything else
            // is the user's and stays.
            std::fs::remove_dir(to).map_err(io(to))?;
        }
        std::fs::rename(&staging, to).map_err(io(to))?;
        sync_dir(parent)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.map(|()| RestoreReport { snapshot: manifest.summary() })
}

fn remove_stale_restores(parent: &Path, base: &str) {
    let prefix = format!(".{base}.restoring-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn restore_into(
    from: &Path,
    keys: &BackupKeys,
    data_key: &DataKey,
    file: &SnapshotFile,
    manifest: &Manifest,
    staging: &Path,
) -> Result<(), VaultError> {
    crate::private_dir(staging)?;
    crate::private_dir(&staging.join(BLOB_DIR))?;
    file.key_file.write_atomically(&staging.join(KEY_FILE))?;
    for entry in &manifest.files {
        let path = staging.join(&entry.path);
        let mut out = crate::private_file_options().write(true).truncate(true).open(&path).map_err(io(&path))?;
        let mut size = 0u64;
        for (i, piece) in entry.pieces.iter().enumerate() {
            let plain = read_piece(from, keys, piece).map_err(|e| match e {
                VaultError::BackupDamaged { reason, .. } => {
                    damaged(&format!("snapshot {}: {} (piece {})", manifest.snapshot, entry.path, i + 1), &reason)
                }
                other => other,
            })?;
            out.write_all(&plain).map_err(io(&path))?;
            size += plain.len() as u64;
        }
        if size != entry.size {
            return Err(damaged(
                &format!("snapshot {}: {}", manifest.snapshot, entry.path),
                "its pieces do not add up to the file",
            ));
        }
        out.sync_all().map_err(io(&path))?;
    }
    sync_dir(&staging.join(BLOB_DIR))?;
    sync_dir(staging)?;
    // The restored vault must open and verify as it was backed up.
    let owner = Owner::acquire(staging)?;
    let vault = Vault::open(staging, DataKey(data_key.0), owner)?;
    let problems = vault.verify()?;
    if let Some(first) = problems.into_iter().next() {
        return Err(damaged(
            &format!("snapshot {}", manifest.snapshot),
            &format!("the restored vault fails its check: {first}"),
        ));
    }
    Ok(())
}

/// For the fuzz target `backup_snapshot` (not part of the API): parses `bytes` as a snapshot
/// file, opens its manifest under a fixed key, and reads a snapshot name; must never panic
/// and never accept a path outside a vault.
#[doc(hidden)]
pub fn fuzz_snapshot(bytes: &[u8]) {
    let keys = BackupKeys::new(&DataKey([7; KEY_LEN]));
    if let Ok(file) = serde_json::from_slice::<SnapshotFile>(bytes) {
        if let Ok(manifest) = keys.open_manifest("20261201T000000.000Z-00000000", &file) {
            assert!(manifest.files.iter().all(|f| valid_path(&f.path)));
        }
        let _ = file.key_file.open_with_recovery_key(&RecoveryKey([1; KEY_LEN]));
    }
    let _ = keys.open_piece(&"0".repeat(64), bytes.to_vec());
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = parse_stamp(text);
        let _ = valid_path(text);
    }
}

/// `20261201T225147.250Z` for a time in milliseconds since the Unix epoch (UTC).
fn utc_stamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(0), "19700101T000000.000Z");
        assert_eq!(utc_stamp(951_782_400_007), "20000229T000000.007Z");
        assert_eq!(utc_stamp(1_796_165_507_250), "20261201T225147.250Z");
        for ms in [0, 951_782_400_007, 1_796_165_507_250, 4_102_444_799_999] {
            assert_eq!(parse_stamp(&format!("{}-abcd", utc_stamp(ms))), Some(ms));
        }
        assert_eq!(parse_stamp("not-a-snapshot"), None);
        assert_eq!(parse_stamp("20261301T000000.000Z-x"), None);
    }

    #[test]
    fn retention_keeps_the_newest_and_one_per_day_and_week() {
        const HOUR: i64 = 3_600_000;
        // Every six hours for 30 days, oldest first.
        let times: Vec<i64> = (0..120).map(|i| 1_796_165_507_000 - (119 - i) * 6 * HOUR).collect();
        let keep = Retention { last: 3, daily: 7, weekly: 4 };
        let kept = keep.select(&times);
        for newest in 117..120 {
            assert!(kept.contains(&newest));
        }
        let days: BTreeSet<i64> = kept.iter().map(|&i| times[i].div_euclid(24 * HOUR)).collect();
        assert!(days.len() >= 7 && kept.len() <= 3 + 7 + 4, "{kept:?}");
        // Four weeks: this one and the three before it; the oldest kept is the newest of the
        // week three weeks back (14 to 21 days old), none older.
        let oldest = kept.iter().map(|&i| times[i]).min().unwrap();
        assert!(times[119] - oldest <= 21 * 24 * HOUR, "{}", (times[119] - oldest) / HOUR);
        assert!(times[119] - oldest >= 14 * 24 * HOUR, "{}", (times[119] - oldest) / HOUR);
        assert_eq!(Retention { last: 0, daily: 0, weekly: 0 }.select(&times).len(), 0);
    }

    #[test]
    fn only_the_database_and_plain_blob_names_are_vault_files() {
        assert!(valid_path("vault.sqlite3"));
        assert!(valid_path("blobs/case-1_a"));
        for bad in
            ["vault.json", "blobs/", "blobs/../x", "blobs/a/b", "../vault.sqlite3", "/etc/passwd", "blobs/.x.tmp"]
        {
            assert!(!valid_path(bad), "{bad}");
        }
    }
}
