//! HTTPS: a self-signed certificate made at start with rcgen, and the rustls server config.
//!
//! The certificate is its own trust anchor: a client that loads its PEM as `caFile` trusts it.
//! For testing the client's TLS failure messages it can be made wrong on purpose
//! ([`CertKind`]).

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rcgen::{
    date_time_ymd, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    SanType,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;

/// Which certificate the portal presents over HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertKind {
    /// Valid now and for `localhost` and `127.0.0.1`.
    #[default]
    Valid,
    /// Valid now, but only for the host name [`WRONG_HOST`]: a client connecting to
    /// `127.0.0.1` or `localhost` sees a name mismatch.
    WrongHost,
    /// For `localhost` and `127.0.0.1`, but valid only from 2000-01-01 to 2001-01-01.
    Expired,
}

/// The only name a [`CertKind::WrongHost`] certificate is valid for.
pub const WRONG_HOST: &str = "wrong-host.invalid";

/// A generated certificate and its key.
#[derive(Debug)]
pub struct Identity {
    /// The certificate as PEM (what clients use as `caFile`).
    pub cert_pem: String,
    pub(crate) cert_der: CertificateDer<'static>,
    pub(crate) key_der: Vec<u8>,
}

/// Makes a self-signed certificate of the given kind (ECDSA P-256).
pub fn generate(kind: CertKind) -> io::Result<Identity> {
    let failed = |e: rcgen::Error| {
        io::Error::other(format!("生成证书失败 / certificate generation failed: {e}"))
    };
    let mut params = CertificateParams::default();
    let localhost =
        || -> io::Result<SanType> { Ok(SanType::DnsName("localhost".try_into().map_err(failed)?)) };
    params.subject_alt_names = match kind {
        CertKind::Valid | CertKind::Expired => vec![
            localhost()?,
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ],
        CertKind::WrongHost => vec![SanType::DnsName(WRONG_HOST.try_into().map_err(failed)?)],
    };
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "onetrans-portal simulator");
    name.push(DnType::OrganizationName, "onetrans test portal");
    params.distinguished_name = name;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    match kind {
        CertKind::Expired => {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        CertKind::Valid | CertKind::WrongHost => {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2099, 12, 31);
        }
    }
    let key = KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(Identity {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    })
}

/// The rustls server configuration presenting `identity`, HTTP/1.1 only.
pub fn server_config(identity: &Identity) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![identity.cert_der.clone()], key)
        })
        .map_err(|e| io::Error::other(format!("TLS 配置失败 / TLS setup failed: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_each_kind_as_pem() {
        for kind in [CertKind::Valid, CertKind::WrongHost, CertKind::Expired] {
            let identity = generate(kind).unwrap();
            assert!(
                identity.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"),
                "{kind:?}"
            );
            server_config(&identity).unwrap();
        }
    }
}
