//! The registered applications: appId → appKey, with the SM4 data key derived once, and for
//! SM2 applications (spec section 11) the institution's public key and the portal's key pair.
//!
//! The vendor document's two example credentials are always registered; more come from the
//! configuration ([`crate::PortalConfig::apps`], [`crate::PortalConfig::sm2_apps`]), the command
//! line (`--app ID=KEY`) or a file (`--apps FILE`, one entry a line, `#` starts a comment).
//!
//! An SM2 application is written `ID=KEY,sm2:INSTITUTION_PUB[,portalPrv:PORTAL_PRV][,uid:USER_ID]`
//! ([`parse_entry`]): the keys in hex or base64 (any format of spec section 11 without spaces).
//! Without `portalPrv` the portal makes a key pair when it starts; its public half is what the
//! integrator configures as `serverPubKey` ([`crate::Portal::sm2_server_pub_key`]).

use std::collections::HashMap;
use std::io;
use std::path::Path;

use onetrans::crypto::{AppKey, DataKey};
use onetrans::signing::{Signing, Sm2Keys};
use onetrans::sm2::{self, PrivateKey, PublicKey, UserId};

/// The vendor document's example credentials, registered by default: the Java SDK example's
/// and the DLL example's.
pub const DEFAULT_APPS: [(&str, &str); 2] = [
    (
        "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN",
        "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM",
    ),
    (
        "1FM99V9JP0009A23A8C00000D445BA03",
        "1FM99V9JM00N9A23A8C000003F4B7C32",
    ),
];

/// The shortest appId accepted, in bytes (spec section 1: the data key takes its first 16).
pub const MIN_APP_ID_BYTES: usize = 16;

/// One registered application and its keys.
#[derive(Debug, Clone)]
pub struct App {
    /// The appId, as registered.
    pub app_id: String,
    /// The secret.
    pub app_key: AppKey,
    /// The SM4 key derived from both (spec section 3).
    pub data_key: DataKey,
    /// The SM2 keys of an application registered as SM2; `None` for an SM3 application.
    pub sm2: Option<AppSm2>,
}

/// The SM2 keys of an application (spec section 11).
#[derive(Debug, Clone)]
pub struct AppSm2 {
    /// The institution's public key: verifies the requests (check 5).
    pub institution: PublicKey,
    /// The portal's own key pair: signs the answers. Its public half is the integrator's
    /// `serverPubKey`.
    pub portal: PrivateKey,
    /// The user id of *Z*.
    pub user_id: UserId,
}

impl App {
    /// An application with its data key derived (spec section 3).
    pub fn new(app_id: &str, app_key: &str) -> App {
        let app_key = AppKey::new(app_key);
        App {
            app_id: app_id.to_owned(),
            data_key: DataKey::derive(app_id, &app_key),
            app_key,
            sm2: None,
        }
    }

    /// How the portal verifies this application's requests and signs its answers: SM2 with
    /// the portal's key pair and the institution's public key, or SM3.
    pub fn signing(&self) -> Signing {
        match &self.sm2 {
            None => Signing::Sm3,
            Some(keys) => Signing::Sm2(Box::new(Sm2Keys {
                own: keys.portal.clone(),
                peer: keys.institution.clone(),
                user_id: keys.user_id.clone(),
            })),
        }
    }
}

/// An SM2 application as configured: key texts, parsed when the portal starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sm2AppSpec {
    /// The appId.
    pub app_id: String,
    /// The appKey (still the SM4 data key's source and the sign text's `&key=`).
    pub app_key: String,
    /// The institution's public key (its `clientPrvKey`'s public half), any format of spec
    /// section 11.
    pub institution_pub: String,
    /// The portal's private key; `None`: a key pair is made when the portal starts.
    pub portal_prv: Option<String>,
    /// The user id of *Z*; `None`: `1234567812345678`.
    pub user_id: Option<String>,
}

/// One line of an apps file or one `--app`: an SM3 `appId=appKey`, or an SM2 application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEntry {
    /// `appId=appKey`.
    Sm3(String, String),
    /// `appId=appKey,sm2:...`.
    Sm2(Sm2AppSpec),
}

