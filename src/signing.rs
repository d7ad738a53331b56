//! The two sign types of the protocol, behind one interface: `SM3` (a keyed hash, spec sections
//! 2, 4 and 5) and `SM2` (signatures with a key pair, spec section 11).
//!
//! A [`Signing`] signs what its side sends and verifies what the other side sends. The library
//! holds the institution's private key and the portal's public key; the portal simulator holds
//! its own private key and the institution's public key: the same [`Sm2Keys`] with `own` and
//! `peer` swapped.
//!
//! [`resolve`] picks the keys of one call: the caller's `clientPrvKey` / `serverPubKey` (split out
//! of `data`), else the configured ones ([`Sm2Defaults`]: `OneTrans.ini` or the environment).
//! Each key text is parsed once per call; the private key, its text and its scalar are zeroed
//! when the call ends.

use std::fmt;

use zeroize::Zeroizing;

use crate::crypto;
use crate::error::Error;
use crate::sm2::{self, PrivateKey, PublicKey, UserId};

/// The `signType` of a request, from the caller's input (compared case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignType {
    /// `SM3`, the default: `signData` = hex of SM3 over the sign text.
    #[default]
    Sm3,
    /// `SM2`: `signData` = base64 of an SM2 signature `r‖s` (spec section 11).
    Sm2,
}

impl SignType {
    /// The envelope's `signType` member.
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Sm3 => "SM3",
            SignType::Sm2 => "SM2",
        }
    }

    /// `SM3` or `SM2` in any case; `None` for anything else.
    pub fn parse(text: &str) -> Option<SignType> {
        [SignType::Sm3, SignType::Sm2]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

/// A secret text (a private key as the caller or the configuration wrote it): zeroed on drop,
/// never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    pub fn new(text: String) -> SecretText {
        SecretText(Zeroizing::new(text))
    }

    /// The text, for the key parser only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(***)")
    }
}

/// The SM2 settings of the configuration (`clientPrvKey`, `serverPubKey`, `sm2UserId` in
/// `OneTrans.ini` or `ONETRANS_CLIENT_PRV_KEY`, `ONETRANS_SERVER_PUB_KEY`,
/// `ONETRANS_SM2_USER_ID`). The keys stay texts: they are parsed by the SM2 calls that use them,
/// so a stale key line does not stop SM3 calls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sm2Defaults {
    pub client_prv_key: Option<SecretText>,
    pub server_pub_key: Option<String>,
    /// `None`: [`sm2::DEFAULT_USER_ID`].
    pub user_id: Option<UserId>,
}

/// One side's SM2 keys: its own private key (to sign) and the other side's public key (to
/// verify), with the user id of *Z* both use.
#[derive(Debug, Clone)]
pub struct Sm2Keys {
    pub own: PrivateKey,
    pub peer: PublicKey,
    pub user_id: UserId,
}

/// How one side signs and verifies.
#[derive(Debug, Clone)]
pub enum Signing {
    /// SM3 over the sign text (which ends with `&key=<appKey>`).
    Sm3,
    /// SM2 with these keys.
    Sm2(Box<Sm2Keys>),
}

/// What a `signData` check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Well-formed but not a signature of this text by this key.
    Invalid,
    /// Not one of the sign type's encodings (SM3: hex of 32 bytes; SM2: base64 of `r‖s` or of
    /// its DER).
    Malformed,
}

impl Signing {
    /// The sign type, as the envelope's `signType` member.
    pub fn sign_type(&self) -> SignType {
        match self {
            Signing::Sm3 => SignType::Sm3,
            Signing::Sm2(_) => SignType::Sm2,
        }
    }

    /// The `signData` of a sign text.
    pub fn sign(&self, sign_text: &str) -> String {
        match self {
            Signing::Sm3 => crypto::sign(sign_text),
            Signing::Sm2(keys) => sm2::sign_base64(&keys.own, &keys.user_id, sign_text.as_bytes()),
        }
    }

