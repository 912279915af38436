//! Media types read from a file's first bytes, never from its name or the sender's word.

/// The media type of content starting with `head` (at least the first 16 bytes when the file
/// has them; up to 4 KiB is used for text).
#[must_use]
pub fn sniff(head: &[u8]) -> &'static str {
    match head {
        [b'%', b'P', b'D', b'F', b'-', ..] => "application/pdf",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => "image/gif",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => "audio/wav",
        [b'I', b'D', b'3', ..] | [0xFF, 0xFB | 0xF3 | 0xF2, ..] => "audio/mpeg",
        [b'O', b'g', b'g', b'S', ..] => "audio/ogg",
        [0x1A, 0x45, 0xDF, 0xA3, ..] => "video/webm",
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => "image/tiff",
        [_, _, _, _, b'f', b't', b'y', b'p', b'h', b'e', b'i', b'c' | b'x', ..]
        | [_, _, _, _, b'f', b't', b'y', b'p', b'm', b'i', b'f', b'1', ..] => "image/heic",
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => "video/mp4",
        [b'W', b'A', b'R', b'C', b'/', ..] => "application/warc",
        [0x1F, 0x8B, ..] => "application/gzip",
        [b'P', b'K', 0x03, 0x04, ..] => "application/zip",
        _ if !head.is_empty()
            && !head.contains(&0)
            && std::str::from_utf8(&head[..head.len().min(4096)]).is_ok_and(|_| true) =>
        {
            "text/plain"
        }
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;
    use proptest::prelude::*;

    #[test]
    fn names_do_not_matter_content_does() {
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"WARC/1.1\r\n"), "application/warc");
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), "image/tiff");
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), "image/heic");
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0"), "video/mp4");
        assert_eq!(sniff("证据说明".as_bytes()), "text/plain");
        assert_eq!(sniff(b"\x00\x01\x02"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
    }

    proptest! {
        #[test]
        fn any_bytes_get_a_type_and_no_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert!(sniff(&bytes).contains('/'));
        }
    }
}
