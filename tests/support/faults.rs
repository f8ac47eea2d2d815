//! A fault-injecting HTTP server on loopback, standing in for an S3
//! endpoint that fails: it stalls, replies with an error status, sends a
//! body that is not XML, or relays a real server's responses a few bytes
//! at a time. It counts the requests it receives, so tests can check how
//! often Petal retries.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How the server misbehaves.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Reads each request and never replies, keeping the connection open.
    Stall,
    /// Replies to every request with this status and an S3 error body.
    Status { status: u16, code: &'static str },
    /// Replies to every request with 200 and a listing cut short.
    MalformedXml,
    /// Replies to every request with 200 and an HTML page.
    NotXml,
    /// Serves a bucket: `listing` for every ListObjectsV2 request, and
    /// `object` for any other GET, whatever the key.
    Bucket {
        listing: &'static str,
        object: &'static [u8],
    },
    /// Relays each response of the server on `upstream`, `bytes` at a time
    /// with `interval` between writes.
    Trickle {
        upstream: u16,
        bytes: usize,
        interval: Duration,
    },
}

/// A running fault server; it stops accepting when dropped.
pub struct FaultServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
}

impl FaultServer {
    pub fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fault server port");
        let port = listener.local_addr().expect("fault server address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (stopping, counter) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let (stopping, counter) = (stopping.clone(), counter.clone());
                std::thread::spawn(move || serve(client, fault, &counter, &stopping));
            }
        });
        Self {
            port,
            stop,
            requests,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Number of HTTP requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it reads the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut client: TcpStream, fault: Fault, requests: &AtomicUsize, stop: &AtomicBool) {
    if let Fault::Trickle {
        upstream,
        bytes,
        interval,
    } = fault
    {
        requests.fetch_add(1, Ordering::Relaxed);
        super::s3::relay_paced(client, upstream, usize::MAX, bytes, interval);
        return;
    }
    while let Some(head) = read_request(&mut client) {
        requests.fetch_add(1, Ordering::Relaxed);
        if let Fault::Bucket { listing, object } = fault {
            let request_line = String::from_utf8_lossy(&head);
            let body = if request_line.contains("list-type=2") {
                listing.as_bytes()
            } else {
                object
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nx-amz-request-id: FAULT\r\n\r\n",
                body.len()
            );
            if client.write_all(head.as_bytes()).is_err() || client.write_all(body).is_err() {
                return;
            }
            continue;
        }
        let response = match fault {
            Fault::Stall => {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                return;
            }
            Fault::Status { status, code } => error_response(status, code),
            Fault::MalformedXml => response(200, CUT_LISTING),
            Fault::NotXml => response(200, NOT_XML),
            Fault::Trickle { .. } | Fault::Bucket { .. } => unreachable!("handled above"),
        };
        if client.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one request's head and body (by `Content-Length`); `None` when
/// the client closed the connection.
fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = text
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    client.read_exact(&mut body).ok()?;
    Some(head)
}

/// A listing cut after its first of two objects, as a proxy that drops
/// the connection may deliver it.
const CUT_LISTING: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
    <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>flowers</Name>\
    <Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>\
    <Contents><Key>models/a.onnx</Key><Size>12</Size></Contents><Conte";

/// A listing body that is not XML at all.
const NOT_XML: &str = "<html><body>Service Unavailable</body>";

fn response(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Fault\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         x-amz-request-id: FAULT\r\n\r\n{body}",
        body.len()
    )
}

fn error_response(status: u16, code: &str) -> String {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
         <Message>injected by the test's fault server</Message>\
         <RequestId>FAULT</RequestId></Error>"
    );
    response(status, &body)
}
