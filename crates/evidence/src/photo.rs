//! What a photo says about itself: the EXIF fields that matter to a court (when and with
//! what it was taken, where, by which software it was last written), read from the first
//! bytes of the capture while it streams into the vault.
//!
//! The bytes are hostile: the TIFF structure is parsed by `kamadak-exif`, which bounds its
//! reads by the buffer; what comes out is cut to [`MAX_FIELD`] characters with control
//! characters removed, and only finite coordinates in range are kept. A photo whose EXIF
//! does not parse has no facts; the capture itself never fails because of it.

use serde::{Deserialize, Serialize};

/// How much of the start of a file is searched for EXIF (JPEG's APP1 segment is at most
/// 64 KiB and comes first; PNG's `eXIf` and WebP's `EXIF` chunks usually sit early too).
pub const EXIF_WINDOW: usize = 128 * 1024;

/// Longest text kept from one field.
pub const MAX_FIELD: usize = 120;

/// The EXIF facts of a photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PhotoFacts {
    /// When it was taken, as the camera wrote it (`DateTimeOriginal`, `YYYY-MM-DD hh:mm:ss`,
    /// with the offset when the camera recorded one). The camera's clock, not a proof.
    pub taken_at: Option<String>,
    /// Camera maker and model.
    pub camera: Option<String>,
    /// The software that last wrote the file (an editor here is worth a question).
    pub software: Option<String>,
    /// Latitude in degrees, north positive.
    pub latitude: Option<f64>,
    /// Longitude in degrees, east positive.
    pub longitude: Option<f64>,
    /// Width and height in pixels, as recorded.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
}