/// Splits a list of entries into the SM3 pairs and the SM2 applications, keeping their order.
pub fn split_entries(entries: Vec<AppEntry>) -> (Vec<(String, String)>, Vec<Sm2AppSpec>) {
    let mut sm3 = Vec::new();
    let mut sm2 = Vec::new();
    for entry in entries {
        match entry {
            AppEntry::Sm3(id, key) => sm3.push((id, key)),
            AppEntry::Sm2(spec) => sm2.push(spec),
        }
    }
    (sm3, sm2)
}

/// The applications the portal knows, by appId. Fixed once the portal starts.
#[derive(Debug, Clone)]
pub struct AppRegistry {
    apps: HashMap<String, App>,
    /// appIds in registration order, for listing.
    order: Vec<String>,
}

impl AppRegistry {
    /// The defaults plus `extra` (a later entry for the same appId replaces the earlier key).
    /// Fails with `InvalidInput` on an appId shorter than 16 bytes or an empty appKey.
    pub fn new(extra: &[(String, String)]) -> io::Result<AppRegistry> {
        let mut registry = AppRegistry {
            apps: HashMap::new(),
            order: Vec::new(),
        };
        for (id, key) in DEFAULT_APPS {
            registry.insert(id, key)?;
        }
        for (id, key) in extra {
            registry.insert(id, key)?;
        }
        Ok(registry)
    }

    /// [`AppRegistry::new`] plus the SM2 applications `sm2` (registered after, so that an SM2
    /// entry replaces an SM3 one for the same appId). A missing portal key pair is made here.
    pub fn with_sm2(extra: &[(String, String)], sm2: &[Sm2AppSpec]) -> io::Result<AppRegistry> {
        let mut registry = AppRegistry::new(extra)?;
        for spec in sm2 {
            let mut app = registry.insert(&spec.app_id, &spec.app_key)?;
            app.sm2 = Some(parse_sm2_keys(spec)?);
            registry.apps.insert(spec.app_id.clone(), app);
        }
        Ok(registry)
    }

    /// Registers an SM3 application (replacing an earlier one) and returns a copy of it.
    fn insert(&mut self, app_id: &str, app_key: &str) -> io::Result<App> {
        validate(app_id, app_key)?;
        if !self.apps.contains_key(app_id) {
            self.order.push(app_id.to_owned());
        }
        let app = App::new(app_id, app_key);
        self.apps.insert(app_id.to_owned(), app.clone());
        Ok(app)
    }

    /// The application registered under `app_id`.
    pub fn get(&self, app_id: &str) -> Option<&App> {
        self.apps.get(app_id)
    }

    /// The registered appIds, defaults first, in registration order.
    pub fn app_ids(&self) -> &[String] {
        &self.order
    }
}

fn validate(app_id: &str, app_key: &str) -> io::Result<()> {
    if app_id.len() < MIN_APP_ID_BYTES {
        return Err(invalid(format!(
            "appId \"{app_id}\" 不足 {MIN_APP_ID_BYTES} 字节 (appId must be at least {MIN_APP_ID_BYTES} bytes)"
        )));
    }
    if app_key.is_empty() {
        return Err(invalid(format!(
            "appId \"{app_id}\" 的 appKey 为空 (empty appKey)"
        )));
    }
    if app_id
        .chars()
        .chain(app_key.chars())
        .any(char::is_whitespace)
    {
        return Err(invalid(format!(
            "appId \"{app_id}\" 或其 appKey 含空白字符 (whitespace in appId or appKey)"
        )));
    }
    Ok(())
}

