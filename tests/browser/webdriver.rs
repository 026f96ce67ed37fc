//! A small W3C WebDriver client for Debian's `chromedriver`, over the
//! `reqwest` the tests already build.
//!
//! Why by hand: the WebDriver crates bring a second TLS stack into the test
//! build — fantoccini's `rustls-tls` turns on hyper-rustls' default
//! `aws-lc-rs` beside the `ring` provider everything else here uses (a C
//! build, and rustls then has two providers and no default), and
//! thirtyfour brings reqwest 0.13. The tests need a dozen plain JSON
//! commands on loopback, which is what this is.
//!
//! Rule: the driver is a child of the test and dies with it; the browser
//! gets a fresh profile in a temporary folder every time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The W3C key for a WebDriver element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long to wait for something to appear or a page to load.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Where a program is: `$var` if set, else the first of `names` on `PATH`.
fn program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(var)
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// What the browser tests need from the system, or a message saying how
/// to get it. The tests fail with this message; they never skip.
pub struct Prerequisites {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub axe_js: String,
}

impl Prerequisites {
    pub fn find() -> Self {
        let mut missing = Vec::new();
        let chromium = program("KELISIM_CHROMIUM", &["chromium", "chromium-browser"]);
        if chromium.is_none() {
            missing.push("Chromium (`apt-get install -y chromium`, or set KELISIM_CHROMIUM)");
        }
        let chromedriver = program("KELISIM_CHROMEDRIVER", &["chromedriver"]);
        if chromedriver.is_none() {
            missing.push(
                "ChromeDriver (`apt-get install -y chromium-driver`, or set KELISIM_CHROMEDRIVER)",
            );
        }
        let axe_path = std::env::var("KELISIM_AXE_JS").unwrap_or_default();
        let axe_js = if axe_path.is_empty() {
            None
        } else {
            std::fs::read_to_string(&axe_path).ok()
        };
        if axe_js.is_none() {
            missing.push(
                "axe-core (`npm install --prefix target/axe axe-core@4.11.0`, then \
                 KELISIM_AXE_JS=target/axe/node_modules/axe-core/axe.min.js)",
            );
        }
        match (chromium, chromedriver, axe_js) {
            (Some(chromium), Some(chromedriver), Some(axe_js)) if missing.is_empty() => Self {
                chromium,
                chromedriver,
                axe_js,
            },
            _ => panic!(
                "the browser tests cannot run; missing:\n  - {}\n(.ci/run installs all of them)",
                missing.join("\n  - ")
            ),
        }
    }
}

/// A running `chromedriver` with one headless Chromium session.
pub struct Driver {
    http: reqwest::Client,
    base: String,
    child: Child,
    _profile: tempfile::TempDir,
}

/// An element of the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Driver {
    pub async fn start(pre: &Prerequisites) -> Self {
        let port = crate::common::free_port();
        let child = Command::new(&pre.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", pre.chromedriver.display()));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut driver = Self {
            http,
            base,
            child,
            _profile: profile,
        };
        let profile_dir = driver._profile.path().display().to_string();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": pre.chromium.display().to_string(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-quic",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={profile_dir}"),
                ],
            },
        }}});
        let session = driver.raw("POST", "/session", Some(caps)).await;
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {session}"))
            .to_owned();
        driver.base = format!("{}/session/{id}", driver.base);
        driver
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_raw(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| format!("WebDriver {method} {path}: {e}"))?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!(
                "WebDriver {method} {path} answered {status}: {}",
                body["value"]
            ));
        }
        Ok(body.get("value").cloned().unwrap_or(body))
    }

    /// Like [`Driver::run`], but `None` when the page is between documents.
    pub async fn try_run(&self, script: &str) -> Option<Value> {
        self.try_raw(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
        .ok()
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.raw(method, path, body).await
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn set_window(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// The elements matching a CSS selector now (none is fine).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .cmd(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| Element(s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching a CSS selector, waiting for it.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find_all(css).await.into_iter().next() {
                return e;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no `{css}` on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, e: &Element) {
        self.cmd("POST", &format!("/element/{}/click", e.0), None)
            .await;
    }

    pub async fn type_into(&self, e: &Element, text: &str) {
        self.cmd("POST", &format!("/element/{}/clear", e.0), None)
            .await;
        self.cmd(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn text(&self, e: &Element) -> String {
        self.cmd("GET", &format!("/element/{}/text", e.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn attr(&self, e: &Element, name: &str) -> String {
        self.cmd("GET", &format!("/element/{}/attribute/{name}", e.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1]` with
    /// its result.
    pub async fn run_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Presses keys on the focused element (W3C key codes, e.g. `\u{E004}`
    /// for Tab).
    pub async fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.cmd(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
        self.cmd("DELETE", "/actions", None).await;
    }

    pub async fn screenshot(&self, to: &Path) {
        let data = self.cmd("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        std::fs::write(to, png).unwrap_or_else(|e| panic!("writing {}: {e}", to.display()));
    }

    /// Waits until the page has loaded and its URL satisfies `ok`.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let url = self.url().await;
            let ready = self.try_run("return document.readyState").await;
            if ok(&url) && ready.is_some_and(|r| r == "complete") {
                return url;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "waited for {what}; the browser is at {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the browser session and the driver.
    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(&self.base)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // After `quit` this finds the driver gone; after a panic it ends it
        // (and with it the browser it started).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
