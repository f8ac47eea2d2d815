//! Real MLflow tracking servers on loopback for the MLflow tests: one
//! seeded server with proxied artifacts, and one with basic
//! authentication. Both come from the venv `.ci/run` installs.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The basic-auth server's administrator.
pub const ADMIN_USER: &str = "petal-admin";
pub const ADMIN_PASSWORD: &str = "petal-test-password-0123";

/// Time a server may take to start; MLflow imports and migrates for tens
/// of seconds on a loaded two-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// Returns the venv that contains MLflow: `$PETAL_MLFLOW_VENV`, else `.ci/venv` beside
/// `Cargo.toml`, where `.ci/run` creates it.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("PETAL_MLFLOW_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/venv"));
    assert!(
        venv.join("bin/mlflow").is_file(),
        "MLflow is not installed in {}; run `bash .ci/run`, which installs it, or set \
         PETAL_MLFLOW_VENV to a venv with the version in .ci/requirements-mlflow.txt",
        venv.display()
    );
    venv
}

fn support_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// Creates a scratch folder in memory where possible, because SQLite
/// commits there cost little and seeding thousands of runs gets several
/// times faster than on disk.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new()
        .prefix("petal-mlflow-")
        .tempdir_in(shm);
    builder
        .or_else(|_| tempfile::tempdir())
        .expect("scratch folder")
}

/// A running `mlflow server`. It stops when this process exits, because
/// the supervisor watches the pipe held in `stdin`.
pub struct MlflowServer {
    child: Mutex<Child>,
    /// Closing this pipe stops the server.
    _stdin: Mutex<ChildStdin>,
    port: u16,
    folder: tempfile::TempDir,
    /// The ids the seed script recorded; `null` for an unseeded server.
    pub manifest: serde_json::Value,
}

impl MlflowServer {
    /// Stops the server and waits until it has exited, so that the next
    /// request finds nothing listening. Dropping the server stops it too,
    /// but without waiting.
    pub fn stop(self) {
        let MlflowServer { child, _stdin, .. } = self;
        drop(_stdin);
        let mut supervisor = child.into_inner().expect("child lock");
        // The supervisor exits once the server's whole process group has.
        supervisor.wait().expect("the supervisor exits");
    }

    /// Starts a server with proxied artifacts, seeded by
    /// `tests/support/mlflow_seed.py` (in bulk before it starts, then
    /// through it).
    pub fn start_seeded(model: &Path, dataset: &Path) -> Self {
        let folder = scratch_dir();
        let database = format!("sqlite:///{}", folder.path().join("mlflow.db").display());
        let manifest_path = folder.path().join("manifest.json");
        let python = venv().join("bin/python");
        let seed = |args: &[&str], extra: &[(&str, String)]| {
            let mut command = Command::new(&python);
            command
                .arg(support_file("mlflow_seed.py"))
                .args(args)
                .arg(&manifest_path)
                .env("PETAL_MODEL", model)
                .env("PETAL_DATASET", dataset)
                .env("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
                .envs(extra.iter().map(|(k, v)| (k, v)));
            run_quietly(command, "the MLflow seed script");
        };
        seed(&["bulk", &database], &[]);
        let artifacts = folder.path().join("artifacts");
        let mut server = Self::launch(folder, &database, &artifacts, &[], &[]);
        seed(&["server"], &[("MLFLOW_TRACKING_URI", server.uri())]);
        let text = std::fs::read_to_string(&manifest_path).expect("seed manifest");
        server.manifest = serde_json::from_str(&text).expect("seed manifest is JSON");
        server
    }

    /// Starts an empty server that requires basic authentication, with
    /// [`ADMIN_USER`] as its administrator.
    pub fn start_with_basic_auth() -> Self {
        let folder = scratch_dir();
        let database = format!("sqlite:///{}", folder.path().join("mlflow.db").display());
        let auth_database = format!("sqlite:///{}", folder.path().join("auth.db").display());
        let config = folder.path().join("basic_auth.ini");
        let ini = format!(
            "[mlflow]\ndefault_permission = READ\ndatabase_uri = {auth_database}\n\
             admin_username = {ADMIN_USER}\nadmin_password = {ADMIN_PASSWORD}\n\
             authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        );
        std::fs::write(&config, ini).expect("auth config");
        let artifacts = folder.path().join("artifacts");
        let config_var = config.display().to_string();
        Self::launch(
            folder,
            &database,
            &artifacts,
            &["--app-name", "basic-auth"],
            &[
                ("MLFLOW_AUTH_CONFIG_PATH", config_var),
                // The basic-auth app does not start without a key for its
                // CSRF tokens; any fixed value serves a test server.
                (
                    "MLFLOW_FLASK_SERVER_SECRET_KEY",
                    "petal-test-csrf-key".to_string(),
                ),
            ],
        )
    }

    fn launch(
        folder: tempfile::TempDir,
        database: &str,
        artifacts: &Path,
        extra_args: &[&str],
        extra_env: &[(&str, String)],
    ) -> Self {
        let port = free_port();
        let venv = venv();
        let log = std::fs::File::create(folder.path().join("server.log")).expect("server log");
        let mut child = Command::new(venv.join("bin/python"))
            .arg(support_file("supervise.py"))
            .arg("--remove")
            .arg(folder.path())
            .arg(venv.join("bin/mlflow"))
            .args(["server", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--workers", "1", "--backend-store-uri", database])
            .arg("--serve-artifacts")
            .arg("--artifacts-destination")
            .arg(artifacts)
            .args(extra_args)
            .envs(extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("server log"))
            .stderr(log)
            .spawn()
            .expect("the MLflow server starts");
        let stdin = child.stdin.take().expect("supervisor pipe");
        let server = Self {
            child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
            port,
            folder,
            manifest: serde_json::Value::Null,
        };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&self) {
        let started = Instant::now();
        loop {
            if http_status(self.port, "/health") == Some(200) {
                return;
            }
            let exited = self.child.lock().expect("child lock").try_wait();
            if let Ok(Some(status)) = exited {
                panic!("the MLflow server exited with {status}:\n{}", self.log());
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the MLflow server did not become healthy within {START_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Returns the server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("server.log")).unwrap_or_default()
    }

    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Returns a string from the seed manifest.
    pub fn id(&self, key: &str) -> String {
        self.manifest[key]
            .as_str()
            .unwrap_or_else(|| panic!("the seed manifest has no string {key:?}"))
            .to_string()
    }
}

fn run_quietly(mut command: Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what} cannot start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed with {}:\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Returns a loopback port that nothing listens on.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("bound address").port()
}

/// Sends a bare `GET` and returns the status code, or `None` without a response.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A loopback server that sends `response` (a whole HTTP response) to every
/// request, or accepts connections and never responds when it is `None`.
pub struct FakeHttp {
    port: u16,
}

impl FakeHttp {
    pub fn start(response: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("loopback port");
        let port = listener.local_addr().expect("address").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                match &response {
                    Some(text) => {
                        let mut buffer = [0u8; 4096];
                        let _ = stream.read(&mut buffer);
                        let _ = stream.write_all(text.as_bytes());
                    }
                    // Keep the connection open and silent.
                    None => held.push(stream),
                }
            }
        });
        Self { port }
    }

    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