/// The keys of an SM2 application, the portal's made now when not given.
fn parse_sm2_keys(spec: &Sm2AppSpec) -> io::Result<AppSm2> {
    let named = |what: &str, e: String| {
        invalid(format!(
            "appId \"{}\" 的 {what} 无效 (bad {what}): {e}",
            spec.app_id
        ))
    };
    let institution = PublicKey::parse("sm2", &spec.institution_pub)
        .map_err(|e| named("sm2（机构公钥 / institution's public key）", e.to_string()))?;
    let portal = match &spec.portal_prv {
        Some(text) => {
            PrivateKey::parse("portalPrv", text).map_err(|e| named("portalPrv", e.to_string()))?
        }
        None => sm2::generate(),
    };
    let user_id = match &spec.user_id {
        Some(id) => UserId::new(id.as_str()).map_err(|e| named("uid", e.to_string()))?,
        None => UserId::default(),
    };
    Ok(AppSm2 {
        institution,
        portal,
        user_id,
    })
}

/// Parses one entry: `appId=appKey`, or `appId=appKey,sm2:INSTITUTION_PUB[,portalPrv:PRV]
/// [,uid:USER_ID]`. Only a value with `,sm2:` is an SM2 entry, so an appKey with a comma
/// still registers as before.
pub fn parse_entry(text: &str) -> io::Result<AppEntry> {
    let Some((head, options)) = text.split_once(",sm2:") else {
        let (id, key) = parse_pair(text)?;
        return Ok(AppEntry::Sm3(id, key));
    };
    let (app_id, app_key) = parse_pair(head)?;
    let mut parts = options.split(',');
    let institution_pub = parts.next().unwrap_or_default().trim().to_owned();
    let mut spec = Sm2AppSpec {
        app_id,
        app_key,
        institution_pub,
        portal_prv: None,
        user_id: None,
    };
    for part in parts {
        match part.split_once(':') {
            Some(("portalPrv", v)) => spec.portal_prv = Some(v.trim().to_owned()),
            Some(("uid", v)) => spec.user_id = Some(v.trim().to_owned()),
            _ => {
                return Err(invalid(format!(
                    "\"{}\" 之后只能有 portalPrv:私钥 或 uid:用户标识 (after sm2: only portalPrv:KEY or uid:ID), got \"{}\"",
                    "sm2:",
                    part.split(':').next().unwrap_or_default()
                )))
            }
        }
    }
    // Checked now, so that a typo is reported at start with the line it is on.
    parse_sm2_keys(&spec)?;
    Ok(AppEntry::Sm2(spec))
}

/// Parses an apps file's text: one entry a line ([`parse_entry`]: `appId=appKey`, or an SM2
/// application); blank lines and lines starting with `#` are skipped, and so is anything after
/// a ` #` on a line.
pub fn parse_entries_text(text: &str) -> io::Result<Vec<AppEntry>> {
    let mut apps = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or("").trim();
        let line = line.trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let entry = parse_entry(line)
            .map_err(|e| invalid(format!("第 {} 行 / line {}: {e}", n + 1, n + 1)))?;
        apps.push(entry);
    }
    Ok(apps)
}

