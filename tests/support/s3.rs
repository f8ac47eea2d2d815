//! A real S3-compatible server (s3s-fs, which checks SigV4 signatures) on
//! loopback, a proxy that cuts responses short, and a `petal` runner with
//! a clean environment.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "PETALTESTACCESSKEY01";
pub const SECRET_KEY: &str = "petal-test-secret-key-0123456789abcdefghij";

/// The s3s-fs binary: `$PETAL_S3_SERVER`, else the copy `.ci/run` installs
/// under `.ci/tools/bin`, else `s3s-fs` on the PATH.
fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PETAL_S3_SERVER") {
        return PathBuf::from(path);
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/tools/bin/s3s-fs");
    if installed.is_file() {
        return installed;
    }
    PathBuf::from("s3s-fs")
}

/// A running s3s-fs server storing buckets as folders under a temporary root.
pub struct S3Server {
    child: Option<Child>,
    root: tempfile::TempDir,
    port: u16,
}

impl S3Server {
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("temporary folder for the S3 server");
        let mut server = Self {
            child: None,
            root,
            port: free_port(),
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let binary = server_binary();
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(self.root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start the S3 server {}: {error}. Run `bash .ci/run`, which installs \
                     it, or `cargo install s3s-fs --features binary`",
                    binary.display()
                )
            });
        self.child = Some(child);
        wait_for_port(self.port);
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a bucket (a folder for s3s-fs) and returns its folder.
    pub fn bucket(&self, name: &str) -> PathBuf {
        let folder = self.root.path().join(name);
        std::fs::create_dir_all(&folder).expect("bucket folder");
        folder
    }

    /// Stores `bytes` as the object `key` by writing the server's file.
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let path = self.bucket(bucket).join(key);
        std::fs::create_dir_all(path.parent().expect("object folder")).expect("object folder");
        std::fs::write(path, bytes).expect("object file");
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("bound address").port()
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the S3 server did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A loopback proxy that passes requests to `upstream` and closes each
/// connection after `cut_after` response bytes, like a server that dies
/// in the middle of a download.
pub struct CuttingProxy {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    pub fn start(upstream: u16, cut_after: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                std::thread::spawn(move || relay(client, upstream, cut_after));
            }
        });
        Self { port, stop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn relay(client: TcpStream, upstream: u16, cut_after: usize) {
    relay_paced(client, upstream, cut_after, 8192, Duration::ZERO);
}

/// Relays one connection to the server on `upstream`, sending at most
/// `cut_after` response bytes back, `chunk` bytes per write with
/// `interval` between writes, then closes both sides.
pub fn relay_paced(
    client: TcpStream,
    upstream: u16,
    cut_after: usize,
    chunk: usize,
    interval: Duration,
) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let (Ok(mut client_reader), Ok(mut server_writer)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut server_writer);
    });
    let mut server_reader = server;
    let mut client_writer = client;
    let mut sent = 0;
    let mut buffer = vec![0u8; chunk.max(1)];
    while sent < cut_after {
        let Ok(read) = server_reader.read(&mut buffer) else {
            break;
        };
        if read == 0 {
            break;
        }
        let take = read.min(cut_after - sent);
        if client_writer.write_all(&buffer[..take]).is_err() {
            break;
        }
        sent += take;
        std::thread::sleep(interval);
    }
    let _ = client_writer.shutdown(Shutdown::Both);
    let _ = server_reader.shutdown(Shutdown::Both);
}

/// Folders standing in for the user's home, config and cache, so tests
/// read no real AWS files and write nothing outside.
pub struct Sandbox {
    pub home: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temporary home"),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.home.path().join("cache")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    /// Builds a `petal` command with only these variables, plus `vars`, set.
    pub fn command(&self, args: &[&str], vars: &[(&str, &str)]) -> Command {
        let home = self.home.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_petal"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("PETAL_CACHE_DIR", self.cache_dir())
            .env("PETAL_CONFIG_DIR", self.config_dir())
            .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.join("no-aws-credentials"),
            )
            // Never ask an instance metadata endpoint for credentials.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1");
        for (name, value) in vars {
            command.env(name, value);
        }
        command
    }

    /// Runs `petal` with only these variables, plus `vars`, set.
    pub fn petal(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        self.command(args, vars).output().expect("petal runs")
    }

    /// Builds a `petal` command with the test server's credentials and `endpoint`.
    pub fn command_s3(&self, endpoint: &str, args: &[&str]) -> Command {
        self.command(
            args,
            &[
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("AWS_ENDPOINT_URL", endpoint),
            ],
        )
    }

    /// Runs `petal` with the test server's credentials and `endpoint`.
    pub fn petal_s3(&self, endpoint: &str, args: &[&str]) -> Output {
        self.petal(
            args,
            &[
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("AWS_ENDPOINT_URL", endpoint),
            ],
        )
    }
}