    /// Checks the other side's `signData` over a sign text.
    pub fn verify(&self, sign_text: &str, sign_data: &str) -> Verdict {
        match self {
            Signing::Sm3 => match crypto::hex_decode(sign_data) {
                Some(bytes) if bytes.len() == 32 => {
                    if crypto::verify(sign_text, sign_data) {
                        Verdict::Valid
                    } else {
                        Verdict::Invalid
                    }
                }
                _ => Verdict::Malformed,
            },
            Signing::Sm2(keys) => {
                if sm2::decode_signature(sign_data).is_none() {
                    Verdict::Malformed
                } else if sm2::verify(&keys.peer, &keys.user_id, sign_text.as_bytes(), sign_data) {
                    Verdict::Valid
                } else {
                    Verdict::Invalid
                }
            }
        }
    }
}

/// The key texts of one call, as the caller gave them in `data` (empty is absent).
#[derive(Debug, Clone, Default)]
pub struct CallKeys {
    pub client_prv_key: Option<SecretText>,
    pub server_pub_key: Option<String>,
}

/// The signing of one call: SM3, or SM2 with the caller's keys, else the configured ones (the
/// input wins, key by key). A missing or invalid key is bad input (`000105`) naming the key and
/// where it came from, never its text.
pub fn resolve(
    sign_type: SignType,
    call: &CallKeys,
    defaults: &Sm2Defaults,
) -> Result<Signing, Error> {
    if sign_type == SignType::Sm3 {
        return Ok(Signing::Sm3);
    }
    let (prv_text, prv_origin) = pick(
        call.client_prv_key.as_ref().map(SecretText::expose),
        defaults.client_prv_key.as_ref().map(SecretText::expose),
        "clientPrvKey",
        CLIENT_PRV_KEY_ENV,
    )?;
    let (pub_text, pub_origin) = pick(
        call.server_pub_key.as_deref(),
        defaults.server_pub_key.as_deref(),
        "serverPubKey",
        SERVER_PUB_KEY_ENV,
    )?;
    let own = PrivateKey::parse("clientPrvKey", prv_text)
        .map_err(|e| Error::bad_input(format!("{e}{prv_origin}")))?;
    let peer = PublicKey::parse("serverPubKey", pub_text)
        .map_err(|e| Error::bad_input(format!("{e}{pub_origin}")))?;
    let user_id = defaults.user_id.clone().unwrap_or_default();
    Ok(Signing::Sm2(Box::new(Sm2Keys { own, peer, user_id })))
}

/// The caller's text, else the configured one, with a note saying where a configured key came
/// from (for the error message when it does not parse).
fn pick<'a>(
    given: Option<&'a str>,
    configured: Option<&'a str>,
    name: &str,
    env: &str,
) -> Result<(&'a str, &'static str), Error> {
    match (given, configured) {
        (Some(text), _) => Ok((text, "")),
        (None, Some(text)) => Ok((text, CONFIGURED)),
        (None, None) => Err(Error::bad_input(format!(
            "signType 为 SM2 时须提供 {name}：写在 data 中，或配置在 OneTrans.ini（{name} = ...）或环境变量 {env} 中 (signType SM2 needs {name}: in data, in OneTrans.ini or in {env})"
        ))),
    }
}

/// The environment variables of the configured keys (`crate::config::env_name` of the INI
/// keys; spelled out here as this module sits below the configuration).
pub const CLIENT_PRV_KEY_ENV: &str = "ONETRANS_CLIENT_PRV_KEY";
/// See [`CLIENT_PRV_KEY_ENV`].
pub const SERVER_PUB_KEY_ENV: &str = "ONETRANS_SERVER_PUB_KEY";

