//! What several end-to-end tests need: a reference court and a signed-in account.

use courtside_court_api::auth::Pkce;
use courtside_court_server::{CLIENT_ID, CourtConfig, RunningCourt};

/// A reference court on 127.0.0.1 with its data in a temporary directory.
pub struct Court {
    pub server: RunningCourt,
    pub base: String,
    pub http: reqwest::Client,
    pub _dir: tempfile::TempDir,
}

impl Court {
    pub async fn start(configure: impl FnOnce(&mut CourtConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = CourtConfig::local(dir.path());
        configure(&mut config);
        let server = courtside_court_server::start(config).await.unwrap();
        let base = server.base_url().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { server, base, http, _dir: dir }
    }

    /// Signs in through the court's authorization endpoint as a browser would (the code is
    /// read from the redirect), exchanges the code with PKCE, and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        self.login_full(username, password).await["access_token"].as_str().unwrap().to_owned()
    }

    /// What the court saw of an upload (clerk statistics).
    pub async fn upload_statistics(&self, upload_url: &url::Url) -> courtside_court_server::UploadStatistics {
        let id = upload_url.path_segments().unwrap().next_back().unwrap();
        self.http
            .get(format!("{}/clerk/v1/uploads/{id}", self.base))
            .bearer_auth(self.server.clerk_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A small pseudo-random source (xorshift64) for kill instants and delays: `random(n)` is
/// below `n`. Seed it from the process id or the clock so runs differ.
pub fn xorshift(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed | 1;
    move |below| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    }
}

/// A file of `len` bytes of a repeating, position-dependent pattern.
pub fn pattern_file(dir: &std::path::Path, name: &str, len: usize) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut data = Vec::with_capacity(len);
    let mut x: u32 = 0x9e37_79b9;
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    std::fs::write(&path, data).unwrap();
    path
}

/// An open vault in a temporary directory, with the fast key derivation of tests.
pub fn vault(dir: &std::path::Path) -> std::sync::Arc<courtside_vault::Vault> {
    let (vault, _) = courtside_vault::Vault::create(
        &dir.join("vault"),
        "correct horse battery staple 42",
        courtside_vault::KdfParams::insecure_for_tests(),
    )
    .unwrap();
    std::sync::Arc::new(vault)
}

impl Court {
    /// Tokens for an account, obtained through the authorization endpoint (as [`Court::login`]).
    pub async fn tokens(&self, username: &str, password: &str) -> courtside_court_api::auth::TokenResponse {
        let access = self.login_full(username, password).await;
        serde_json::from_value(access).unwrap()
    }

