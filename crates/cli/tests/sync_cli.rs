//! The sync engine as a user drives it from the command line, against a `courtside court
//! serve` process: sign in through the browser step, queue a filing, get killed (SIGKILL)
//! mid-upload, run again, and find the filing at the court exactly once.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use courtside_court_api::encoding::b64url_decode;
use courtside_court_api::filing::{Filing, FilingReceipt};

const BIN: &str = env!("CARGO_BIN_EXE_courtside");
const PASS: &str = "correct horse battery staple 42";

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn courtside(data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data).args(args).env("COURTSIDE_PASSPHRASE", PASS);
    c
}

fn ok(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn write_file(path: &Path, len: usize, seed: u8) {
    let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
    std::fs::write(path, data).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_queue_kill_mid_upload_and_resume_files_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (court_dir, data) = (dir.path().join("court"), dir.path().join("app"));
    let mut serve = Command::new(BIN)
        .args(["court", "serve", "--port", "0", "--data-dir"])
        .arg(&court_dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _serve = Killed(serve);
    let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().trim_end_matches('/').to_owned();
    let clerk = std::fs::read_to_string(court_dir.join("clerk-token")).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    ok(courtside(&data, &["vault", "init"]));

    // Sign in: the CLI prints the address; the "browser" posts the login form and follows
    // the redirect to the CLI's loopback listener.
    let mut login = courtside(&data, &["court", "login", "--court", &base]).stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(login.stdout.take().unwrap());
    let mut authorize = String::new();
    out.read_line(&mut authorize).unwrap();
    let authorize = reqwest::Url::parse(authorize.trim()).unwrap();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("username".into(), "zhang.san".into()));
    form.push(("password".into(), "demo-litigant-1".into()));
    let answer = http.post(format!("{base}/oauth/authorize")).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    let page = reqwest::get(back).await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign-in complete"));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(login.wait().unwrap().success());
    assert!(rest.contains("signed in as zhang.san"), "{rest}");

    // Queue a filing with a 48 MiB exhibit.
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    write_file(&files.join("complaint.pdf"), 200_000, 1);
    write_file(&files.join("identity.pdf"), 300_000, 2);
    write_file(&files.join("evidence.mp4"), 48 << 20, 3);
    let doc = |spec: &str, name: &str| format!("{spec}:{}", files.join(name).display());
    let id = ok(courtside(
        &data,
        &[
            "filing",
            "queue",
            "--court",
            &base,
            "--case-type",
            "civil-contract",
            "--title",
            "民事起诉状",
            "--cause",
            "买卖合同纠纷",
            "--amount-yuan",
            "100000",
            "--doc",
            &doc("complaint:lead", "complaint.pdf"),
            "--doc",
            &doc("identity:attachment", "identity.pdf"),
            "--doc",
            &doc("evidence-list:evidence", "evidence.mp4"),
        ],
    ))
    .trim()
    .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    // Slow the court down, start sending, and kill the process mid-upload of the exhibit.
    let faults = |plan: serde_json::Value| {
        http.put(format!("{base}/clerk/v1/faults")).bearer_auth(clerk.trim()).json(&plan).send()
    };
    faults(serde_json::json!({"latencyMs": 150})).await.unwrap();
    let mut run = courtside(&data, &["sync", "run", "--court", &base]).stderr(Stdio::piped()).spawn().unwrap();
    let progress = BufReader::new(run.stderr.take().unwrap());
    let big = (48u64 << 20).to_string();
    for line in progress.lines() {
        let line = line.unwrap();
        let partial = line.ends_with(&format!(" / {big} bytes"))
            && !line.contains(&format!(": {big} /"))
            && !line.contains(": 0 /");
        if partial {
            break;
        }
    }
    run.kill().unwrap(); // SIGKILL
    run.wait().unwrap();
    let status = ok(courtside(&data, &["sync", "status"]));
    assert!(status.contains("uploading (2/3 files)"), "{status}");

    faults(serde_json::json!({})).await.unwrap();
    let summary = ok(courtside(&data, &["sync", "run", "--court", &base]));
    assert!(summary.contains("receipted 1"), "{summary}");
    let status = ok(courtside(&data, &["sync", "status"]));
    assert!(status.contains("receipted fil_"), "{status}");

    let filings: Vec<Filing> = http
        .get(format!("{base}/clerk/v1/filings"))
        .bearer_auth(clerk.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filings.len(), 1);
    assert_eq!(filings[0].idempotency_key, id);
    let receipt: FilingReceipt = serde_json::from_slice(&b64url_decode(&filings[0].receipt.payload).unwrap()).unwrap();
    let exhibit = &receipt.documents[2];
    let local = courtside_court_api::encoding::sha256_hex(&std::fs::read(files.join("evidence.mp4")).unwrap());
    assert_eq!(exhibit.sha256, local);
    let stats: serde_json::Value = http
        .get(format!("{base}/clerk/v1/uploads/{}", exhibit.upload_id))
        .bearer_auth(clerk.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resent = stats["receivedBytes"].as_u64().unwrap() - stats["length"].as_u64().unwrap();
    assert!(resent <= 4 << 20, "bytes sent again after the kill: {resent}");

    // A case prepared on the command line: checked, completed, queued, sent.
    let case_cmd = |args: &[&str]| {
        let mut c = courtside(&data, args);
        c.env("COURTSIDE_COURT_URL", &base);
        c
    };
    let case = ok(case_cmd(&[
        "case",
        "new",
        "--cause",
        "买卖合同纠纷",
        "--title",
        "张三诉李四",
        "--amount",
        "100000",
        "--plaintiff",
        "张三",
        "--defendant",
        "李四",
        "--claim",
        "判令被告支付货款100000元",
        "--facts",
        "被告未付款。",
    ]))
    .trim()
    .to_owned();
    let check = case_cmd(&["filing", "check", &case]).output().unwrap();
    assert_eq!(check.status.code(), Some(1), "incomplete: {}", String::from_utf8_lossy(&check.stdout));
    assert!(String::from_utf8_lossy(&check.stdout).contains("Identity documents of the parties"));
    let shown = ok(case_cmd(&[
        "case",
        "attach",
        &case,
        "--kind",
        "identity",
        &files.join("identity.pdf").display().to_string(),
    ]));
    assert!(shown.contains("fee 2300 yuan"), "{shown}");
    // identity.pdf is not a PDF inside: its content decides, and the court takes no such file.
    let check = case_cmd(&["filing", "check", &case]).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("does not accept application/octet-stream"));
    std::fs::write(files.join("id-card.pdf"), b"%PDF-1.4\n% id card\n%%EOF\n").unwrap();
    ok(case_cmd(&["case", "attach", &case, "--kind", "identity", &files.join("id-card.pdf").display().to_string()]));
    let shown = ok(case_cmd(&["case", "show", &case]));
    let bad = shown.lines().find(|l| l.starts_with("document identity.pdf")).unwrap();
    let blob = bad.rsplit(' ').next().unwrap();
    ok(case_cmd(&["case", "detach", &case, blob]));
    let ready = ok(case_cmd(&["filing", "check", &case]));
    assert!(ready.contains("ready to file"), "{ready}");
    let item = ok(case_cmd(&["filing", "new", "--case", &case])).trim().to_owned();
    assert_eq!(item.len(), 36, "a UUID: {item}");
    // A one-shot command does what it was asked and no more: the filing waits for `sync run`
    // (it once started the desktop's sync engines, which sent it behind the command's back).
    let status = ok(courtside(&data, &["sync", "status"]));
    assert!(status.contains(&format!("filing\t{item}\tqueued")), "{status}");
    let summary = ok(courtside(&data, &["sync", "run", "--court", &base]));
    assert!(summary.contains("receipted 1"), "{summary}");
    assert!(ok(case_cmd(&["case", "list"])).contains(&format!("{case}\tsent")));
}
