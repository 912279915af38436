//! What a stolen laptop's data directory tells without the passphrase: after drafts of
//! different lengths (one saved many times) and a case with documents, no file shows a
//! draft's exact length, a case's id, or how many versions a draft has.

use super::casework::contract_case;
use super::support::{Court, app_on, sign_in};

fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_data_directory_shows_no_draft_length_no_case_id_and_no_version_count() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let policy = app.court_policy().await.unwrap();

    // Three drafts whose bodies differ by a few bytes; the first saved 9 more times.
    let mut drafts = Vec::new();
    for (title, len) in [("代理词", 1000), ("答辩状", 1003), ("质证意见", 1010)] {
        drafts.push(app.create_draft(title, &"文".repeat(len / 3), None).unwrap().id);
    }
    for n in 0..9 {
        app.save_draft(&drafts[0], "代理词", &format!("{}{n}", "文".repeat(333))).unwrap();
    }
    assert_eq!(app.draft_history(&drafts[0]).unwrap().len(), 10);
    let case = app.create_case(contract_case(policy.court_id.clone())).unwrap().case.id;
    let view = app.attach_case_document(&case, "identity", "身份证.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
    assert!(!view.case.documents.is_empty());
    app.lock_vault().unwrap();
    app.shutdown().await;

    let data = dir.path().join("app");
    let vault = data.join("vault");
    let conn = rusqlite::Connection::open(vault.join(courtside_vault::DB_FILE)).unwrap();
    let columns: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('records')").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(columns, ["tbl", "id", "nonce", "ciphertext"], "no revision, write time or schema in the clear");
    // Every sealed length is a padded one: at least 256 bytes, its low bits zero (the drafts'
    // 1000, 1003 and 1010 bytes cannot be told apart, nor from other records of that size).
    let lengths: Vec<usize> = {
        let mut stmt = conn.prepare("SELECT length(ciphertext) FROM records").unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().map(|l| usize::try_from(l.unwrap()).unwrap()).collect()
    };
    for sealed in &lengths {
        let envelope = sealed - 16;
        let e = usize::BITS - 1 - envelope.leading_zeros();
        let zero_bits = e - (u32::BITS - e.leading_zeros());
        assert!(envelope >= 256 && envelope.trailing_zeros() >= zero_bits, "{envelope} is an exact length");
    }
    // Names: 128-bit keyed hashes, nothing else.
    let names: Vec<(String, String)> = {
        let mut stmt = conn.prepare("SELECT tbl, id FROM records").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let opaque = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(names.iter().all(|(t, i)| opaque(t) && opaque(i)), "{names:?}");
    drop(conn);

    let blob_names: Vec<String> = std::fs::read_dir(vault.join(courtside_vault::BLOB_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!blob_names.is_empty() && blob_names.iter().all(|n| opaque(n)), "{blob_names:?}");
    let case_id = case.as_bytes();
    for (path, bytes) in files(&data) {
        let shown = path.display().to_string();
        assert!(!shown.contains(&case), "{shown} names the case");
        assert!(!contains(&bytes, case_id), "{shown} holds the case's id");
        for draft in &drafts {
            assert!(!contains(&bytes, draft.as_bytes()), "{shown} holds a draft's id");
        }
        // A version's number (`<draft>.0000000010`) is not written anywhere in the clear.
        assert!(!contains(&bytes, b".000000001"), "{shown} counts a draft's versions");
        for table in ["draft_versions", "drafts", "cases"] {
            assert!(!contains(&bytes, table.as_bytes()), "{shown} names the table {table}");
        }
    }
}
