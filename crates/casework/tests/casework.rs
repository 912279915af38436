//! Drafts through the public API on a real vault, including a crash test.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use courtside_casework::{DraftError, Drafts};
use courtside_vault::{KdfParams, Vault};

fn vault() -> (tempfile::TempDir, Arc<Vault>) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    (dir, Arc::new(vault))
}

#[test]
fn versions_accumulate_and_restore_makes_a_new_version() {
    let (dir, vault) = vault();
    let mut drafts = Drafts::load(vault.clone()).unwrap();
    let d = drafts.create("起诉状", "原告：张三", Some("case-1")).unwrap();
    assert_eq!(d.version, 1);
    drafts.save(&d.id, "起诉状", "原告：张三\n被告：李四").unwrap();
    let unchanged = drafts.save(&d.id, "起诉状", "原告：张三\n被告：李四").unwrap();
    assert_eq!(unchanged.version, 2, "saving unchanged text writes no version");
    drafts.save(&d.id, "民事起诉状", "原告：张三\n被告：李四\n诉讼请求：……").unwrap();
    let history = drafts.history(&d.id).unwrap();
    assert_eq!(history.iter().map(|v| v.number).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(history[0].chars, "原告：张三".chars().count());

    let restored = drafts.restore(&d.id, 1).unwrap();
    assert_eq!(restored.version, 4);
    assert_eq!(restored.body, "原告：张三");
    assert_eq!(drafts.version(&d.id, 3).unwrap().title, "民事起诉状");
    assert!(matches!(drafts.version(&d.id, 9), Err(DraftError::NoSuchVersion(_, 9))));
    drop(drafts);
    drop(vault);

    // After a restart everything is there.
    let vault = Arc::new(Vault::unlock(dir.path(), "correct horse battery").unwrap());
    let drafts = Drafts::load(vault.clone()).unwrap();
    let d = drafts.get(&d.id).unwrap();
    assert_eq!((d.version, d.body.as_str(), d.case_id.as_deref()), (4, "原告：张三", Some("case-1")));
    assert_eq!(drafts.history(&d.id).unwrap().len(), 4);
}

#[test]
fn search_finds_chinese_and_latin_text_case_insensitively() {
    let (_dir, vault) = vault();
    let mut drafts = Drafts::load(vault.clone()).unwrap();
    let a = drafts.create("Complaint", "The Defendant failed to deliver the goods.", None).unwrap();
    let b = drafts.create("起诉状", "被告未按合同约定交付货物，原告请求判令被告支付违约金。", None).unwrap();
    assert_eq!(drafts.search("defendant").iter().map(|h| &h.id).collect::<Vec<_>>(), [&a.id]);
    let hits = drafts.search("违约金");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, b.id);
    assert!(hits[0].snippet.contains("违约金"));
    assert!(drafts.search("not there").is_empty());
    assert!(drafts.search("   ").is_empty());
    // The search copy follows saves.
    drafts.save(&a.id, "Complaint", "Settled.").unwrap();
    assert!(drafts.search("defendant").is_empty());
}

#[test]
fn oversized_drafts_are_refused_without_saving() {
    let (_dir, vault) = vault();
    let mut drafts = Drafts::load(vault.clone()).unwrap();
    let d = drafts.create("t", "b", None).unwrap();
    assert!(matches!(drafts.save(&d.id, &"x".repeat(501), "b"), Err(DraftError::TooLarge(_))));
    assert_eq!(drafts.get(&d.id).unwrap().version, 1);
    assert!(matches!(drafts.save("nope", "t", "b"), Err(DraftError::NotFound(_))));
}

fn body(run: u32, n: u32) -> String {
    format!("运行 {run} 第 {n} 次保存\n{}", "起诉状正文 statement of claim. ".repeat(n as usize % 50 + 1))
}