    async fn login_full(&self, username: &str, password: &str) -> serde_json::Value {
        let pkce = Pkce::generate();
        let redirect_uri = "http://127.0.0.1:9/callback";
        let form = [
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", "openid court"),
            ("state", "s"),
            ("code_challenge", &pkce.challenge()),
            ("code_challenge_method", "S256"),
            ("username", username),
            ("password", password),
        ];
        let answer = self.http.post(format!("{}/oauth/authorize", self.base)).form(&form).send().await.unwrap();
        let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
        let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        self.http
            .post(format!("{}/oauth/token", self.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect_uri),
                ("client_id", CLIENT_ID),
                ("code_verifier", pkce.verifier()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every filing the court holds (clerk view).
    pub async fn filings(&self) -> Vec<courtside_court_api::filing::Filing> {
        self.http
            .get(format!("{}/clerk/v1/filings", self.base))
            .bearer_auth(self.server.clerk_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// What a user does in the browser the app opened: signs in on the court's page, whose
/// redirect then reaches the app's loopback listener.
pub async fn browser_sign_in(authorize: url::Url, username: &str, password: &str) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("username".into(), username.into()));
    form.push(("password".into(), password.into()));
    let mut endpoint = authorize.clone();
    endpoint.set_query(None);
    let answer = http.post(endpoint).form(&form).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://127.0.0.1:"), "redirected to {location}");
    http.get(location).send().await.unwrap();
}

/// The court's address as the client takes it.
pub fn court_url(court: &Court) -> courtside_court_api::CourtUrl {
    courtside_court_api::CourtUrl::parse(&format!("{}/", court.base)).unwrap()
}

/// The app service on `court` with a new, open vault (fast key derivation), keeping its data
/// and its exports under `dir`.
pub async fn app_on(court: &Court, dir: &std::path::Path) -> courtside_core::App {
    let mut config =
        courtside_core::AppConfig::new(dir.join("app"), courtside_core::CourtChoice::Configured(court_url(court)));
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    config.exports_dir = Some(dir.join("exports"));
    let app = courtside_core::App::start(config).await.unwrap();
    app.create_vault("correct horse battery".into()).await.unwrap();
    app
}

/// Signs the app in as `username`, doing in "the browser" what the user would.
pub async fn sign_in(
    app: &courtside_core::App,
    username: &str,
    password: &str,
) -> courtside_core::ipc::CourtAccountView {
    let (user, pass) = (username.to_owned(), password.to_owned());
    app.sign_in_with(move |authorize| {
        let authorize = authorize.clone();
        tokio::spawn(async move { browser_sign_in(authorize, &user, &pass).await });
        Ok(())
    })
    .await
    .unwrap()
}

/// The clerk opens a case `title` between zhang.san and li.si.
pub async fn open_case(court: &Court, title: &str) -> courtside_court_api::hearing::CourtCase {
    let client = courtside_court_api::CourtClient::new(court_url(court)).unwrap();
    client
        .clerk(court.server.clerk_token())
        .open_case(&courtside_court_api::hearing::OpenCase {
            case_type: "civil-contract".into(),
            title: title.into(),
            parties: vec!["zhang.san".into(), "li.si".into()],
        })
        .await
        .unwrap()
}

/// Syncs until `done` holds for what `look` sees (gives up after ~10 s); returns the last look.
pub async fn sync_until<T>(app: &courtside_core::App, mut look: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    for _ in 0..100 {
        app.sync_now().unwrap();
        let now = look();
        if done(&now) {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    look()
}

/// The clerk serves a notice `title` on li.si in the court case `case_id`; once the app has
/// it, returns the local case that follows the court case.
pub async fn follow_by_service(app: &courtside_core::App, court: &Court, case_id: &str, title: &str) -> String {
    let client = courtside_court_api::CourtClient::new(court_url(court)).unwrap();
    client
        .clerk(court.server.clerk_token())
        .serve(&courtside_court_api::filing::ServeDocument {
            recipient: "li.si".into(),
            case_id: case_id.into(),
            title: title.into(),
            document_kind: "notice".into(),
            media_type: "application/pdf".into(),
            content: courtside_court_api::encoding::b64url(b"%PDF-1.4\n%%EOF\n"),
        })
        .await
        .unwrap();
    let served =
        sync_until(app, || app.served_documents().unwrap(), |s| s.iter().any(|d| d.local_case.is_some())).await;
    served.iter().find_map(|d| d.local_case.clone()).expect("the app follows the case")
}

/// A plain TCP proxy in front of a server that, once its faults are on, breaks connections
/// the way networks do: it cuts a request after a random number of bytes, cuts an answer
/// after a random number of bytes, or lets the connection through; some connections are
/// slow, and half the cuts are resets. It knows nothing of
/// HTTP, so every endpoint meets the same faults.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>` of the proxy.
    pub base: String,
    /// Whether connections are broken now.
    pub faults_on: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How many connections were broken.
    pub broken: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FaultProxy {
    /// Proxies to `target` (`http://host:port`); of the connections made while faults are on,
    /// about `percent` in a hundred are broken.
    pub async fn start(target: &str, percent: u64, seed: u64) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
        let upstream = target.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let faults_on = std::sync::Arc::new(AtomicBool::new(false));
        let broken = std::sync::Arc::new(AtomicUsize::new(0));
        let state = std::sync::Arc::new(AtomicU64::new(seed | 1));
        let (on, count) = (faults_on.clone(), broken.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };

                let next = || {
                    let mut x = state.load(Ordering::SeqCst);
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    state.store(x, Ordering::SeqCst);
                    x
                };
                // Byte budgets for each direction: unlimited unless this connection is broken.
                let (mut up_budget, mut down_budget) = (u64::MAX, u64::MAX);
                if on.load(Ordering::SeqCst) && next() % 100 < percent {
                    // Kept-alive connections carry many requests: a broken one breaks at a
                    // random point of whichever request or answer is under way then.
                    count.fetch_add(1, Ordering::SeqCst);
                    if next() % 2 == 0 {
                        up_budget = next() % (1 << 20);
                    } else {
                        // Answers are small: a cut within 16 KiB lands inside one of the
                        // first few on the connection.
                        down_budget = next() % (16 << 10);
                    }
                }
                // Some connections are slow (a delay before each piece), and some cuts are
                // resets (RST) rather than an orderly close.
                let delay = if on.load(Ordering::SeqCst) && next() % 4 == 0 {
                    std::time::Duration::from_millis(next() % 20)
                } else {
                    std::time::Duration::ZERO
                };
                if on.load(Ordering::SeqCst) && next() % 2 == 0 {
                    // A zero linger never blocks: the close is a reset at once.
                    #[allow(deprecated, reason = "SO_LINGER 0 sends RST without blocking the thread")]
                    let _ = client.set_linger(Some(std::time::Duration::ZERO));
                }
                tokio::spawn(async move {
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = pump(up_budget, delay, client_read, server_write);
                    let down = pump(down_budget, delay, server_read, client_write);
                    tokio::pin!(up, down);
                    // A cut in either direction ends the whole connection (every half is
                    // dropped with this task); a request side that ends waits for the answer.
                    tokio::select! {
                        cut = &mut up => if !cut { let _ = down.await; },
                        _ = &mut down => {}
                    }
                });
            }
        });
        Self { base, faults_on, broken }
    }
}

/// Copies `from` to `to` until `budget` bytes went through (then `true`: cut) or `from` ends.
async fn pump(
    budget: u64,
    delay: std::time::Duration,
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut left = budget;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let take = usize::try_from(left.min(n as u64)).unwrap_or(n);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if to.write_all(&buf[..take]).await.is_err() {
            break;
        }
        left -= take as u64;
        if left == 0 {
            return true;
        }
    }
    let _ = to.shutdown().await;
    false
}
