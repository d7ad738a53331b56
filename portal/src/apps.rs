//! The registered applications: appId → appKey, with the SM4 data key derived once.
//!
//! The vendor document's two example credentials are always registered; more come from the
//! configuration ([`crate::PortalConfig::apps`]), the command line (`--app ID=KEY`) or a file
//! (`--apps FILE`, one `appId=appKey` a line, `#` starts a comment).

use std::collections::HashMap;
use std::io;
use std::path::Path;

use onetrans::crypto::{AppKey, DataKey};

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
}

impl App {
    /// An application with its data key derived (spec section 3).
    pub fn new(app_id: &str, app_key: &str) -> App {
        let app_key = AppKey::new(app_key);
        App {
            app_id: app_id.to_owned(),
            data_key: DataKey::derive(app_id, &app_key),
            app_key,
        }
    }
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

    fn insert(&mut self, app_id: &str, app_key: &str) -> io::Result<()> {
        validate(app_id, app_key)?;
        if !self.apps.contains_key(app_id) {
            self.order.push(app_id.to_owned());
        }
        self.apps
            .insert(app_id.to_owned(), App::new(app_id, app_key));
        Ok(())
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

/// Parses an apps file's text: one `appId=appKey` a line; blank lines and lines starting with
/// `#` are skipped, and so is anything after a ` #` on a line.
pub fn parse_apps_text(text: &str) -> io::Result<Vec<(String, String)>> {
    let mut apps = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or("").trim();
        let line = line.trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let pair = parse_pair(line)
            .map_err(|e| invalid(format!("第 {} 行 / line {}: {e}", n + 1, n + 1)))?;
        apps.push(pair);
    }
    Ok(apps)
}

/// Reads an apps file (see [`parse_apps_text`]).
pub fn load_apps_file(path: &Path) -> io::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "无法读取应用文件 {} (cannot read the apps file): {e}",
                path.display()
            ),
        )
    })?;
    parse_apps_text(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))
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
        let apps = parse_apps_text(text).unwrap();
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[1].1, "key2");
        let err = parse_apps_text("0123456789abcdef=k\nbad line\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