/// Reads an apps file (see [`parse_entries_text`]).
pub fn load_entries_file(path: &Path) -> io::Result<Vec<AppEntry>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "无法读取应用文件 {} (cannot read the apps file): {e}",
                path.display()
            ),
        )
    })?;
    parse_entries_text(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Parses one `appId=appKey` pair (split at the first `=`, surrounding blanks trimmed).
pub fn parse_pair(text: &str) -> io::Result<(String, String)> {
    let Some((id, key)) = text.split_once('=') else {
        return Err(invalid(format!(
            "\"{text}\" 应为 appId=appKey 格式 (expected appId=appKey)"
        )));
    };
    let (id, key) = (id.trim(), key.trim());
    validate(id, key)?;
    Ok((id.to_owned(), key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_registered_and_keys_derived() {
        let registry = AppRegistry::new(&[]).unwrap();
        let app = registry.get("zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN").unwrap();
        assert_eq!(app.data_key.expose(), b"4D0D7E3A207E47AC");
        let dll = registry.get("1FM99V9JP0009A23A8C00000D445BA03").unwrap();
        assert_eq!(dll.data_key.expose(), b"DCC5CAA01987E56E");
        assert_eq!(registry.app_ids().len(), 2);
    }

    #[test]
    fn extra_apps_are_added_and_override() {
        let extra = vec![
            (
                "T98HPCGN5ZVVQBS8LZQNOAEXVI9GYHKQ".to_owned(),
                "NMVFVILMKT13GEMD3BKPKCTBOQBPZR2P".to_owned(),
            ),
            (
                "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN".to_owned(),
                "other".to_owned(),
            ),
        ];
        let registry = AppRegistry::new(&extra).unwrap();
        assert_eq!(registry.app_ids().len(), 3);
        let t = registry.get("T98HPCGN5ZVVQBS8LZQNOAEXVI9GYHKQ").unwrap();
        assert_eq!(t.data_key.expose(), b"C3AE5873D08418DA");
        let z = registry.get("zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN").unwrap();
        assert_eq!(z.app_key.expose(), "other");
    }

    #[test]
    fn parses_pairs_and_files() {
        assert!(parse_pair("short=key").is_err());
        assert!(parse_pair("0123456789abcdef=").is_err());
        assert!(parse_pair("0123456789abcdef").is_err());
        assert_eq!(
            parse_pair(" 0123456789abcdef = k=v ").unwrap(),
            ("0123456789abcdef".to_owned(), "k=v".to_owned())
        );
        let text =
            "\u{feff}# apps\n\n0123456789abcdef=key1  # first\n  #x\nfedcba9876543210=key2\n";
        let apps = parse_entries_text(text).unwrap();
        assert_eq!(apps.len(), 2);
        assert_eq!(
            apps[1],
            AppEntry::Sm3("fedcba9876543210".into(), "key2".into())
        );
        let err = parse_entries_text("0123456789abcdef=k\nbad line\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    const INSTITUTION_PUB: &str =
        "BES0uHbnwvvSkyORMjQxwO2t3mIhhkevY5VkxjOtNXr+GLS+G6Q1TRFO+TR/tfaYpaPV57/hxHaiCC/on3xsT5Q=";
    const PORTAL_PRV: &str = "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76";

    #[test]
    fn sm2_entries_parse_and_register() {
        let plain = parse_entry("0123456789abcdef=k,with,commas").unwrap();
        assert_eq!(
            plain,
            AppEntry::Sm3("0123456789abcdef".into(), "k,with,commas".into())
        );
        let line = format!(
            "0123456789abcdef=key1,sm2:{INSTITUTION_PUB},portalPrv:{PORTAL_PRV},uid:ALICE123"
        );
        let AppEntry::Sm2(spec) = parse_entry(&line).unwrap() else {
            panic!("an SM2 entry")
        };
        assert_eq!(spec.app_key, "key1");
        assert_eq!(spec.user_id.as_deref(), Some("ALICE123"));
        let registry = AppRegistry::with_sm2(&[], &[spec]).unwrap();
        let app = registry.get("0123456789abcdef").unwrap();
        let keys = app.sm2.as_ref().unwrap();
        assert_eq!(*keys.portal.to_hex(), PORTAL_PRV);
        assert_eq!(keys.user_id.as_str(), "ALICE123");
        assert!(matches!(app.signing(), Signing::Sm2(_)));

        // Without portalPrv a key pair is made at start.
        let entries = parse_entries_text(&format!(
            "# apps\n0123456789abcdef=k\nfedcba9876543210=k2,sm2:{INSTITUTION_PUB}  # SM2\n"
        ))
        .unwrap();
        let (sm3, sm2) = split_entries(entries);
        assert_eq!(sm3.len(), 1);
        let registry = AppRegistry::with_sm2(&sm3, &sm2).unwrap();
        assert!(registry.get("fedcba9876543210").unwrap().sm2.is_some());
        assert!(registry.get("0123456789abcdef").unwrap().sm2.is_none());

        for bad in [
            "0123456789abcdef=k,sm2:",
            "0123456789abcdef=k,sm2:04ABCD",
            &format!("0123456789abcdef=k,sm2:{INSTITUTION_PUB},portalPrv:00"),
            &format!("0123456789abcdef=k,sm2:{INSTITUTION_PUB},other:1"),
        ] {
            let err = parse_entry(bad).unwrap_err().to_string();
            assert!(!err.contains(PORTAL_PRV), "{err}");
        }
    }
}