impl PhotoFacts {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The facts of a photo whose first bytes are `head` (up to [`EXIF_WINDOW`]), when it has
/// readable EXIF with at least one of them.
#[must_use]
pub fn read(head: &[u8]) -> Option<PhotoFacts> {
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(head)).ok()?;
    let text = |tag: exif::Tag| -> Option<String> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Ascii(parts) = &field.value else { return None };
        let joined: String =
            parts.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>().join(" ");
        clean(&joined)
    };
    let number = |tag: exif::Tag| -> Option<u32> {
        exif.get_field(tag, exif::In::PRIMARY)?.value.get_uint(0).filter(|&n| n > 0 && n <= 1_000_000)
    };
    let taken_at = text(exif::Tag::DateTimeOriginal).or_else(|| text(exif::Tag::DateTime)).and_then(|raw| {
        let mut when = exif::DateTime::from_ascii(raw.as_bytes()).ok()?;
        if let Some(offset) = text(exif::Tag::OffsetTimeOriginal) {
            // The offset is kept only when it reads as one.
            let _ = when.parse_offset(offset.as_bytes());
        }
        if !(1..=12).contains(&when.month)
            || !(1..=31).contains(&when.day)
            || when.hour > 23
            || when.minute > 59
            || when.second > 60
        {
            return None;
        }
        let mut out = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            when.year, when.month, when.day, when.hour, when.minute, when.second
        );
        if let Some(minutes) = when.offset {
            let sign = if minutes < 0 { '-' } else { '+' };
            let m = minutes.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
        }
        Some(out)
    });
    let camera = match (text(exif::Tag::Make), text(exif::Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => clean(&format!("{make} {model}")),
        (one, other) => one.or(other),
    };
    let coordinate = |value: exif::Tag, reference: exif::Tag, negative: &str, limit: f64| -> Option<f64> {
        let field = exif.get_field(value, exif::In::PRIMARY)?;
        let exif::Value::Rational(parts) = &field.value else { return None };
        let [d, m, s] = parts.as_slice() else { return None };
        let degrees = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let sign = if text(reference).is_some_and(|r| r.eq_ignore_ascii_case(negative)) { -1.0 } else { 1.0 };
        let signed = sign * degrees;
        (signed.is_finite() && signed.abs() <= limit).then_some((signed * 1e6).round() / 1e6)
    };
    let facts = PhotoFacts {
        taken_at,
        camera,
        software: text(exif::Tag::Software),
        latitude: coordinate(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S", 90.0),
        longitude: coordinate(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W", 180.0),
        width: number(exif::Tag::PixelXDimension),
        height: number(exif::Tag::PixelYDimension),
    };
    (!facts.is_empty()).then_some(facts)
}

/// Text fit to show: control characters out, surrounding blanks and NULs trimmed, at most
/// [`MAX_FIELD`] characters, nothing when empty.
fn clean(raw: &str) -> Option<String> {
    let kept: String = raw.chars().filter(|c| !c.is_control()).take(MAX_FIELD).collect();
    let trimmed = kept.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A TIFF field for [`jpeg_with_exif`]: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL)
    /// and its bytes in the file's byte order.
    struct Entry {
        tag: u16,
        kind: u16,
        count: u32,
        data: Vec<u8>,
    }

    struct Tiff {
        little: bool,
    }

    /// Tag, type, count, value bytes, and which sub-IFD it points to.
    type Row = (u16, u16, u32, Vec<u8>, Option<usize>);

    impl Tiff {
        fn u16(&self, v: u16) -> [u8; 2] {
            if self.little { v.to_le_bytes() } else { v.to_be_bytes() }
        }
        fn u32(&self, v: u32) -> [u8; 4] {
            if self.little { v.to_le_bytes() } else { v.to_be_bytes() }
        }
        fn ascii(&self, tag: u16, s: &str) -> Entry {
            let mut data = s.as_bytes().to_vec();
            data.push(0);
            Entry { tag, kind: 2, count: data.len() as u32, data }
        }
        fn long(&self, tag: u16, v: u32) -> Entry {
            Entry { tag, kind: 4, count: 1, data: self.u32(v).to_vec() }
        }
        fn rationals(&self, tag: u16, values: &[(u32, u32)]) -> Entry {
            let mut data = Vec::new();
            for (n, d) in values {
                data.extend(self.u32(*n));
                data.extend(self.u32(*d));
            }
            Entry { tag, kind: 5, count: values.len() as u32, data }
        }
        /// Writes an IFD at `out.len()` (offsets are from the TIFF header at 0); `next`
        /// entries are pointers patched to sub-IFDs written right after.
        fn ifd(&self, out: &mut Vec<u8>, entries: &[Entry], subs: &[(u16, Vec<Entry>)]) {
            let count = entries.len() + subs.len();
            let table = out.len();
            let data_at = table + 2 + count * 12 + 4;
            let mut data = Vec::new();
            let mut rows = Vec::new();
            let mut all: Vec<Row> = entries.iter().map(|e| (e.tag, e.kind, e.count, e.data.clone(), None)).collect();
            for (i, (tag, _)) in subs.iter().enumerate() {
                all.push((*tag, 4, 1, vec![0; 4], Some(i)));
            }
            all.sort_by_key(|e| e.0);
            let mut patches = Vec::new();
            for (tag, kind, n, bytes, sub) in &all {
                let mut row = Vec::new();
                row.extend(self.u16(*tag));
                row.extend(self.u16(*kind));
                row.extend(self.u32(*n));
                if let Some(i) = sub {
                    patches.push((table + 2 + rows.len() + 8, *i));
                    row.extend([0; 4]);
                } else if bytes.len() <= 4 {
                    let mut inline = bytes.clone();
                    inline.resize(4, 0);
                    row.extend(inline);
                } else {
                    row.extend(self.u32((data_at + data.len()) as u32));
                    data.extend(bytes);
                    if data.len() % 2 == 1 {
                        data.push(0);
                    }
                }
                rows.extend(row);
            }
            out.extend(self.u16(count as u16));
            out.extend(&rows);
            out.extend([0; 4]);
            out.extend(&data);
            for (at, i) in patches {
                let here = out.len() as u32;
                out[at..at + 4].copy_from_slice(&self.u32(here));
                self.ifd(out, &subs[i].1, &[]);
            }
        }
    }

    /// A minimal JPEG (SOI, APP1 Exif, EOI) whose EXIF holds the given facts.
    pub(crate) fn jpeg_with_exif(
        little: bool,
        make: &str,
        model: &str,
        taken: &str,
        lat: (u32, u32, u32, bool),
        lon: (u32, u32, u32, bool),
        size: (u32, u32),
    ) -> Vec<u8> {
        let t = Tiff { little };
        let mut tiff = Vec::new();
        tiff.extend(if little { *b"II" } else { *b"MM" });
        tiff.extend(t.u16(42));
        tiff.extend(t.u32(8));
        let exif_ifd = vec![t.ascii(0x9003, taken), t.long(0xA002, size.0), t.long(0xA003, size.1)];
        let gps_ifd = vec![
            t.ascii(0x0001, if lat.3 { "S" } else { "N" }),
            t.rationals(0x0002, &[(lat.0, 1), (lat.1, 1), (lat.2, 100)]),
            t.ascii(0x0003, if lon.3 { "W" } else { "E" }),
            t.rationals(0x0004, &[(lon.0, 1), (lon.1, 1), (lon.2, 100)]),
        ];
        t.ifd(&mut tiff, &[t.ascii(0x010F, make), t.ascii(0x0110, model)], &[(0x8769, exif_ifd), (0x8825, gps_ifd)]);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
        jpeg.extend(app1);
        jpeg.extend([0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn a_photo_tells_when_where_and_with_what() {
        let jpeg = jpeg_with_exif(
            true,
            "Huawei",
            "P60",
            "2026:03:14 09:26:53",
            (31, 13, 5000, false),
            (121, 28, 3000, false),
            (4000, 3000),
        );
        let facts = read(&jpeg).expect("facts");
        assert_eq!(facts.taken_at.as_deref(), Some("2026-03-14 09:26:53"));
        assert_eq!(facts.camera.as_deref(), Some("Huawei P60"));
        assert_eq!(facts.latitude, Some(31.230_556));
        assert_eq!(facts.longitude, Some(121.475));
        assert_eq!((facts.width, facts.height), (Some(4000), Some(3000)));
        // Big-endian, southern and western hemispheres.
        let jpeg = jpeg_with_exif(
            false,
            "Canon",
            "Canon EOS R5",
            "2025:12:31 23:59:59",
            (33, 52, 0, true),
            (70, 40, 0, true),
            (8192, 5464),
        );
        let facts = read(&jpeg).expect("facts");
        assert_eq!(facts.camera.as_deref(), Some("Canon EOS R5"));
        assert_eq!(facts.latitude, Some(-(33.0 + 52.0 / 60.0)).map(|v: f64| (v * 1e6).round() / 1e6));
        assert_eq!(facts.longitude, Some(-(70.0 + 40.0 / 60.0)).map(|v: f64| (v * 1e6).round() / 1e6));
    }

    #[test]
    fn no_exif_no_facts() {
        assert_eq!(read(b"%PDF-1.7"), None);
        assert_eq!(read(&[0xFF, 0xD8, 0xFF, 0xD9]), None);
        assert_eq!(read(&[]), None);
    }

    proptest! {
        #[test]
        fn recorded_facts_come_back(
            little in any::<bool>(),
            make in "[A-Za-z]{1,12}",
            model in "[A-Za-z0-9 ]{1,20}",
            (y, mo, d, h, mi, s) in (1990u32..2100, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60, 0u32..60),
            lat in (0u32..90, 0u32..60, 0u32..6000, any::<bool>()),
            lon in (0u32..180, 0u32..60, 0u32..6000, any::<bool>()),
            size in (1u32..100_000, 1u32..100_000),
        ) {
            let taken = format!("{y:04}:{mo:02}:{d:02} {h:02}:{mi:02}:{s:02}");
            let jpeg = jpeg_with_exif(little, &make, &model, &taken, lat, lon, size);
            let facts = read(&jpeg).expect("facts");
            prop_assert_eq!(facts.taken_at, Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")));
            let model = model.trim().to_owned();
            let camera = if model.is_empty() { Some(make.clone()) } else if model.starts_with(&make) { Some(model.clone()) } else { Some(format!("{make} {model}")) };
            prop_assert_eq!(facts.camera, camera);
            let degrees = |(d, m, s, neg): (u32, u32, u32, bool)| {
                let v = f64::from(d) + f64::from(m) / 60.0 + f64::from(s) / 100.0 / 3600.0;
                ((if neg { -v } else { v }) * 1e6).round() / 1e6
            };
            prop_assert_eq!(facts.latitude, Some(degrees(lat)));
            prop_assert_eq!(facts.longitude, Some(degrees(lon)));
            prop_assert_eq!((facts.width, facts.height), (Some(size.0), Some(size.1)));
        }

        /// Hostile bytes after a JPEG's start (and a corrupted valid photo) never panic, and
        /// whatever comes out is bounded and free of control characters.
        #[test]
        fn hostile_bytes_are_harmless(noise in proptest::collection::vec(any::<u8>(), 0..2048), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..16)) {
            let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1];
            bytes.extend(&noise);
            let mut photo = jpeg_with_exif(true, "Make", "Model", "2026:01:02 03:04:05", (1, 2, 3, false), (4, 5, 6, true), (7, 8));
            for (at, value) in flips {
                let at = at % photo.len();
                photo[at] ^= value;
            }
            for input in [&bytes[..], &noise[..], &photo[..]] {
                if let Some(f) = read(input) {
                    for text in [&f.taken_at, &f.camera, &f.software].into_iter().flatten() {
                        prop_assert!(text.chars().count() <= MAX_FIELD);
                        prop_assert!(!text.chars().any(char::is_control));
                    }
                    for (v, limit) in [(f.latitude, 90.0), (f.longitude, 180.0)] {
                        if let Some(v) = v { prop_assert!(v.is_finite() && v.abs() <= limit); }
                    }
                }
            }
        }
    }
}
