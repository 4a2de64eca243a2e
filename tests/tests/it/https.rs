//! HTTPS with default features: a `pandapon` client reaches an `https://` URL served by a local TLS server
//! whose certificate (signed by the test CA in `tests/tls/`) the client trusts. No network beyond loopback.

use pandapon::Client;
use sourcing_runtime::{AccessKeyCredentials, Error, Runtime};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PAY_OK: &str = r#"{"requestId":"9502cd80026d45018af181d760288f63","code":200,"developId":"1023561483696472887","msg":"成功","data":{"orderId":"2257455039610311973","protocolPaySuccess":true}}"#;

fn tls_file(name: &str) -> Vec<u8> {
    let path = sourcing_tests::workspace_root()
        .join("tests/tls")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A one-answer-per-connection HTTPS server on 127.0.0.1 that replies `PAY_OK` to any request; its base URL.
async fn https_server() -> String {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(tls_file("leaf.der"))],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(tls_file("leaf.key.der"))),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A failed handshake (an untrusting client) just ends this connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{PAY_OK}",
                    PAY_OK.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://localhost:{port}")
}

fn runtime() -> Runtime {
    Runtime::new(sourcing_runtime::AccessKeySigner::new(
        AccessKeyCredentials::new("ak", "sk", "2100007341207"),
    ))
}

#[tokio::test]
async fn default_features_reach_an_https_url_whose_ca_is_trusted() {
    let base = https_server().await;
    let runtime = runtime();
    let ca = reqwest::Certificate::from_der(&tls_file("ca.der")).unwrap();
    let http = runtime
        .http_client_builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let client = Client::new_with_client(&base, http, runtime);
    let data = client
        .order_pay_url()
        .order_id("2257455039610311973")
        .send()
        .await
        .unwrap();
    assert_eq!(data.order_id.as_deref(), Some("2257455039610311973"));
    assert_eq!(data.protocol_pay_success, Some(true));
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_transport_error_not_a_tls_configuration_error() {
    // The default client speaks TLS (no "enable the rustls feature" refusal) and verifies the certificate:
    // the test CA is not a system root, so the handshake fails.
    let base = https_server().await;
    let client = Client::with_runtime(&base, runtime());
    let err = client
        .order_pay_url()
        .order_id("2257455039610311973")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!err.to_string().contains("rustls` feature"), "{err}");
}