/// Appended to a key error when the key came from the configuration.
const CONFIGURED: &str =
    "（该密钥来自 OneTrans.ini 或环境变量 / this key came from OneTrans.ini or the environment）";

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT_PRV: &str = "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0";
    const SERVER_PUB: &str = "047DA2F9B9B068936A33F4A8A71C7B305DC8CE398905B5DCEB0C209130011ECDA6F02373E071FB6D37BF10C21457CBC9DBD0115073F55C1A2ECBC0B5A9308EB2B4";

    fn keys(prv: Option<&str>, public: Option<&str>) -> CallKeys {
        CallKeys {
            client_prv_key: prv.map(|p| SecretText::new(p.to_owned())),
            server_pub_key: public.map(str::to_owned),
        }
    }

    #[test]
    fn sign_types_in_any_case() {
        assert_eq!(SignType::parse("sm2"), Some(SignType::Sm2));
        assert_eq!(SignType::parse("Sm3"), Some(SignType::Sm3));
        assert_eq!(SignType::parse("SM2 "), None);
        assert_eq!(SignType::parse("MD5"), None);
    }

    #[test]
    fn the_input_wins_key_by_key_over_the_configuration() {
        let configured = Sm2Defaults {
            client_prv_key: Some(SecretText::new("not a key".into())),
            server_pub_key: Some(SERVER_PUB.into()),
            user_id: None,
        };
        // The caller's private key wins over a broken configured one; the public key comes
        // from the configuration.
        let signing = resolve(SignType::Sm2, &keys(Some(CLIENT_PRV), None), &configured).unwrap();
        assert_eq!(signing.sign_type(), SignType::Sm2);
        // Without the caller's, the configured (bad) one is used and named with its origin.
        let err = resolve(SignType::Sm2, &keys(None, None), &configured).unwrap_err();
        assert_eq!(err.code(), "000105");
        assert!(err.message.contains("clientPrvKey"), "{}", err.message);
        assert!(err.message.contains("OneTrans.ini"), "{}", err.message);
        assert!(!err.message.contains("not a key"), "{}", err.message);
        // SM3 needs no key.
        assert!(matches!(
            resolve(SignType::Sm3, &keys(None, None), &Sm2Defaults::default()),
            Ok(Signing::Sm3)
        ));
    }

    #[test]
    fn missing_keys_are_named() {
        let none = Sm2Defaults::default();
        let err = resolve(SignType::Sm2, &keys(None, Some(SERVER_PUB)), &none).unwrap_err();
        assert!(err.message.contains("clientPrvKey"), "{}", err.message);
        assert!(
            err.message.contains("ONETRANS_CLIENT_PRV_KEY"),
            "{}",
            err.message
        );
        let err = resolve(SignType::Sm2, &keys(Some(CLIENT_PRV), None), &none).unwrap_err();
        assert!(err.message.contains("serverPubKey"), "{}", err.message);
    }

    #[test]
    fn verdicts_tell_malformed_from_invalid() {
        let portal_prv = "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76";
        let client_side = resolve(
            SignType::Sm2,
            &keys(Some(CLIENT_PRV), Some(SERVER_PUB)),
            &Sm2Defaults::default(),
        )
        .unwrap();
        let client_pub = sm2::public_of(&PrivateKey::parse("k", CLIENT_PRV).unwrap()).to_hex();
        let portal_side = resolve(
            SignType::Sm2,
            &keys(Some(portal_prv), Some(&client_pub)),
            &Sm2Defaults::default(),
        )
        .unwrap();
        let sig = portal_side.sign("text");
        assert_eq!(client_side.verify("text", &sig), Verdict::Valid);
        assert_eq!(client_side.verify("other", &sig), Verdict::Invalid);
        assert_eq!(client_side.verify("text", "AAAA"), Verdict::Malformed);
        assert_eq!(
            client_side.verify("text", &crypto::sign("text")),
            Verdict::Malformed
        );
        assert_eq!(Signing::Sm3.verify("t", &crypto::sign("t")), Verdict::Valid);
        assert_eq!(
            Signing::Sm3.verify("t", &crypto::sign("u")),
            Verdict::Invalid
        );
        assert_eq!(Signing::Sm3.verify("t", &sig), Verdict::Malformed);
    }
}
