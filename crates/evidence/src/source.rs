//! Where an exhibit came from: one type for the exhibit record, its custody entry and the
//! window, so nothing builds a source as text in one place and parses it back in another.
//!
//! Records and custody entries written before this type held the source as text (`file`,
//! `watched-folder`, `url:a -> b`, …); they are read with [`stored`] and keep their signed
//! bytes as they were.

use serde::{Deserialize, Deserializer, Serialize};

/// Where an exhibit came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ExhibitSource"))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Source {
    /// A file the user chose.
    File,
    /// A file dropped on the window.
    DragAndDrop,
    /// A file that appeared in the watched folder.
    WatchedFolder,
    /// A photo or video from the camera.
    Camera,
    /// A sound recording.
    Microphone,
    /// A recording of the screen.
    Screen,
    /// A web page, through its redirects: the address the user gave first, the page kept last.
    #[serde(rename_all = "camelCase")]
    Web {
        /// Every address fetched, in order.
        hops: Vec<String>,
    },
    /// A source named by an earlier version in words this one does not know.
    #[serde(rename_all = "camelCase")]
    Other {
        /// Its words.
        text: String,
    },
}

impl Source {
    /// The source an earlier version wrote as text.
    #[must_use]
    pub fn from_legacy(text: &str) -> Self {
        match text {
            "file" => Self::File,
            "drag-and-drop" => Self::DragAndDrop,
            "watched-folder" => Self::WatchedFolder,
            "camera" => Self::Camera,
            "microphone" => Self::Microphone,
            "screen" => Self::Screen,
            other => match other.strip_prefix("url:") {
                Some(hops) => Self::Web { hops: hops.split(" -> ").map(str::to_owned).collect() },
                None => Self::Other { text: other.to_owned() },
            },
        }
    }

    /// The page kept, for a web capture.
    #[must_use]
    pub fn final_url(&self) -> Option<&str> {
        match self {
            Self::Web { hops } => hops.last().map(String::as_str),
            _ => None,
        }
    }
}

/// Reads a source as stored now (tagged) or by an earlier version (text).
///
/// # Errors
/// The deserializer's, for anything else.
pub fn stored<'de, D: Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Now(Source),
        Legacy(String),
    }
    Ok(match Stored::deserialize(d)? {
        Stored::Now(s) => s,
        Stored::Legacy(text) => Source::from_legacy(&text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "stored")]
        source: Source,
    }

    fn read(json: &str) -> Source {
        serde_json::from_str::<Holder>(json).map(|h| h.source).unwrap()
    }

    #[test]
    fn sources_written_as_text_by_earlier_versions_are_read_as_what_they_meant() {
        assert_eq!(read(r#"{"source":"watched-folder"}"#), Source::WatchedFolder);
        assert_eq!(read(r#"{"source":"drag-and-drop"}"#), Source::DragAndDrop);
        assert_eq!(
            read(r#"{"source":"url:http://a.example/ -> https://b.example/p"}"#),
            Source::Web { hops: vec!["http://a.example/".into(), "https://b.example/p".into()] }
        );
        assert_eq!(read(r#"{"source":"fax"}"#), Source::Other { text: "fax".into() });
    }

    #[test]
    fn a_source_written_now_reads_back_the_same() {
        for s in [Source::Camera, Source::Web { hops: vec!["https://a.example/".into()] }] {
            let json = serde_json::json!({ "source": s }).to_string();
            assert_eq!(read(&json), s, "{json}");
        }
        assert!(serde_json::from_str::<Holder>(r#"{"source":{"kind":"teleport"}}"#).is_err());
    }
}
