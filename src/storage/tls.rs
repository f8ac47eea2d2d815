//! The HTTPS client the AWS SDK uses: rustls with the system's roots, plus
//! the certificates in `AWS_CA_BUNDLE` when it is set.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::s3_error::S3ErrorKind;

/// Builds the HTTP client; fails when `AWS_CA_BUNDLE` names an unreadable file.
pub fn http_client() -> Result<SharedHttpClient, S3ErrorKind> {
    let mut trust = TrustStore::default();
    if let Some(bundle) = std::env::var_os("AWS_CA_BUNDLE").filter(|b| !b.is_empty()) {
        let pem = std::fs::read(&bundle).map_err(|error| {
            S3ErrorKind::Io(std::io::Error::new(
                error.kind(),
                format!(
                    "cannot read the CA bundle {} named by AWS_CA_BUNDLE: {error}",
                    std::path::Path::new(&bundle).display()
                ),
            ))
        })?;
        trust = trust.with_pem_certificate(pem);
    }
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|error| S3ErrorKind::Malformed {
            cause: format!("cannot set up TLS: {error}"),
        })?;
    Ok(Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}
