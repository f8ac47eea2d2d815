//! Runs a `petal` process with a hang guard and reports its peak memory,
//! which the kernel records per child (`wait4`'s `ru_maxrss`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished child did.
#[derive(Debug)]
pub struct ChildReport {
    /// Exit status, or `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident memory in KiB.
    pub max_rss_kib: u64,
}

/// Runs `command` to completion, killing it and failing the test if it
/// runs longer than `timeout`.
// `wait4` reaps the child, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_measured(mut command: Command, timeout: Duration) -> ChildReport {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the child process starts");
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));

    let started = Instant::now();
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero `rusage` is a valid value for wait4 to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped; both pointers are valid.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(
            done >= 0,
            "wait4 failed: {}",
            std::io::Error::last_os_error()
        );
        if done == pid {
            break (status, usage);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            panic!("{command:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    ChildReport {
        code,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
