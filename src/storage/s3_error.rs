//! S3 failures in S3's own terms, each with what to do about it.

use std::fmt;

/// A failed S3 operation on `target` (an `s3://` URI or an endpoint).
#[derive(Debug, thiserror::Error)]
#[error("{target}: {kind}")]
pub struct S3Error {
    pub target: String,
    pub kind: S3ErrorKind,
}

/// The cause of an [`S3Error`].
#[derive(Debug)]
pub enum S3ErrorKind {
    NoCredentials {
        cause: String,
    },
    AccessDenied {
        code: String,
        message: String,
    },
    WrongSecret,
    UnknownAccessKey,
    NoSuchBucket,
    NoSuchKey,
    WrongRegion {
        bucket_region: String,
    },
    ClockSkew,
    Unreachable {
        endpoint: String,
        cause: String,
    },
    Timeout {
        what: String,
    },
    /// The server's response is not valid S3.
    Malformed {
        cause: String,
    },
    /// Any other error code from the server.
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The downloaded bytes do not match the size or checksum.
    Integrity {
        expected: String,
        actual: String,
    },
    Cancelled,
    /// A local file could not be read or written.
    Io(std::io::Error),
}

impl fmt::Display for S3ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3ErrorKind::NoCredentials { cause } => write!(
                f,
                "no AWS credentials found ({cause}). Set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY, pick a profile with AWS_PROFILE, or sign in with \
                 `aws sso login`"
            ),
            S3ErrorKind::AccessDenied { code, message } => write!(
                f,
                "access denied ({code}: {message}). Check that your credentials may list, read \
                 or write this bucket"
            ),
            S3ErrorKind::WrongSecret => f.write_str(
                "access denied: the server rejected the request signature, so the secret \
                 access key does not belong to the access key id. Check AWS_SECRET_ACCESS_KEY \
                 or the profile's credentials",
            ),
            S3ErrorKind::UnknownAccessKey => f.write_str(
                "access denied: the server does not know this access key id. Check \
                 AWS_ACCESS_KEY_ID or the profile's credentials",
            ),
            S3ErrorKind::NoSuchBucket => f.write_str(
                "no such bucket. Check the bucket name (AWS_S3_BUCKET_NAME or the URI) and \
                 the endpoint",
            ),
            S3ErrorKind::NoSuchKey => f.write_str(
                "no such object. List the folder with `petal models list s3://BUCKET/PREFIX` \
                 to see what is there",
            ),
            S3ErrorKind::WrongRegion { bucket_region } => write!(
                f,
                "the bucket is in region {bucket_region}; set AWS_REGION={bucket_region}"
            ),
            S3ErrorKind::ClockSkew => f.write_str(
                "the server rejected the request because this computer's clock is too far \
                 off. Set the system clock, for example by enabling NTP",
            ),
            S3ErrorKind::Unreachable { endpoint, cause } => write!(
                f,
                "cannot reach the S3 endpoint {endpoint} ({cause}). Check the endpoint \
                 (AWS_ENDPOINT_URL or --s3-endpoint) and the network"
            ),
            S3ErrorKind::Timeout { what } => write!(
                f,
                "timed out {what}. The server or network is too slow or stalled; try again"
            ),
            S3ErrorKind::Malformed { cause } => write!(
                f,
                "the server's response is not valid S3 ({cause}). Check that the endpoint is \
                 an S3-compatible server"
            ),
            S3ErrorKind::Server {
                status,
                code,
                message,
            } => write!(f, "the server returned HTTP {status} {code}: {message}"),
            S3ErrorKind::Integrity { expected, actual } => write!(
                f,
                "the download does not match the object (expected {expected}, got {actual}), \
                 so it was discarded. Try again"
            ),
            S3ErrorKind::Cancelled => f.write_str("cancelled"),
            S3ErrorKind::Io(error) => write!(f, "local file error: {error}"),
        }
    }
}

impl S3ErrorKind {
    /// Maps an S3 error code, as in the XML error body, to a kind.
    pub fn from_code(status: u16, code: &str, message: &str) -> Self {
        match code {
            "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => S3ErrorKind::AccessDenied {
                code: code.to_string(),
                message: message.to_string(),
            },
            "SignatureDoesNotMatch" => S3ErrorKind::WrongSecret,
            "InvalidAccessKeyId" => S3ErrorKind::UnknownAccessKey,
            "NoSuchBucket" => S3ErrorKind::NoSuchBucket,
            "NoSuchKey" | "NotFound" if status == 404 => S3ErrorKind::NoSuchKey,
            "RequestTimeTooSkewed" => S3ErrorKind::ClockSkew,
            _ if status == 403 => S3ErrorKind::AccessDenied {
                code: code.to_string(),
                message: message.to_string(),
            },
            _ => S3ErrorKind::Server {
                status,
                code: code.to_string(),
                message: message.to_string(),
            },
        }
    }
}
