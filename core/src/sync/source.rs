//! The connection to the store's PostgreSQL: TLS (rustls) when the URL asks for it, a
//! description of the target that never holds the password, and the wake-ups of `NOTIFY`.

use std::sync::Arc;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::SyncError;
use crate::config::SyncSettings;

/// The channel the optional triggers (`tools/storefront/triggers.sql`) notify.
pub(crate) const CHANNEL: &str = "vivr_sync";

/// `user@host:port/database`, for logs, `/health` and errors: never the password.
pub(crate) fn describe(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
            postgres::config::Host::Unix(path) => format!("{}:{port}", path.display()),
        })
        .collect();
    format!(
        "{}@{}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        config.get_dbname().unwrap_or("?")
    )
}

/// Parses a database URL; the error never repeats it (it may hold a password).
pub(crate) fn parse_url(url: &str) -> Result<postgres::Config, SyncError> {
    url.parse::<postgres::Config>().map_err(|_| SyncError::Url)
}

/// Connects, with rustls for TLS (the public web roots and `tls_ca_file`): `sslmode=require`
/// in the URL makes TLS mandatory; the default (`prefer`) uses it when the server offers it.
pub(crate) fn connect(
    config: &postgres::Config,
    settings: &SyncSettings,
) -> Result<postgres::Client, SyncError> {
    let mut config = config.clone();
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.application_name("vivr-search sync");
    let target = describe(&config);
    let tls = tls(settings)?;
    config.connect(tls).map_err(|e| SyncError::Database {
        target,
        message: super::error_text(&e),
    })
}

fn tls(settings: &SyncSettings) -> Result<tokio_postgres_rustls::MakeRustlsConnect, SyncError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &settings.tls_ca_file {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| SyncError::Tls(format!("{}: {e}", path.display())))?;
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| SyncError::Tls(format!("{}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SyncError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Waits until a notification arrives on [`CHANNEL`] (true) or `timeout` passes (false),
/// draining the notifications already queued.
pub(crate) fn wait_for_notification(
    client: &mut postgres::Client,
    timeout: Duration,
) -> Result<bool, postgres::Error> {
    let mut notifications = client.notifications();
    let woken = notifications.timeout_iter(timeout).next()?.is_some();
    // Several writes notify once each: one sync covers them all.
    while notifications.iter().next()?.is_some() {}
    Ok(woken)
}