/// Kills a process that autosaves in a loop, 100 times at varied instants; after every kill
/// the vault opens, passes its integrity check, and holds every version reported as saved.
#[test]
fn sigkill_during_autosave_never_loses_a_saved_version() {
    let example = {
        let mut p = std::env::current_exe().unwrap();
        p.pop();
        if p.ends_with("deps") {
            p.pop();
        }
        p.join("examples").join(format!("autosave_loop{}", std::env::consts::EXE_SUFFIX))
    };
    assert!(example.exists(), "{} is built by `cargo test`", example.display());
    let dir = tempfile::tempdir().unwrap();
    let mut reported: Vec<(String, u64, u32, u32)> = Vec::new();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for run in 0..100u32 {
        let mut child =
            Command::new(&example).arg(dir.path()).arg(run.to_string()).stdout(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Wait for the first save, then let it run for a pseudo-random 0-20 ms before the kill.
        let first = lines.next().expect("the loop saves at least once").unwrap();
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let deadline = Instant::now() + Duration::from_micros((seed >> 33) % 20_000);
        while Instant::now() < deadline {
            std::hint::spin_loop();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        for line in std::iter::once(Ok(first)).chain(lines) {
            let line = line.unwrap();
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f[0], "saved", "{line}");
            reported.push((f[1].to_owned(), f[2].parse().unwrap(), f[3].parse().unwrap(), f[4].parse().unwrap()));
        }
        let vault = Arc::new(Vault::unlock(dir.path(), "crash test passphrase").unwrap());
        let problems = vault.verify().unwrap();
        assert!(problems.is_empty(), "run {run}: {problems:?}");
        let drafts = Drafts::load(vault.clone()).unwrap();
        for (id, version, r, n) in &reported {
            assert_eq!(drafts.version(id, *version).unwrap().body, body(*r, *n), "run {run}: version {version}");
        }
    }
    assert!(reported.len() >= 100, "{} saves reported", reported.len());
}

/// Everything the user wrote is ciphertext on disk (database, WAL, blobs, temp files), and
/// readable again after unlock.
#[test]
fn no_user_text_on_disk_in_plaintext() {
    const MARKERS: [&str; 4] = ["MARKER-draft-7c1e", "标记起诉状正文九九", "MARKER-case-4b2a", "MARKER-blob-e5d0"];
    let dir = tempfile::tempdir().unwrap();
    {
        let (vault, _) = Vault::create(dir.path(), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
        let vault = Arc::new(vault);
        let mut drafts = Drafts::load(vault.clone()).unwrap();
        let d = drafts.create(MARKERS[0], MARKERS[1], None).unwrap();
        drafts.save(&d.id, MARKERS[0], &format!("{} v2", MARKERS[1])).unwrap();
        vault.put("cases", "c1", 1, MARKERS[2].as_bytes()).unwrap();
        let mut blob = MARKERS[3].repeat(100_000).into_bytes();
        vault.write_blob("b1", &mut std::io::Cursor::new(&mut blob)).unwrap();
        // Files are checked while the vault is still open too (WAL not yet checkpointed).
        assert_no_markers(dir.path(), &MARKERS);
    }
    assert_no_markers(dir.path(), &MARKERS);
    let vault = Arc::new(Vault::unlock(dir.path(), "correct horse battery").unwrap());
    let drafts = Drafts::load(vault.clone()).unwrap();
    assert_eq!(drafts.search(MARKERS[1]).len(), 1);
    assert_eq!(&vault.get("cases", "c1").unwrap().unwrap().plaintext[..], MARKERS[2].as_bytes());
    let mut out = Vec::new();
    vault.read_blob("b1", &mut out).unwrap();
    assert!(out.starts_with(MARKERS[3].as_bytes()));
}

fn assert_no_markers(dir: &std::path::Path, markers: &[&str]) {
    let mut files = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            for m in markers {
                assert!(
                    !bytes.windows(m.len()).any(|w| w == m.as_bytes()),
                    "{m} found in plaintext in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 3, "checked {files} files");
}

/// A case saved by the previous version (no `correcting`) reads as a case that corrects
/// nothing.
#[test]
fn a_case_saved_before_corrections_were_carried_reads_as_correcting_nothing() {
    let old = r#"{"id":"c1","fields":{"courtId":"demo","caseType":"civil-contract","causeOfAction":"买卖合同纠纷","title":"张三诉李四","amountFen":null,"simpleProcedure":false,"parties":[],"claims":[],"facts":"","notes":""},"documents":[],"filingItem":null,"deadlines":[],"courtCase":null,"exhibits":[],"createdAt":1,"updatedAt":2}"#;
    let case: courtside_casework::cases::Case = serde_json::from_str(old).unwrap();
    assert_eq!(case.correcting, None);
    assert_eq!(case.fields.title, "张三诉李四");
}
